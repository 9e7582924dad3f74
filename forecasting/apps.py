from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ForecastingConfig(AppConfig):
    name = "forecasting"
    verbose_name = _("Forecasting")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from forecasting import observed_upkeep
        from forecasting.rollup_upkeep import follow_deals, forget_stage_order
        from pipeline.models import Stage
        from pipeline.signals import deals_changing, history_rewritten, stages_reordered

        deals_changing.connect(follow_deals, dispatch_uid="forecasting.rollups")
        stages_reordered.connect(forget_stage_order, dispatch_uid="forecasting.rollups")
        history_rewritten.connect(
            observed_upkeep.follow_history, dispatch_uid="forecasting.observed"
        )
        post_save.connect(
            observed_upkeep.follow_stage, sender=Stage, dispatch_uid="forecasting.observed"
        )
