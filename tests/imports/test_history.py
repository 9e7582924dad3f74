"""Acceptance: a 15-month deals history imported, and the figures it must give.

The file below is written by hand: January 2024 to March 2025, four owners, ten won, seven
lost and seven open deals, some moved through several stages, some named by the stage
they were in when won (as Pipedrive writes them), lost ones mostly without a reason. The
answers are worked out by hand from the file, not from the code.
"""

import datetime as dt
import statistics
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, TruncQuarter

from accounts.models import Notification
from forecasting.models import PipelineSnapshot
from pipeline.jobs import flag_stale_deals
from pipeline.models import Opportunity, OpportunityStatus, StageChange, StageKind
from tests.factories import CompanyFactory, PipelineFactory, StageFactory
from tests.imports.importing import run_import

UTC = dt.UTC

HISTORY = """\
external_id,title,company,owner,stage,status,value,currency,created_at,first_engaged_at,stage_entered_at,closed_at,last_touch_at,lost_reason
W01,Acme rollout,Acme,alice,Negotiation,won,10000,EUR,2024-01-08,2023-12-15,2024-02-01,2024-02-19,,
W02,Globex pilot,Globex,bob,Won,won,5000,EUR,2024-02-01,,,2024-03-28,,
W03,Licences,Initech,alice,Proposal,won,8000,EUR,2024-03-10,,2024-04-15,2024-06-30T23:30:00Z,,
W04,Acme support,Acme,charlie,Won,,12000,EUR,2024-04-02,2024-03-20,,2024-07-01 00:10:00+02:00,,
W05,Globex upgrade,Globex,bob,Negotiation,won,3000,EUR,2024-05-15,,2024-07-01,2024-08-20,,
W06,Platform,Initech,sam,Negotiation,won,20000,EUR,2024-06-03,2024-05-01,2024-09-02,2024-09-30,,
W07,Acme training,Acme,alice,Won,won,7000,EUR,2024-08-12,,,2024-11-05,,
W08,Globex renewal,Globex,charlie,Negotiation,won,15000,EUR,2024-10-01,,2024-12-02,2025-01-14,,
W09,Initech add-on,Initech,bob,Proposal,won,4000,EUR,2024-11-20,2024-11-01,2025-01-10,2025-02-27,,
W10,Acme second site,Acme,sam,Won,won,9000,EUR,2025-01-06,,,2025-03-31 12:00,,
L01,Globex analytics,Globex,bob,Qualify,lost,6000,EUR,2024-01-15,,,2024-02-10,,Price
L02,Initech audit,Initech,alice,Proposal,lost,4000,EUR,2024-02-20,,2024-03-05,2024-04-18,,
L03,Acme kiosk,Acme,charlie,Lost,,5000,EUR,2024-05-06,,,2024-06-12,,
L04,Migration,Globex,sam,Negotiation,lost,11000,EUR,2024-07-01,,2024-08-15,2024-09-10,,Competitor
L05,Initech mobile,Initech,alice,Qualify,lost,2000,EUR,2024-09-09,,,2024-10-22,,
L06,Acme archive,Acme,bob,Proposal,lost,3500,EUR,2024-11-04,,2024-12-01,2025-01-20,,
L07,Globex security,Globex,charlie,Lost,lost,8000,EUR,2025-01-13,,,2025-03-03,,
O01,Initech helpdesk,Initech,alice,Qualify,open,2500,EUR,2025-03-10,,,,2025-03-25,
O02,Acme reporting,Acme,bob,Qualify,open,3000,EUR,2025-01-20,,,,,
O03,Globex hosting,Globex,charlie,Proposal,open,9500,EUR,2024-12-02,,2025-03-20,,2025-03-28,
O04,Initech data,Initech,sam,Proposal,open,6000,EUR,2025-01-08,,2025-02-10,,2025-03-30,
O05,Acme payroll,Acme,alice,Negotiation,open,14000,EUR,2024-10-14,,2025-03-18,,2025-03-29,
O06,Globex chat,Globex,bob,Negotiation,open,4500,EUR,2024-11-11,,2025-03-17 12:00,,2025-03-31,
O07,Initech wiki,Initech,charlie,Proposal,open,1500,EUR,2024-06-10,,2024-07-01,,2024-08-01,
"""


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def quarter(year: int, number: int) -> tuple[dt.datetime, dt.datetime]:
    start = at(f"{year}-{3 * number - 2:02d}-01")
    end = at(f"{year + 1}-01-01") if number == 4 else at(f"{year}-{3 * number + 1:02d}-01")
    return start, end


