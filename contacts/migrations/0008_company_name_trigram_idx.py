"""A trigram index on companies' names (PostgreSQL), for the board's text search.

The board finds deals whose title or company name contains the text typed, in any case:
Django's ``icontains`` is ``UPPER(name) LIKE UPPER('%text%')`` on PostgreSQL, which a
B-tree cannot serve but a GIN index of the same expression's trigrams can. pg_trgm ships
with PostgreSQL and is a trusted extension: the database's owner may create it. SQLite
has neither and needs neither at the demo's size.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEX = "company_name_trgm_idx"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON contacts_company "
            "USING gin (UPPER(name) gin_trgm_ops)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("contacts", "0007_custom_fields")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_index, drop_index),
    ]
