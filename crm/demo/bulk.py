"""Insert plain tuples into a model's table: COPY on PostgreSQL, executemany elsewhere.

Used for the rows that grow with --deals. A model instance costs tens of microseconds to
build and as much again to compile into an INSERT; at a million deals (ten million rows)
that alone would take longer than the whole seed is allowed to. Tuples written by COPY
cost a few microseconds a row.

Because COPY returns no keys, ids are reserved first and written explicitly: from the
table's sequence on PostgreSQL, above the current maximum elsewhere (safe because the seed
runs in one transaction that holds SQLite's write lock from its start).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models

# Python values psycopg writes as they are; other backends want Django's conversion.
_NATIVE_ON_POSTGRESQL = {"DateTimeField", "DateField", "DecimalField"}
_CONVERTED = {"DateTimeField", "DateField", "DecimalField", "JSONField", "TimeField"}


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` fresh primary keys for rows of ``model`` about to be inserted."""
    if count == 0:
        return []
    quote = connection.ops.quote_name
    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT MAX({quote(column)}) FROM {quote(table)}")
        (highest,) = cursor.fetchone()
    first = (highest or 0) + 1
    return list(range(first, first + count))


def settle_deferred_checks() -> None:
    """Run now the foreign-key checks PostgreSQL deferred to the commit.

    PostgreSQL queues one check per inserted row and foreign key until the transaction ends;
    at a million deals that queue would hold tens of millions of events in the server's
    memory. Settling them after each batch keeps it small, inside the same transaction.
    """
    if connection.vendor == "postgresql":
        connection.check_constraints()


class RowWriter:
    """Writes tuples whose items follow ``columns`` (field attnames) into ``model``'s table.

    Every concrete field must be listed: a field added to the model later fails loudly
    here instead of being left to a default only Python knows.
    """

    def __init__(self, model: type[models.Model], columns: Sequence[str]) -> None:
        meta = model._meta
        fields = [meta.get_field(name) for name in columns]
        missing = {f.attname for f in meta.concrete_fields} - {f.attname for f in fields}
        missing.discard(meta.pk.attname)
        if missing:
            raise ImproperlyConfigured(
                f"seed_demo writes {meta.label} without {sorted(missing)}: add them."
            )
        self.table = meta.db_table
        self.columns = [field.column for field in fields]
        # Binary COPY needs each column's type; "numeric(14, 2)" is written as "numeric".
        self.types = [field.db_type(connection).split("(")[0] for field in fields]
        postgres = connection.vendor == "postgresql"
        self.converted = [
            (index, field)
            for index, field in enumerate(fields)
            if field.get_internal_type() in _CONVERTED
            and not (postgres and field.get_internal_type() in _NATIVE_ON_POSTGRESQL)
        ]

    def write(self, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self.converted:
            rows = [self._convert(row) for row in rows]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(column) for column in self.columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                sql = f"COPY {quote(self.table)} ({columns}) FROM STDIN (FORMAT BINARY)"
                with cursor.cursor.copy(sql) as copy:
                    copy.set_types(self.types)
                    for row in rows:
                        copy.write_row(row)
            else:
                placeholders = ", ".join(["%s"] * len(self.columns))
                cursor.executemany(
                    f"INSERT INTO {quote(self.table)} ({columns}) VALUES ({placeholders})", rows
                )

    def _convert(self, row: tuple[Any, ...]) -> tuple[Any, ...]:
        values = list(row)
        for index, field in self.converted:
            values[index] = field.get_db_prep_save(values[index], connection)
        return tuple(values)
