"""The daily digest email: each user's stale deals, overdue tasks and leads to act on.

Managers also get their teams' figures, and managers and admins the day's stage alerts.
The items of every recipient are read together, a fixed number of queries whatever the
number of users (``build_digests``), and grouped per user in Python. Every list holds a
user's own records (deals they own, tasks assigned to them, leads they own; for managers,
counts over the teams they manage), which ``visible_to`` always lets them see.

At most one email per user per day: the DigestDelivery row is inserted first and the
email sent only if that insert claimed the day (``claim_deliveries``).
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import Count, F, QuerySet, Window
from django.db.models.functions import RowNumber
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from contacts.cadence import OPEN_STATUSES
from contacts.models import Lead
from crm.models import DigestDelivery
from pipeline.models import Opportunity, OpportunityStatus, StageAlert, Task

logger = logging.getLogger(__name__)

# Items listed per section; the rest is a count and a link to the app.
ITEMS_PER_SECTION = 10


@dataclass
class Section:
    total: int = 0
    items: list[Any] = field(default_factory=list)

    @property
    def more(self) -> int:
        return self.total - len(self.items)


@dataclass
class TeamMemberLine:
    member: User
    stale_deals: int = 0
    overdue_tasks: int = 0


@dataclass
class Digest:
    recipient: User
    day: dt.date
    stale_deals: Section = field(default_factory=Section)
    overdue_tasks: Section = field(default_factory=Section)
    last_chance_leads: Section = field(default_factory=Section)
    proposed_leads: Section = field(default_factory=Section)
    team: list[TeamMemberLine] = field(default_factory=list)
    alerts: list[StageAlert] = field(default_factory=list)

    @property
    def team_needs_care(self) -> bool:
        return any(line.stale_deals or line.overdue_tasks for line in self.team)

    @property
    def is_empty(self) -> bool:
        sections = (
            self.stale_deals,
            self.overdue_tasks,
            self.last_chance_leads,
            self.proposed_leads,
        )
        has_items = any(section.total for section in sections)
        return not (has_items or self.team_needs_care or self.alerts)


def digest_recipients() -> QuerySet[User]:
    """Active users who asked for the digest and have an address to send it to."""
    return User.objects.filter(is_active=True, daily_digest=True).exclude(email="")


def _fill(
    digests: dict[int, Digest], attribute: str, rows: QuerySet, owner: str, order: Sequence[Any]
) -> None:
    """Set one section of every digest: its first items (one query) and its total (one)."""
    totals = rows.values(owner).annotate(total=Count("pk")).order_by()
    for row in totals:
        getattr(digests[row[owner]], attribute).total = row["total"]
    ranked = rows.annotate(
        rank=Window(RowNumber(), partition_by=[F(owner)], order_by=list(order))
    ).filter(rank__lte=ITEMS_PER_SECTION)
    for item in ranked.order_by(owner, "rank"):
        getattr(digests[getattr(item, owner)], attribute).items.append(item)


def _fill_teams(digests: dict[int, Digest]) -> None:
    """Per member of the teams each manager runs: stale deals and overdue tasks (3 queries)."""
    managers = [pk for pk, digest in digests.items() if digest.recipient.role == Role.MANAGER]
    if not managers:
        return
    members = User.objects.filter(is_active=True, team__manager_id__in=managers).select_related(
        "team"
    )
    lines: dict[int, TeamMemberLine] = {}
    for member in members.order_by("first_name", "last_name", "username"):
        team = member.team
        if team is None or team.manager_id not in digests:
            continue  # the filter above rules this out; the check keeps the types honest
        lines[member.pk] = TeamMemberLine(member)
        digests[team.manager_id].team.append(lines[member.pk])
    stale = (
        Opportunity.objects.filter(owner_id__in=lines, status=OpportunityStatus.OPEN)
        .filter(stale_since__isnull=False)
        .values("owner_id")
        .annotate(total=Count("pk"))
        .order_by()
    )
    for row in stale:
        lines[row["owner_id"]].stale_deals = row["total"]
    overdue = (
        Task.objects.overdue()
        .filter(assignee_id__in=lines)
        .values("assignee_id")
        .annotate(total=Count("pk"))
        .order_by()
    )
    for row in overdue:
        lines[row["assignee_id"]].overdue_tasks = row["total"]


def build_digests(day: dt.date, recipients: Iterable[User]) -> list[Digest]:
    """Every recipient's digest for ``day``, in a fixed number of queries (at most 12)."""
    digests = {user.pk: Digest(recipient=user, day=day) for user in recipients}
    if not digests:
        return []
    ids = list(digests)
    _fill(
        digests,
        "stale_deals",
        Opportunity.objects.filter(owner_id__in=ids, status=OpportunityStatus.OPEN)
        .filter(stale_since__isnull=False)
        .select_related("stage", "company"),
        "owner_id",
        [F("stale_since").asc(), F("pk").asc()],
    )
    _fill(
        digests,
        "overdue_tasks",
        Task.objects.overdue().filter(assignee_id__in=ids).select_related("opportunity"),
        "assignee_id",
        [F("due_at").asc(), F("pk").asc()],
    )
    open_leads = Lead.objects.filter(owner_id__in=ids, status__in=OPEN_STATUSES)
    _fill(
        digests,
        "proposed_leads",
        open_leads.filter(disqualification_proposed_since__isnull=False),
        "owner_id",
        [F("disqualification_proposed_since").asc(), F("pk").asc()],
    )
    _fill(
        digests,
        "last_chance_leads",
        open_leads.filter(
            last_chance_since__isnull=False, disqualification_proposed_since__isnull=True
        ),
        "owner_id",
        [F("last_chance_since").asc(), F("pk").asc()],
    )
    _fill_teams(digests)
    leaders = [
        digest
        for digest in digests.values()
        if digest.recipient.role in (Role.MANAGER, Role.ADMIN) or digest.recipient.is_superuser
    ]
    if leaders:
        alerts = list(
            StageAlert.objects.filter(raised_on=day)
            .select_related("stage__pipeline")
            .order_by("stage__pipeline__position", "stage__position", "kind")
        )
        for digest in leaders:
            digest.alerts = alerts
    return list(digests.values())


