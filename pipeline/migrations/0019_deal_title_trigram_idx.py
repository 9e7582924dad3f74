"""A trigram index on deals' titles (PostgreSQL), for the board's text search (see
contacts.0008_company_name_trigram_idx, which creates the pg_trgm extension)."""

from django.db import migrations

INDEX = "opportunity_title_trgm_idx"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON pipeline_opportunity "
            "USING gin (UPPER(title) gin_trgm_ops)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("pipeline", "0018_column_tallies"),
        ("contacts", "0008_company_name_trigram_idx"),
    ]

    operations = [migrations.RunPython(create_index, drop_index)]
