"""Medians and other percentiles computed by the database, on PostgreSQL and SQLite alike.

PostgreSQL has ``percentile_cont``; SQLite has nothing of the kind. Both have window
functions, so each row is numbered within its group (``ROW_NUMBER``) beside the group's
size (``COUNT``), and only the one or two rows a percentile falls between come back: a
fixed, small number of rows per group, whatever the number of deals. The value between
them is interpolated as ``percentile_cont`` does: the p-th percentile of n sorted values
sits at position p * (n - 1), counted from 0.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, F, FloatField, QuerySet, Window
from django.db.models.expressions import Combinable, ExpressionWrapper
from django.db.models.functions import Abs, RowNumber


def percentile(
    rows: QuerySet[Any],
    value: Combinable,
    fraction: float,
    *,
    group_by: Sequence[str] = (),
) -> dict[tuple[Hashable, ...], Any]:
    """The ``fraction`` percentile (0.5: the median) of ``value`` over ``rows``, per group.

    Keys are tuples of the ``group_by`` values (``()`` without groups); a group with no
    rows has no key. Values interpolate linearly (``percentile_cont``); for timedeltas and
    Decimals the result is of the same type. One query.
    """
    partition = [F(name) for name in group_by] or None
    ranked = (
        rows.order_by()
        .annotate(
            percentile_value=value,
            percentile_row=Window(
                RowNumber(), partition_by=partition, order_by=F("percentile_value").asc()
            ),
            percentile_size=Window(Count("pk"), partition_by=partition),
        )
        .annotate(
            # Rows less than one position away from p * (n - 1): the one or two it lies between.
            percentile_distance=ExpressionWrapper(
                Abs(F("percentile_row") - 1 - fraction * (F("percentile_size") - 1)),
                output_field=FloatField(),
            )
        )
        .filter(percentile_distance__lt=1)
        .values_list(*group_by, "percentile_row", "percentile_size", "percentile_value")
    )
    return _interpolated(ranked, len(group_by), fraction)


def percentile_of_sql(
    source: tuple[str, Sequence[Any]],
    fraction: float,
    *,
    group_by: Sequence[str] = (),
) -> dict[tuple[Hashable, ...], Any]:
    """As ``percentile``, over rows that only raw SQL can give (a window function's result
    filtered and measured, which the ORM cannot nest): ``source`` is ``(sql, params)``
    selecting the ``group_by`` columns and a ``value`` column. One query.
    """
    sql, params = source
    groups = ", ".join(connection.ops.quote_name(name) for name in group_by)
    partition = f"PARTITION BY {groups}" if group_by else ""
    columns = f"{groups}, " if group_by else ""
    # The same numbering as ``percentile``: only the one or two rows around p * (n - 1).
    ranked_sql = (
        f"SELECT {columns}percentile_row, percentile_size, value FROM ("
        f"SELECT {columns}value, ROW_NUMBER() OVER ({partition} ORDER BY value) AS percentile_row, "
        f"COUNT(*) OVER ({partition}) AS percentile_size FROM ({sql}) source"
        ") ranked WHERE ABS(percentile_row - 1 - %s * (percentile_size - 1)) < 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(ranked_sql, [*params, fraction])
        rows = cursor.fetchall()
    return _interpolated(rows, len(group_by), fraction)


def _interpolated(
    ranked: Iterable[Sequence[Any]], groups: int, fraction: float
) -> dict[tuple[Hashable, ...], Any]:
    """The percentile per group from rows of (groups..., row number, group size, value)."""
    found: dict[tuple[Hashable, ...], dict[int, Any]] = defaultdict(dict)
    sizes: dict[tuple[Hashable, ...], int] = {}
    for row in ranked:
        key = tuple(row[:groups])
        number, size, found_value = row[groups:]
        found[key][number - 1] = found_value
        sizes[key] = size
    results: dict[tuple[Hashable, ...], Any] = {}
    for key, values in found.items():
        position = fraction * (sizes[key] - 1)
        low, high = values[math.floor(position)], values[math.ceil(position)]
        share = position - math.floor(position)
        results[key] = low if share == 0 else low + (high - low) * _same_kind(share, low)
    return results


def _same_kind(share: float, like: Any) -> Any:
    """``share`` as a number that multiplies ``like``'s kind exactly enough (Decimal money
    stays Decimal; timedeltas and floats take a float)."""
    return Decimal(str(share)) if isinstance(like, Decimal) else share
