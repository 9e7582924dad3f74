"""A covering partial index on open deals, for the reports' reads of them: the one grouped
read of ``forecasting.open_deals`` (owner, pipeline, stage, currency, values, stale flags,
close dates), the stays still going of the funnel (time in the stage) and the forecast's
open deals (category, time in the stage), each from the index alone.

PostgreSQL only (SQLite has no INCLUDE), so it is not in the model's state: Django never
plans to change or drop it.
"""

from django.db import migrations

INDEX = "opportunity_open_cover_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON pipeline_opportunity "
        "(owner_id, pipeline_id, stage_id) "
        "INCLUDE (currency, value, stale_since, expected_close_date, stage_entered_at, "
        "forecast_category) "
        "WHERE status = 'open'"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("pipeline", "0016_task_overdue_idx")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