def win_rate(start: dt.datetime, end: dt.datetime) -> tuple[int, int]:
    """(won, won + lost) among the deals closed in [start, end)."""
    closed = Opportunity.objects.filter(closed_at__gte=start, closed_at__lt=end).aggregate(
        won=Count("pk", filter=Q(status=OpportunityStatus.WON)),
        closed=Count("pk", filter=~Q(status=OpportunityStatus.OPEN)),
    )
    return closed["won"], closed["closed"]


@pytest.fixture
def imported(ada, alice, bob, charlie, sam):
    """The history imported by an admin into Sales: Qualify, Proposal, Negotiation, Won, Lost."""
    sales = PipelineFactory(name="Sales", position=0)
    StageFactory(pipeline=sales, name="Qualify", position=1, probability=20, rotting_days=30)
    StageFactory(pipeline=sales, name="Proposal", position=2, probability=50, rotting_days=21)
    StageFactory(pipeline=sales, name="Negotiation", position=3, probability=80, rotting_days=14)
    StageFactory(pipeline=sales, name="Won", position=4, probability=100, kind=StageKind.WON)
    StageFactory(pipeline=sales, name="Lost", position=5, probability=0, kind=StageKind.LOST)
    for name in ("Acme", "Globex", "Initech"):
        CompanyFactory(name=name, owner=alice)
    return run_import(ada, "deals", HISTORY)


