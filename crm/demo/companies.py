"""Customer accounts: companies, the people at them, and their touchpoints and tasks."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from contacts.models import Company, Contact
from crm.demo import activity
from crm.demo.clock import DAY, HISTORY_DAYS, Clock, office_moment
from crm.demo.names import (
    COMPANY_WORDS,
    COUNTRIES,
    ENGLISH_SECTORS,
    FIRST_NAMES,
    JOB_TITLES,
    LAST_NAMES,
    LEGAL_FORMS,
    SECTORS,
    Country,
)
from crm.demo.people import People

# The CRM went live eighteen months ago with an import of the existing accounts.
IMPORT_DAYS = (-HISTORY_DAYS, -HISTORY_DAYS + 7)
CHECK_IN = _("Check in with %(name)s")


@dataclass(frozen=True)
class CompanyName:
    name: str
    short_name: str
    domain: str
    industry: str


@dataclass(frozen=True)
class ContactRef:
    pk: int
    first_name: str
    last_name: str
    email: str


@dataclass(frozen=True)
class CompanyRef:
    """What deals and leads need to know about a created company."""

    pk: int
    name: str
    short_name: str
    domain: str
    country: Country
    owner_id: int
    contacts: tuple[ContactRef, ...]


def ascii_slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return slugify(folded)


def pick_country(rng: random.Random) -> Country:
    return rng.choices(COUNTRIES, [country.weight for country in COUNTRIES])[0]


def company_name(rng: random.Random, country: Country, taken: set[str]) -> CompanyName:
    """A plausible company name not in ``taken`` (domains used so far), which it joins."""
    for attempt in range(1, 100):
        industry, local_sectors = rng.choice(SECTORS)
        sector = local_sectors.get(country.locale, ENGLISH_SECTORS[industry])
        word = rng.choice(COMPANY_WORDS[country.locale])
        # Name lists are short: after a few clashes, number the name rather than loop on.
        short_name = f"{word} {sector}" if attempt < 20 else f"{word} {sector} {attempt}"
        domain = f"{ascii_slug(short_name)}.example"
        if domain not in taken:
            break
    taken.add(domain)
    legal = rng.choice(LEGAL_FORMS[country.code])
    name = f"PT {short_name} {legal}".strip() if country.code == "ID" else f"{short_name} {legal}"
    return CompanyName(name=name, short_name=short_name, domain=domain, industry=industry)


def person_name(rng: random.Random, locale: str) -> tuple[str, str]:
    return rng.choice(FIRST_NAMES[locale]), rng.choice(LAST_NAMES[locale])


def phone_number(rng: random.Random, country: Country) -> str:
    return f"{country.phone_prefix} {rng.randint(20, 899)} {rng.randint(1_000_000, 9_999_999)}"


def email_at(first_name: str, last_name: str, domain: str, taken: set[str]) -> str:
    local = ".".join(ascii_slug(part) for part in (first_name, last_name))
    email, suffix = f"{local}@{domain}", 1
    while email in taken:
        suffix += 1
        email = f"{local}{suffix}@{domain}"
    taken.add(email)
    return email


def create_companies(
    rng: random.Random,
    clock: Clock,
    people: People,
    *,
    companies: int,
    contacts: int,
    custom_values: Callable[[], dict[str, Any]] = dict,
) -> list[CompanyRef]:
    """Companies each with at least one contact, the remaining contacts spread at random."""
    domains: set[str] = set()
    rows: list[Company] = []
    countries: list[Country] = []
    short_names: list[str] = []
    for _index in range(companies):
        country = pick_country(rng)
        names = company_name(rng, country, domains)
        countries.append(country)
        short_names.append(names.short_name)
        rows.append(
            Company(
                name=names.name,
                domain=names.domain,
                industry=names.industry,
                country=country.code,
                region=rng.choice(country.regions),
                owner_id=people.pick_seller(rng, country.team).pk,
                created_at=clock.moment(office_moment(rng, rng.randint(*IMPORT_DAYS))),
                custom_fields=custom_values(),
            )
        )
    Company.objects.bulk_create(rows)

    employer = list(range(min(companies, contacts))) + [
        rng.randrange(companies) for _ in range(contacts - companies)
    ]
    emails: set[str] = set()
    people_rows: list[Contact] = []
    for index in employer:
        company, country = rows[index], countries[index]
        first, last = person_name(rng, country.locale)
        people_rows.append(
            Contact(
                company=company,
                first_name=first,
                last_name=last,
                email=email_at(first, last, company.domain, emails),
                phone=phone_number(rng, country),
                job_title=rng.choice(JOB_TITLES),
                owner_id=company.owner_id,
                created_at=company.created_at,
            )
        )
    Contact.objects.bulk_create(people_rows)

    staff: dict[int, list[ContactRef]] = {}
    for index, contact in zip(employer, people_rows, strict=True):
        staff.setdefault(index, []).append(
            ContactRef(contact.pk, contact.first_name, contact.last_name, contact.email)
        )
    return [
        CompanyRef(
            pk=company.pk,
            name=company.name,
            short_name=short_names[index],
            domain=company.domain,
            country=countries[index],
            owner_id=company.owner_id,
            contacts=tuple(staff.get(index, ())),
        )
        for index, company in enumerate(rows)
    ]


def create_contact_activity(
    rng: random.Random, clock: Clock, people: People, companies: list[CompanyRef]
) -> None:
    """Account-care touchpoints for about half the contacts and a few open check-ins."""
    log = activity.Activity(rng, clock)
    check_in = str(CHECK_IN)
    touchpoints: list[tuple] = []
    tasks: list[tuple] = []
    # The day after the import, so that no touchpoint predates its contact.
    since_day = IMPORT_DAYS[1] + 1
    for company in companies:
        offset = people.utc_offsets[company.owner_id]
        for contact in company.contacts:
            subject = activity.about_contact(contact.pk)
            if rng.random() < 0.5:
                for _index in range(rng.randint(1, 2)):
                    at = office_moment(rng, rng.randint(since_day, -1), offset)
                    touchpoints.append(
                        log.touchpoint(at=at, by_id=company.owner_id, subject=subject)
                    )
            if rng.random() < 0.1:
                # Half already overdue: account care is what slips first.
                due = office_moment(rng, rng.randint(-20, 20) or 1, offset)
                tasks.append(
                    log.open_task(
                        earliest=due - 14 * DAY,
                        due=due,
                        assignee_id=company.owner_id,
                        subject=subject,
                        title=check_in % {"name": contact.first_name},
                    )
                )
    activity.touchpoint_writer().write(touchpoints)
    activity.task_writer().write(tasks)
