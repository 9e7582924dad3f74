from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ForecastingConfig(AppConfig):
    name = "forecasting"
    verbose_name = _("Forecasting")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save, pre_delete

        from accounts.models import User
        from forecasting import observed_upkeep, snapshot_upkeep
        from forecasting.activity_upkeep import follow_activity, forget_activity
        from forecasting.rollup_upkeep import follow_deals, forget_stage_order
        from pipeline.models import Opportunity, Pipeline, Stage, Task, Touchpoint
        from pipeline.signals import (
            activity_changing,
            deals_changing,
            history_rewritten,
            stages_reordered,
        )

        deals_changing.connect(follow_deals, dispatch_uid="forecasting.rollups")
        stages_reordered.connect(forget_stage_order, dispatch_uid="forecasting.rollups")
        history_rewritten.connect(
            observed_upkeep.follow_history, dispatch_uid="forecasting.observed"
        )
        post_save.connect(
            observed_upkeep.follow_stage, sender=Stage, dispatch_uid="forecasting.observed"
        )
        # Stored snapshot readings: a new stage order, or snapshots deleted with their deal,
        # stage, pipeline or owner however it is deleted (a cascade sends no deals_changing).
        stages_reordered.connect(
            snapshot_upkeep.forget_movements, dispatch_uid="forecasting.snapshot_readings"
        )
        post_save.connect(
            snapshot_upkeep.follow_stage, sender=Stage, dispatch_uid="forecasting.snapshot_readings"
        )
        for model in (Opportunity, Stage, Pipeline, User):
            post_delete.connect(
                snapshot_upkeep.forget_all,
                sender=model,
                dispatch_uid=f"forecasting.snapshot_readings_{model.__name__}",
            )
        activity_changing.connect(follow_activity, dispatch_uid="forecasting.activity_rollups")
        for model in (Touchpoint, Task):
            pre_delete.connect(
                forget_activity, sender=model, dispatch_uid=f"forecasting.forget_{model.__name__}"
            )
