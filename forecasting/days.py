"""Spans of time in whole days, computed by the database, and how reports show them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Func, IntegerField

TENTH = Decimal("0.1")


class WholeDays(Func):
    """Whole days from the second datetime to the first, ``WholeDays(end, start)``, for
    spans that are not negative."""

    output_field = IntegerField()
    arity = 2

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            # date_part gives double precision where EXTRACT gives numeric, whose arithmetic
            # was a third of a statement over 100,000 open deals; a double holds a span of
            # under a century to the microsecond.
            template="CAST(FLOOR(date_part('epoch', %(expressions)s) / 86400) AS integer)",
            arg_joiner=" - ",
            **extra,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # julianday() reads the ISO text SQLite stores; CAST truncates, which is the floor
        # for a span that is not negative.
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra,
        )


def days_figure(value: float | int | Decimal | None) -> Decimal | None:
    """A number of days as reports show it: to one decimal; None stays None."""
    return None if value is None else Decimal(str(value)).quantize(TENTH)