def test_every_row_of_the_history_imports(imported):
    assert (imported.outcome.created, imported.outcome.rejected) == (24, 0)
    counts = dict(
        Opportunity.objects.values("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    assert counts == {"won": 10, "lost": 7, "open": 7}
    reasons = dict(
        Opportunity.objects.lost()
        .values("lost_reason")
        .annotate(n=Count("pk"))
        .values_list("lost_reason", "n")
    )
    assert reasons == {"Price": 1, "Competitor": 1, "Not recorded": 5}
    # Nothing of the history was dated at the import.
    assert not Opportunity.objects.filter(created_at__gte=at("2025-04-01")).exists()
    assert not StageChange.objects.filter(at__gte=at("2025-04-01")).exists()


def test_win_rate_of_a_period_counts_the_deals_closed_in_it(imported):
    # 2024: won W01-W07, lost L01-L05.
    assert win_rate(at("2024-01-01"), at("2025-01-01")) == (7, 12)
    # First quarter of 2025: won W08, W09, W10 (31 March, noon), lost L06, L07.
    assert win_rate(*quarter(2025, 1)) == (3, 5)
    # W03 (30 June, 23:30 UTC) and W04 (1 July, 00:10 at +02:00) closed in June.
    assert win_rate(*quarter(2024, 3)) == (2, 3)


def test_won_value_per_quarter_by_close_date(imported):
    rows = (
        Opportunity.objects.won()
        .annotate(quarter=TruncQuarter("closed_at", tzinfo=UTC))
        .values("quarter")
        .annotate(won=Sum("value"))
        .order_by("quarter")
        .values_list("quarter", "won")
    )
    by_quarter = {(moment.year, (moment.month + 2) // 3): won for moment, won in rows}

    assert by_quarter == {
        (2024, 1): Decimal("15000.00"),  # W01, W02
        (2024, 2): Decimal("20000.00"),  # W03, W04
        (2024, 3): Decimal("23000.00"),  # W05, W06
        (2024, 4): Decimal("7000.00"),  # W07
        (2025, 1): Decimal("28000.00"),  # W08, W09, W10
    }


def test_median_sales_cycle_runs_from_first_engaged_else_created_to_won(imported):
    cycles = {
        deal.external_id: (deal.closed_at - deal.start).days
        for deal in Opportunity.objects.won().annotate(
            start=Coalesce("first_engaged_at", "created_at")
        )
    }

    assert cycles == {
        "W01": 66,  # engaged 15 Dec 2023, won 19 Feb 2024
        "W02": 56,
        "W03": 112,
        "W04": 102,  # engaged 20 March, won 30 June 22:10 UTC
        "W05": 97,
        "W06": 152,  # engaged 1 May, won 30 September
        "W07": 85,
        "W08": 105,
        "W09": 118,
        "W10": 84,
    }
    assert statistics.median(cycles.values()) == 99.5


def test_time_in_stage_comes_from_the_stage_history(imported):
    days: dict[str, dict[str, int]] = defaultdict(dict)
    changes = StageChange.objects.select_related("opportunity", "to_stage").order_by(
        "opportunity_id", "at", "pk"
    )
    previous = None
    for change in changes:
        if previous is not None and previous.opportunity_id == change.opportunity_id:
            days[change.opportunity.external_id][previous.to_stage.name] = (
                change.at - previous.at
            ).days
        previous = change

    # W01: Qualify from its creation (8 January) to 1 February, Negotiation to 19 February.
    assert days["W01"] == {"Qualify": 24, "Negotiation": 18}
    # W02 was named by its Won stage: it started in Qualify and went straight to Won.
    assert days["W02"] == {"Qualify": 56}
    # L02: Qualify 20 Feb - 5 March, Proposal 5 March - 18 April.
    assert days["L02"] == {"Qualify": 14, "Proposal": 44}
    # Time in Negotiation of the deals that left it: W01 18, W05 50, W06 28, W08 43, L04 26.
    negotiation = sorted(
        stages["Negotiation"] for stages in days.values() if "Negotiation" in stages
    )
    assert negotiation == [18, 26, 28, 43, 50]


def test_the_nightly_job_flags_the_old_backlog_with_real_dates_and_notifies_only_new_ones(
    imported, bob
):
    changed = flag_stale_deals(dt.date(2025, 4, 1))

    stale = dict(
        Opportunity.objects.filter(stale_since__isnull=False).values_list(
            "external_id", "stale_since"
        )
    )
    # Limits on 1 April: Qualify 30 days, Proposal 21, Negotiation 14 (O05 entered
    # Negotiation exactly 14 days before: not stale yet).
    assert stale == {
        "O02": dt.date(2025, 2, 19),  # never touched: 30 days after its creation
        "O04": dt.date(2025, 3, 3),  # in Proposal since 10 February
        "O06": dt.date(2025, 3, 31),  # in Negotiation since 17 March, noon
        "O07": dt.date(2024, 7, 22),  # in Proposal since July 2024
    }
    # Only the deal gone stale in the last week is news.
    notices = Notification.objects.values_list("recipient", "message")
    assert list(notices) == [
        (bob.pk, "“Globex chat” has gone stale: no progress or touch for too long.")
    ]
    assert changed == 5


def test_snapshots_show_the_pipeline_as_it_stood_on_past_month_starts(imported):
    night = (
        PipelineSnapshot.objects.filter(taken_on=dt.date(2024, 7, 1))
        .order_by("opportunity__external_id")
        .values_list("opportunity__external_id", "stage__name", "probability")
    )

    # Open at midnight on 1 July 2024: W05 (in Negotiation from that midnight), W06 (Qualify
    # until September), L04 (created that midnight), O07 (in Proposal from that midnight).
    # W03 and W04 closed on 30 June.
    assert list(night) == [
        ("L04", "Qualify", 20),
        ("O07", "Proposal", 50),
        ("W05", "Negotiation", 80),
        ("W06", "Qualify", 20),
    ]
    # The first deals were created on 8 January 2024: 1 February is the first night.
    assert str(PipelineSnapshot.objects.earliest("taken_on").taken_on) == "2024-02-01"


def test_an_old_backlog_of_a_thousand_deals_is_flagged_on_its_first_night_without_a_flood(
    ada, alice
):
    # Given 1,000 open deals imported with their real dates: 990 last moved and touched a
    # year ago, 10 whose 14 days ran out three days ago.
    sales = PipelineFactory(name="Sales", position=0)
    StageFactory(pipeline=sales, name="Proposal", position=1, rotting_days=14)
    CompanyFactory(name="Acme", owner=alice)
    today = dt.datetime.now(UTC).date()
    year_ago = today - dt.timedelta(days=365)
    recently = today - dt.timedelta(days=17)
    rows = [
        f"D-{number},Deal {number},Acme,alice,{recently if number < 10 else year_ago}"
        for number in range(1000)
    ]
    content = "external_id,title,company,owner,created_at\n" + "\n".join(rows) + "\n"
    assert run_import(ada, "deals", content).outcome.created == 1000

    # When the nightly job runs for the first time
    flag_stale_deals(today)

    # Then every deal is stale from the day its limit ran out, and only the ten that went
    # stale this week notify their owner.
    stale_since = dict(
        Opportunity.objects.values("stale_since")
        .annotate(n=Count("pk"))
        .values_list("stale_since", "n")
    )
    assert stale_since == {
        year_ago + dt.timedelta(days=14): 990,
        recently + dt.timedelta(days=14): 10,
    }
    assert Notification.objects.filter(recipient=alice).count() == 10
