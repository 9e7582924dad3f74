from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ForecastingConfig(AppConfig):
    name = "forecasting"
    verbose_name = _("Forecasting")

    def ready(self) -> None:
        from django.db.models.signals import pre_delete

        from forecasting.activity_upkeep import follow_activity, forget_activity
        from forecasting.rollup_upkeep import follow_deals
        from pipeline.models import Task, Touchpoint
        from pipeline.signals import activity_changing, deals_changing

        deals_changing.connect(follow_deals, dispatch_uid="forecasting.rollups")
        activity_changing.connect(follow_activity, dispatch_uid="forecasting.activity_rollups")
        for model in (Touchpoint, Task):
            pre_delete.connect(
                forget_activity, sender=model, dispatch_uid=f"forecasting.forget_{model.__name__}"
            )
