from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ForecastingConfig(AppConfig):
    name = "forecasting"
    verbose_name = _("Forecasting")

    def ready(self) -> None:
        from forecasting.rollup_upkeep import follow_deals, forget_stage_order
        from pipeline.signals import deals_changing, stages_reordered

        deals_changing.connect(follow_deals, dispatch_uid="forecasting.rollups")
        stages_reordered.connect(forget_stage_order, dispatch_uid="forecasting.rollups")
