"""Inserting many rows into a model's table: COPY on PostgreSQL, executemany elsewhere.

For the rows that grow with a file or a seed. A model instance costs tens of microseconds
to build, and ``bulk_create`` as much again to prepare each field and compile the INSERT;
psycopg then spends more converting an INSERT of thousands of parameters. Tuples written
by binary COPY cost a few microseconds a row.

COPY returns no keys, so ids are reserved first and written explicitly where the caller
needs them: from the table's sequence on PostgreSQL, above the highest id ever given
elsewhere (safe on SQLite because one writer holds the database until its transaction
ends).

Values are written as the model's fields would store them, with one shortcut: on
PostgreSQL, times, dates, decimals and JSON go to psycopg as they are (it writes those
Python types natively, JSON with ``json.dumps`` as Django does unless a field names an
encoder of its own), which saves Django's conversion of every value.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from operator import attrgetter
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models

_NATIVE_ON_POSTGRESQL = {"DateTimeField", "DateField", "DecimalField"}
_CONVERTED = {"DateTimeField", "DateField", "DecimalField", "JSONField", "TimeField"}


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` fresh primary keys for rows of ``model`` about to be inserted."""
    if count <= 0:
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
        if connection.vendor == "sqlite":
            # AUTOINCREMENT never gives a deleted row's id again; neither does this.
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            given = cursor.fetchone()
            highest = max(highest or 0, given[0] if given else 0)
    first = (highest or 0) + 1
    return list(range(first, first + count))


def settle_deferred_checks() -> None:
    """Run now the foreign-key checks PostgreSQL deferred to the commit.

    PostgreSQL queues one check per inserted row and foreign key until the transaction ends;
    at a million rows that queue holds tens of millions of events in the server's memory.
    Settling them after each batch keeps it small, inside the same transaction.
    """
    if connection.vendor == "postgresql":
        connection.check_constraints()


class RowWriter:
    """Writes tuples whose items follow ``columns`` (field names) into ``model``'s table.

    Every concrete field but the primary key must be listed (the key may be, to write
    reserved ids): a field added to the model later fails loudly here instead of being left
    to a default only Python knows.
    """

    def __init__(self, model: type[models.Model], columns: Sequence[str]) -> None:
        meta = model._meta
        fields = [meta.get_field(name) for name in columns]
        concrete = [field for field in fields if isinstance(field, models.Field)]
        missing = {f.attname for f in _stored_fields(model)} - {f.attname for f in concrete}
        missing.discard(meta.pk.attname)
        if missing or len(concrete) != len(fields):
            raise ImproperlyConfigured(
                f"{meta.label} is written without {sorted(missing)}: add them to its columns."
            )
        self.table = meta.db_table
        self.columns = [str(field.column) for field in concrete]
        # Binary COPY needs each column's type; "numeric(14, 2)" is written as "numeric".
        self.types = [str(field.db_type(connection)).split("(")[0] for field in concrete]
        self.is_postgresql = connection.vendor == "postgresql"
        self.converted = [
            (index, field)
            for index, field in enumerate(concrete)
            if field.get_internal_type() in _CONVERTED
            and not (self.is_postgresql and _is_native_on_postgresql(field))
        ]

    def write(self, rows: Iterable[tuple[Any, ...]]) -> int:
        """Insert the rows; how many there were."""
        if self.converted:
            rows = (self._convert(row) for row in rows)
        rows = list(rows)
        if not rows:
            return 0
        quote = connection.ops.quote_name
        columns = ", ".join(quote(column) for column in self.columns)
        with connection.cursor() as cursor:
            if self.is_postgresql:
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
        return len(rows)

    def _convert(self, row: tuple[Any, ...]) -> tuple[Any, ...]:
        values = list(row)
        for index, field in self.converted:
            values[index] = field.get_db_prep_save(values[index], connection)
        return tuple(values)


def insert_records(model: type[models.Model], records: Sequence[models.Model]) -> None:
    """Insert new, unsaved ``records`` of ``model``, as ``bulk_create`` would, but faster.

    Each record gets its primary key (reserved, when it has none), its ``auto_now`` times
    and a saved state. Like ``bulk_create``: no ``save()``, no signals, related records
    given by their ids. On PostgreSQL by COPY; elsewhere ``bulk_create`` itself.
    """
    if not records:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(records)
        return
    fields = _stored_fields(model)
    stamped = [
        field
        for field in fields
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    ]
    pk_name = model._meta.pk.attname
    unnumbered = [record for record in records if getattr(record, pk_name) is None]
    for record, pk in zip(unnumbered, reserve_ids(model, len(unnumbered)), strict=True):
        setattr(record, pk_name, pk)
    names = [field.attname for field in fields]
    # attrgetter of several names gives the tuple COPY wants; of one, the value alone.
    values_of = (
        attrgetter(*names) if len(names) > 1 else lambda record: (getattr(record, names[0]),)
    )
    rows = []
    for record in records:
        for field in stamped:
            field.pre_save(record, add=True)  # sets the time on the record too
        rows.append(values_of(record))
    RowWriter(model, [field.name for field in fields]).write(rows)
    for record in records:
        record._state.adding = False
        record._state.db = connection.alias


def _is_native_on_postgresql(field: models.Field) -> bool:
    if isinstance(field, models.JSONField):
        return field.encoder is None
    return field.get_internal_type() in _NATIVE_ON_POSTGRESQL


def _stored_fields(model: type[models.Model]) -> list[models.Field]:
    """The fields with a column an INSERT writes (a generated column has none to write)."""
    return [
        field for field in model._meta.concrete_fields if not getattr(field, "generated", False)
    ]
