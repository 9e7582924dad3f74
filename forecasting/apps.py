from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ForecastingConfig(AppConfig):
    name = "forecasting"
    verbose_name = _("Forecasting")

    def ready(self) -> None:
        from forecasting.rollup_upkeep import follow_deals
        from pipeline.signals import deals_changing

        deals_changing.connect(follow_deals, dispatch_uid="forecasting.rollups")