def claim_deliveries(day: dt.date, recipient_ids: Sequence[int]) -> set[int]:
    """Insert the day's delivery rows; return the recipients whose row this call inserted.

    One INSERT ... ON CONFLICT DO NOTHING RETURNING: a recipient already sent the digest
    for ``day`` (by an earlier or a concurrent run) is not returned.
    """
    if not recipient_ids:
        return set()
    table = connection.ops.quote_name(DigestDelivery._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    on = connection.ops.adapt_datefield_value(day)
    rows = ", ".join(["(%s, %s, %s)"] * len(recipient_ids))
    params = [value for pk in recipient_ids for value in (pk, on, now)]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (recipient_id, day, created_at) VALUES {rows} "
            "ON CONFLICT (recipient_id, day) DO NOTHING RETURNING recipient_id",
            params,
        )
        return {row[0] for row in cursor.fetchall()}


def _zone(user: User) -> dt.tzinfo:
    if not user.time_zone:
        return timezone.get_default_timezone()
    try:
        return zoneinfo.ZoneInfo(user.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_default_timezone()


def render_digest(digest: Digest) -> EmailMultiAlternatives:
    """The email for one digest, with times in the recipient's zone."""
    site = settings.SITE_URL.rstrip("/")
    context = {
        "digest": digest,
        "site": site,
        "board_url": site + reverse("home"),
        "leads_url": site + reverse("contacts:lead_list"),
        "notifications_url": site + reverse("notifications"),
    }
    with timezone.override(_zone(digest.recipient)):
        text = render_to_string("email/digest.txt", context)
        html = render_to_string("email/digest.html", context)
    subject = _("Your pipeline on %(day)s") % {"day": digest.day.isoformat()}
    message = EmailMultiAlternatives(subject, text, to=[digest.recipient.email])
    message.attach_alternative(html, "text/html")
    return message


def send_digests(day: dt.date) -> int:
    """Send ``day``'s digest to everyone who wants one and has something in it; return sent.

    A digest that fails to send gives its claim back, so a later run can try again.
    """
    digests = [digest for digest in build_digests(day, digest_recipients()) if not digest.is_empty]
    claimed = claim_deliveries(day, [digest.recipient.pk for digest in digests])
    sent = 0
    with get_connection() as mail:
        for digest in digests:
            if digest.recipient.pk not in claimed:
                continue
            try:
                mail.send_messages([render_digest(digest)])
            except Exception:
                # One bad address or template must not cost everyone else their digest.
                logger.exception("Digest for user %s on %s not sent", digest.recipient.pk, day)
                DigestDelivery.objects.filter(recipient=digest.recipient, day=day).delete()
            else:
                sent += 1
    return sent
