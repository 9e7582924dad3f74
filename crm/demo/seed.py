"""Seed an empty database with the whole demo, in one transaction."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.core.management import call_command
from django.db import connection, models, transaction

from accounts.models import Team, User
from contacts.models import (
    Company,
    Contact,
    Lead,
    QualificationAnswer,
    QualificationCriterion,
    RecordField,
)
from crm.demo.catalogue import create_catalogue
from crm.demo.clock import Clock
from crm.demo.companies import create_companies, create_contact_activity
from crm.demo.custom_fields import create_custom_fields
from crm.demo.deal_extras import ExtrasDrafter, Roles
from crm.demo.deals import DealDrafter, create_deals
from crm.demo.leads import create_leads, create_qualification_setup
from crm.demo.people import create_people
from crm.demo.pipelines import create_pipelines
from crm.demo.progress import Progress
from crm.demo.quotas import create_quotas
from forecasting.history import snapshots_from_history
from forecasting.jobs import take_pipeline_snapshot
from forecasting.models import PipelineSnapshot, Quota
from forecasting.rollup_upkeep import rebuild
from pipeline import column_tallies
from pipeline.models import (
    DealContact,
    DealField,
    LineItem,
    Opportunity,
    Pipeline,
    Product,
    Stage,
    StageChange,
    Task,
    Touchpoint,
)
from pipeline.services.buying_roles import add_default_buying_roles

# Models whose rows mean the database is in use; any of them makes it "not empty".
OCCUPYING_MODELS: tuple[type[models.Model], ...] = (
    User,
    Team,
    Pipeline,
    Company,
    Lead,
    Opportunity,
    QualificationCriterion,
    # The demo's product codes and field keys are unique: a second seed would collide.
    Product,
    DealField,
    RecordField,
)
SUMMARY_MODELS: tuple[tuple[str, type[models.Model]], ...] = (
    ("users", User),
    ("teams", Team),
    ("pipelines", Pipeline),
    ("stages", Stage),
    ("companies", Company),
    ("contacts", Contact),
    ("leads", Lead),
    ("qualification answers", QualificationAnswer),
    ("products", Product),
    ("deals", Opportunity),
    ("line items", LineItem),
    ("buying team members", DealContact),
    ("stage changes", StageChange),
    ("touchpoints", Touchpoint),
    ("tasks", Task),
    ("quotas", Quota),
    ("pipeline snapshots", PipelineSnapshot),
)


@dataclass(frozen=True)
class SeedPlan:
    deals: int
    seed: int
    today: dt.date
    companies: int = 300
    contacts: int = 600
    leads: int = 400
    batch_size: int = 5_000


# Deals per snapshot statement: each chunk's months are one INSERT ... SELECT.
SNAPSHOT_BATCH = 20_000
# Nights before today with a snapshot of every open deal, as the nightly job writes them:
# the movement on the dashboard looks back a week unless a month or so is picked.
RECENT_NIGHTS = 35


def database_is_empty() -> bool:
    return not any(model.objects.exists() for model in OCCUPYING_MODELS)


def seed_demo(plan: SeedPlan, progress: Progress, *, flush: bool = False) -> None:
    """Fill the database with the demo; with ``flush``, empty it of everything first.

    One transaction for everything, at any size: a failed or interrupted seed leaves the
    database as it was, so ``--if-empty`` can simply run again. Per-batch commits would buy
    nothing at a million deals: the inserts take no locks anyone waits for, PostgreSQL
    writes the same WAL either way, and its one per-transaction cost, the queue of deferred
    foreign-key checks, is settled batch by batch (core.bulk_insert.settle_deferred_checks).
    SQLite is much faster committing once.
    """
    clock = Clock(plan.today)

    def rng(part: str) -> random.Random:
        # A stream per part: tuning leads leaves the deals of a given seed unchanged.
        return random.Random(f"{plan.seed}:{part}")

    with transaction.atomic():
        if flush:
            if connection.vendor == "postgresql":
                # PostgreSQL refuses to TRUNCATE a table with deferred foreign-key checks
                # pending, as there are when the caller's transaction already wrote rows.
                connection.check_constraints()
            call_command("flush", interactive=False, verbosity=0)
            progress.done("flushed tables", len(connection.introspection.django_table_names()))
        # A flush empties the roles migration 0010 added; the deal panel offers these.
        add_default_buying_roles()
        people = create_people(clock)
        progress.done("users", len(people.sellers) + 1)
        layouts = create_pipelines(clock)
        progress.done("pipelines", len(layouts))
        products = create_catalogue(clock)
        progress.done("products", len(products))
        fields = create_custom_fields(clock)
        company_values = rng("company fields")
        companies = create_companies(
            rng("companies"),
            clock,
            people,
            companies=plan.companies,
            contacts=plan.contacts,
            custom_values=lambda: fields.company_values(company_values),
        )
        progress.done("companies", len(companies))
        create_contact_activity(rng("contact activity"), clock, people, companies)
        criteria = create_qualification_setup()
        converted = create_leads(rng("leads"), clock, people, companies, criteria, count=plan.leads)
        progress.done("leads", plan.leads)
        progress.done("quotas", create_quotas(rng("quotas"), clock, people, deals=plan.deals))
        extras = ExtrasDrafter(rng("deal extras"), products, Roles.load(), fields)
        drafter = DealDrafter(
            rng("deals"), clock, layouts, companies, converted, people.utc_offsets, extras
        )
        create_deals(
            drafter,
            total=plan.deals,
            batch_size=plan.batch_size,
            report=lambda done, total: progress.advance("deals", done, total),
        )
        # The demo's history begins 18 months back: the backtest reads what the nightly
        # snapshots said on each first of the month, the pipeline movement the recent nights.
        recent = [plan.today - dt.timedelta(days=back) for back in range(1, RECENT_NIGHTS + 1)]
        deal_ids = list(Opportunity.objects.order_by("pk").values_list("pk", flat=True))
        written = 0
        for start in range(0, len(deal_ids), SNAPSHOT_BATCH):
            chunk = deal_ids[start : start + SNAPSHOT_BATCH]
            written += snapshots_from_history(
                chunk, since=clock.history_start, today=plan.today, nights=recent
            )
            progress.advance("snapshots", min(start + SNAPSHOT_BATCH, len(deal_ids)), len(deal_ids))
        # Tonight's, as the nightly job would take it: the movement compares up to today.
        written += take_pipeline_snapshot(plan.today)
        progress.done("snapshots", written)
        progress.done("rollup rows", rebuild())
        progress.done("column tally rows", len(column_tallies.recount()))
        if connection.vendor == "postgresql":
            # Fresh planner statistics: the first dashboard should not wait for autovacuum.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            progress.done("analyzed tables", len(connection.introspection.django_table_names()))


def row_counts() -> list[tuple[str, int]]:
    return [(label, model.objects.count()) for label, model in SUMMARY_MODELS]
