"""Moments a row gives for a record's past (created, entered a stage, closed, touched)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _

from crm.imports.writers.base import RowProblem


def as_moment(value: dt.date | dt.datetime) -> dt.datetime:
    """A cell's moment; a date (an expected close date, a date-only column) at midnight UTC."""
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time.min, tzinfo=dt.UTC)


def check_not_future(values: Mapping[str, Any], names: Iterable[str], now: dt.datetime) -> None:
    """Raise RowProblem for the first of ``names`` whose moment is later than ``now``: an
    export holds only what has happened, so such a value was read wrongly."""
    for name in names:
        if name in values and as_moment(values[name]) > now:
            raise RowProblem(
                name,
                _("%(value)s is in the future; an export holds only what has happened.")
                % {"value": as_moment(values[name]).isoformat(sep=" ")},
            )


def set_created_at(record: Any, values: Mapping[str, Any], now: dt.datetime) -> None:
    """The row's creation time on ``record``, when it has one; raises RowProblem if future."""
    if "created_at" in values:
        check_not_future(values, ["created_at"], now)
        record.created_at = as_moment(values["created_at"])
