"""Writing notifications: in bulk from the nightly jobs, and marking them read.

The jobs describe the notifications they want as a queryset (one row per notification,
with expressions for recipient, message, link and deduplication key) and ``notify`` turns
it into one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING``: no row passes through Python,
and the unique (recipient, dedupe_key) constraint makes a re-run notify nobody twice.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import cast

from django.db import connection, transaction
from django.db.models import (
    CharField,
    DateTimeField,
    Expression,
    F,
    QuerySet,
    Value,
)
from django.db.models.functions import Cast, Concat, Left
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification, User

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# Reversed in place of a pk, then split on: no URL pattern contains these digits itself.
_PK_MARKER = 987654321


def _max_length(name: str) -> int:
    field = cast(CharField, Notification._meta.get_field(name))
    return cast(int, field.max_length)


_MESSAGE_LENGTH = _max_length("message")
_URL_LENGTH = _max_length("url")


def text_of(template: str, **fields: Expression | F) -> Expression:
    """``template`` (translated, with ``%(name)s`` placeholders) filled in per row in SQL.

    Used for messages, so it is cut to the length a message may have.
    """
    parts: list[Expression | F] = []
    for index, piece in enumerate(_PLACEHOLDER.split(str(template))):
        if index % 2:
            parts.append(Cast(fields[piece], CharField()))
        elif piece:
            parts.append(Value(piece))
    text = Concat(*parts, output_field=CharField()) if len(parts) > 1 else parts[0]
    return Left(text, _MESSAGE_LENGTH)


def url_of(viewname: str, pk: str) -> Expression:
    """The URL of ``viewname`` for the row whose pk is in the field ``pk``, built in SQL."""
    before, after = reverse(viewname, args=[_PK_MARKER]).split(str(_PK_MARKER))
    return Concat(Value(before), Cast(pk, CharField()), Value(after), output_field=CharField())


def key_of(*parts: str | F) -> Expression:
    """A deduplication key from literal text and fields, e.g. ``stale_deal:42:2026-11-23``."""
    pieces = [Value(part) if isinstance(part, str) else Cast(part, CharField()) for part in parts]
    return Concat(*pieces, output_field=CharField())


def notify(
    rows: QuerySet,
    *,
    kind: str,
    recipient: str,
    message: Expression | str,
    url: Expression | None = None,
    dedupe_key: Expression,
    now: dt.datetime | None = None,
) -> int:
    """Insert one notification per row of ``rows``; return how many were new.

    ``recipient`` names the field holding the user's id; a ``message`` given as text is the
    same for every row. A row whose recipient already has
    a notification with the same ``dedupe_key`` is skipped, so calling this twice with the
    same rows inserts nothing the second time.
    """
    candidates = rows.order_by().values(
        notification_recipient=F(recipient),
        notification_kind=Value(kind, output_field=CharField()),
        notification_message=Left(Value(message), _MESSAGE_LENGTH)
        if isinstance(message, str)
        else message,
        notification_url=Left(url, _URL_LENGTH) if url is not None else Value(""),
        notification_key=dedupe_key,
        notification_created_at=Value(now or timezone.now(), output_field=DateTimeField()),
    )
    select_sql, params = candidates.query.sql_with_params()
    table = connection.ops.quote_name(Notification._meta.db_table)
    # "WHERE true" keeps SQLite from reading ON CONFLICT as part of a join in the SELECT.
    sql = (
        f"INSERT INTO {table} (recipient_id, kind, message, url, dedupe_key, created_at) "
        "SELECT notification_recipient, notification_kind, notification_message, "
        "notification_url, notification_key, notification_created_at "
        f"FROM ({select_sql}) AS candidate WHERE true "
        "ON CONFLICT (recipient_id, dedupe_key) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


def unread_count(user: User) -> int:
    return Notification.objects.visible_to(user).unread().count()


def mark_notification_read(*, notification: Notification, by: User) -> Notification:
    """Mark one of ``by``'s notifications read; reading it again keeps the first time.

    Precondition: ``notification`` came from ``Notification.objects.editable_by(by)``.
    """
    now = timezone.now()
    with transaction.atomic():
        Notification.objects.editable_by(by).filter(
            pk=notification.pk, read_at__isnull=True
        ).update(read_at=now)
        notification.refresh_from_db(fields=["read_at"])
    return notification


def mark_all_notifications_read(*, by: User) -> int:
    """Mark every unread notification of ``by`` read; return how many changed."""
    with transaction.atomic():
        return Notification.objects.editable_by(by).unread().update(read_at=timezone.now())
