"""The buying roles a sales team starts with; admins rename, add, reorder and retire them."""

from django.db import migrations

# (name, decides): the economic buyer signs off the budget, so a deal knows who decides
# once either is on its buying team.
DEFAULT_ROLES = [
    ("Decision maker", True),
    ("Economic buyer", True),
    ("Champion", False),
    ("Influencer", False),
    ("User", False),
    ("Blocker", False),
]


def add_default_roles(apps, schema_editor):
    BuyingRole = apps.get_model("pipeline", "BuyingRole")
    if BuyingRole.objects.exists():
        return
    BuyingRole.objects.bulk_create(
        BuyingRole(name=name, decides=decides, position=position)
        for position, (name, decides) in enumerate(DEFAULT_ROLES, start=1)
    )


class Migration(migrations.Migration):
    dependencies = [("pipeline", "0009_deals_products_buying_team_history")]

    operations = [migrations.RunPython(add_default_roles, migrations.RunPython.noop)]
