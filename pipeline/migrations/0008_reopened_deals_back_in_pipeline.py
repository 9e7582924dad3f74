"""Open deals left in the Closed forecast category go back to Pipeline.

Before the stage-entry rule had one home, a won deal dragged back to an open stage kept the
category Closed, and the nightly snapshot copied it. Only won deals are Closed, so every open
deal in that category is one of those: one UPDATE puts it where a reopened deal belongs.
"""

from django.db import migrations


def reopened_deals_back_in_pipeline(apps, schema_editor):
    Opportunity = apps.get_model("pipeline", "Opportunity")
    Opportunity.objects.filter(status="open", forecast_category="closed").update(
        forecast_category="pipeline"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("pipeline", "0007_iso_currency_codes"),
    ]

    operations = [
        migrations.RunPython(reopened_deals_back_in_pipeline, migrations.RunPython.noop),
    ]
