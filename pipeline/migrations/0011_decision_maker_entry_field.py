"""Every deal's contact becomes the primary member of its buying team.

The entry criterion "decision maker known" and the buying-team panel read the team; a deal
made before the team existed has its contact only on ``Opportunity.contact``. The new
criterion itself is a value in ``Stage.entry_fields`` (JSON) and needs no schema change.
Set-based: one INSERT ... SELECT per batch of deals, safe to re-run.
"""

from django.db import migrations
from django.db.models import Exists, OuterRef

BATCH = 2000


def add_primary_members(apps, schema_editor):
    Opportunity = apps.get_model("pipeline", "Opportunity")
    DealContact = apps.get_model("pipeline", "DealContact")
    has_primary = DealContact.objects.filter(opportunity=OuterRef("pk"), is_primary=True)
    on_team = DealContact.objects.filter(opportunity=OuterRef("pk"), contact=OuterRef("contact"))
    missing = (
        Opportunity.objects.filter(contact__isnull=False)
        .exclude(Exists(has_primary))
        .exclude(Exists(on_team))
        .order_by("pk")
        .values_list("pk", "contact_id", "created_at")
    )
    last = 0
    while True:
        rows = list(missing.filter(pk__gt=last)[:BATCH])
        if not rows:
            return
        DealContact.objects.bulk_create(
            DealContact(opportunity_id=pk, contact_id=contact, is_primary=True, created_at=at)
            for pk, contact, at in rows
        )
        last = rows[-1][0]


class Migration(migrations.Migration):
    dependencies = [("pipeline", "0010_default_buying_roles")]

    operations = [migrations.RunPython(add_primary_members, migrations.RunPython.noop)]
