"""A migration operation for the GIN index a ``custom_fields`` column is filtered with.

PostgreSQL only: there the list filters' equality and choice conditions are jsonb
containment (``@>``), which a ``jsonb_path_ops`` GIN index answers. SQLite (the demo
database) has no such index and scans. Not declared in the models' ``Meta.indexes``, since
Django's ``GinIndex`` cannot be created on SQLite.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations


def _index_name(table: str) -> str:
    return f"{table}_custom_gin"


class AddCustomFieldsIndex(migrations.RunPython):
    def __init__(self, table: str) -> None:
        self.table = table
        super().__init__(self._create, self._drop, elidable=False)

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (f"{__name__}.{type(self).__name__}", [self.table], {})

    def describe(self) -> str:
        return f"GIN index on {self.table}.custom_fields (PostgreSQL)"

    def _create(self, apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f'CREATE INDEX "{_index_name(self.table)}" ON "{self.table}" '
                "USING gin (custom_fields jsonb_path_ops)"
            )

    def _drop(self, apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f'DROP INDEX IF EXISTS "{_index_name(self.table)}"')
