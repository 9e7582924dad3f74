"""The board at scale: server time of GET /pipelines/<id>/board/ and its fragments.

In-process with django.test.Client, so the time is Django's (middleware, session, views,
SQL, templates) without a network or a browser. The biggest pipeline, as a manager (their
team's deals) and as an admin (every deal); then a text-filtered board and a deep "Load
more" page of the largest column. Each case: warm-up runs first, then the timed runs.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, replace

from django.db.models import Count, Q
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from bench.common import BenchError, Row, Sample, Target, duration, say, timed
from contacts.models import Company
from pipeline.board import BoardFilters, board_deals, cursor_after
from pipeline.models import Opportunity, OpportunityStatus, Pipeline, Stage

RUNS = 20
WARM_UPS = 2
# The board's filter form and "Load more" are htmx requests for a fragment.
HTMX = {"HX-Request": "true"}
# What the issue "The board at 100,000 open deals" asks of the board.
MANAGER_BOARD = Target(median_ms=60)
ADMIN_BOARD = Target(median_ms=60, queries=10)
TEXT_SEARCH = Target(median_ms=60)


@dataclass(frozen=True)
class Case:
    name: str
    user: User
    url: str
    headers: Mapping[str, str]
    notes: str
    target: Target | None = None


def biggest_pipeline() -> Pipeline:
    is_open = Q(stages__opportunities__status=OpportunityStatus.OPEN)
    pipeline = (
        Pipeline.objects.annotate(open_deals=Count("stages__opportunities", filter=is_open))
        .order_by("-open_deals", "pk")
        .first()
    )
    if pipeline is None:
        raise BenchError("No pipeline in the bench database: seed it first.")
    return pipeline


def first_user(role: str) -> User:
    user = User.objects.filter(role=role, is_active=True).order_by("pk").first()
    if user is None:
        raise BenchError(f"No active user with the role {role!r} in the bench database.")
    return user


def largest_column(user: User, pipeline: Pipeline, *, open_only: bool = False) -> tuple[Stage, int]:
    """The stage with the most deals on ``user``'s board, and how many."""
    deals = board_deals(user, pipeline, BoardFilters(), timezone.now())
    if open_only:
        deals = deals.filter(status=OpportunityStatus.OPEN)
    row = deals.values("stage_id").annotate(deals=Count("pk")).order_by("-deals").first()
    if row is None:
        raise BenchError(f"The pipeline {pipeline} has no deals on the board.")
    return Stage.objects.get(pk=row["stage_id"]), row["deals"]


def board_case(name: str, user: User, pipeline: Pipeline, target: Target | None = None) -> Case:
    stage, deals = largest_column(user, pipeline)
    open_stage, open_deals = largest_column(user, pipeline, open_only=True)
    total = board_deals(user, pipeline, BoardFilters(), timezone.now()).count()
    notes = (
        f"{total:,} deals on the board; largest column {stage.name}: {deals:,}, "
        f"largest open column {open_stage.name}: {open_deals:,}"
    )
    return Case(name, user, reverse("pipeline:board", args=[pipeline.pk]), {}, notes, target)


def search_case(user: User, pipeline: Pipeline) -> Case:
    """The filter form's request: the #board fragment for a company's name."""
    company = (
        Company.objects.annotate(
            deals=Count("opportunities", filter=Q(opportunities__pipeline=pipeline))
        )
        .order_by("-deals", "pk")
        .first()
    )
    if company is None:
        raise BenchError("No company in the bench database.")
    filters = BoardFilters(text=company.name)
    matching = board_deals(user, pipeline, filters, timezone.now()).count()
    url = reverse("pipeline:board", args=[pipeline.pk]) + "?" + filters.query_string()
    notes = f"q={company.name!r}: {matching:,} matching deals"
    headers = {**HTMX, "HX-Target": "board"}
    return Case("board, text search (admin)", user, url, headers, notes, TEXT_SEARCH)


def load_more_case(user: User, pipeline: Pipeline) -> Case:
    """The "Load more" page half-way down the largest open column (keyset pagination)."""
    stage, deals = largest_column(user, pipeline, open_only=True)
    column = Opportunity.objects.filter(stage=stage, status=OpportunityStatus.OPEN)
    middle = deals // 2
    card = column.select_related("stage").order_by("position", "pk")[middle]
    query = urllib.parse.urlencode({"after": cursor_after(card)})
    url = reverse("pipeline:board_column", args=[pipeline.pk, stage.pk]) + f"?{query}"
    notes = f"{stage.name}, after card {middle:,} of {deals:,}"
    return Case("board, load more deep in a column (admin)", user, url, HTMX, notes)


def measure(case: Case, runs: int = RUNS, warm_ups: int = WARM_UPS) -> Row:
    client = Client()
    client.force_login(case.user)
    samples: list[Sample] = []
    size = 0
    say(f"board: {case.name}: {warm_ups} warm-ups + {runs} runs of GET {case.url}")
    for index in range(warm_ups + runs):
        response, sample = timed(lambda: client.get(case.url, headers=case.headers))
        if response.status_code != 200:
            raise BenchError(f"GET {case.url} as {case.user} answered {response.status_code}.")
        size = len(response.content)
        if index >= warm_ups:
            samples.append(sample)
    kilobytes = size / 1024
    row = Row.from_samples(case.name, samples, f"{case.notes}; {kilobytes:,.0f} KB", case.target)
    row = replace(row, kilobytes=kilobytes)
    say(f"board: {case.name}: median {duration(row.median)}, {row.queries} queries")
    for line in row.costliest:
        say(f"  {line}")
    return row


def run() -> list[Row]:
    pipeline = biggest_pipeline()
    manager, admin = first_user(Role.MANAGER), first_user(Role.ADMIN)
    say(f"board: pipeline {pipeline.name!r} (id {pipeline.pk}); manager {manager}, admin {admin}")
    cases = [
        board_case(f"board page (manager: {manager.username})", manager, pipeline, MANAGER_BOARD),
        board_case(f"board page (admin: {admin.username})", admin, pipeline, ADMIN_BOARD),
        search_case(admin, pipeline),
        load_more_case(admin, pipeline),
    ]
    return [measure(case) for case in cases]
