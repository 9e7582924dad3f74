"""When two leads are the same prospect: the same email, or the same company domain.

Emails match case-insensitively. Domains are compared normalised (lower case, without scheme,
``www.``, port or path), and a lead without a domain is matched by the domain of its email,
unless that is a free-mail provider: two people writing from gmail.com work for no common
company.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.db.models.lookups import Exact

from contacts.models import Lead

if TYPE_CHECKING:
    from collections.abc import Iterable

FREE_MAIL_DOMAINS = frozenset(
    {
        "163.com",
        "aol.com",
        "fastmail.com",
        "gmail.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "googlemail.com",
        "hey.com",
        "hotmail.com",
        "icloud.com",
        "libero.it",
        "live.com",
        "mac.com",
        "mail.com",
        "mail.ru",
        "me.com",
        "msn.com",
        "outlook.com",
        "proton.me",
        "protonmail.com",
        "qq.com",
        "t-online.de",
        "tiscali.it",
        "virgilio.it",
        "web.de",
        "yahoo.co.id",
        "yahoo.co.uk",
        "yahoo.com",
        "yahoo.de",
        "yahoo.it",
        "yandex.com",
        "yandex.ru",
        "ymail.com",
        "zoho.com",
    }
)


def normalise_domain(value: str) -> str:
    """``https://www.Acme.com/about`` -> ``acme.com``; empty stays empty."""
    value = value.strip().lower()
    if not value:
        return ""
    host = urlsplit(value if "//" in value else f"//{value}").hostname or ""
    host = host.rstrip(".")
    return host.removeprefix("www.")


def email_domain(email: str) -> str:
    """The company domain an email address reveals; empty for free mail or no address."""
    _local, at, domain = email.strip().rpartition("@")
    domain = normalise_domain(domain) if at else ""
    return "" if domain in FREE_MAIL_DOMAINS else domain


def duplicate_keys(*, email: str, company_domain: str) -> tuple[str, str]:
    """What a lead is matched on: its lower-cased email and its (derived) company domain."""
    domain = normalise_domain(company_domain) or email_domain(email)
    if domain in FREE_MAIL_DOMAINS:
        domain = ""
    return email.strip().lower(), domain


def find_duplicate_leads(
    *, email: str, company_domain: str, exclude: Lead | None = None
) -> QuerySet[Lead]:
    """Every lead, visible or not, that matches by email or company domain; oldest first.

    Callers showing the matches to a user filter them with ``visible_to`` and say that
    others exist without naming them.
    """
    email_key, domain = duplicate_keys(email=email, company_domain=company_domain)
    condition = Q()
    if email_key:
        # LOWER(email) = key, not email__iexact (UPPER on PostgreSQL): it uses lead_email_ci_idx.
        condition |= Q(Exact(Lower("email"), email_key))
    if domain:
        condition |= Q(company_domain=domain)
    if not condition:
        return Lead.objects.none()
    matches = Lead.objects.filter(condition)
    if exclude is not None and exclude.pk is not None:
        matches = matches.exclude(pk=exclude.pk)
    return matches.order_by("created_at", "pk")


def hold_duplicate_keys(keys: Iterable[str]) -> None:
    """Serialise concurrent writes of leads with the same email or domain until commit.

    Without this, two requests creating the same prospect at once would both find no
    duplicate and both insert. PostgreSQL transaction-scoped advisory locks, taken in a
    fixed order so that two writers never wait on each other in a cycle; SQLite already
    lets one writer in at a time.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for key in sorted({key for key in keys if key}):
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"lead:{key}"])
