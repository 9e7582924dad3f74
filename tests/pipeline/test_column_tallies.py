"""The board's column tallies: kept by the database with every write of a deal, read by the
board's headers, recounted and repaired by the nightly run."""

import datetime as dt
import logging
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from pipeline.board import (
    BoardFilters,
    Column,
    board_stages,
    build_columns,
    closed_since,
    column_summaries,
)
from pipeline.column_tallies import Sums, drift
from pipeline.jobs import recount_column_tallies
from pipeline.models import (
    ClosedColumnTally,
    OpenColumnTally,
    Opportunity,
    OpportunityStatus,
    StageKind,
)
from pipeline.services import MoveConflict
from pipeline.services.opportunities import create_opportunity
from pipeline.services.stages import delete_stage
from tests.deal_changes import edit, move
from tests.factories import (
    CompanyFactory,
    OpportunityFactory,
    PipelineFactory,
    StageFactory,
    UserFactory,
)
from tests.imports.importing import run_import

NOW = dt.datetime(2026, 12, 4, 10, 30, tzinfo=dt.UTC)
# PostgreSQL's triggers keep the tallies; on SQLite the board counts the deals themselves.
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the tallies are kept on PostgreSQL"
)


@pytest.fixture
def sales(db):
    pipeline = PipelineFactory(name="Sales", position=0)
    return {
        "pipeline": pipeline,
        "lead": StageFactory(pipeline=pipeline, name="Lead", position=1, probability=10),
        "offer": StageFactory(pipeline=pipeline, name="Offer", position=2, probability=50),
        "won": StageFactory(
            pipeline=pipeline, name="Won", position=3, kind=StageKind.WON, probability=100
        ),
        "lost": StageFactory(
            pipeline=pipeline, name="Lost", position=4, kind=StageKind.LOST, probability=0
        ),
    }


def summed(rows, *key):
    """What a tally table's rows add up to by ``key``; keys adding up to nothing left out."""
    sums = rows.values_list(*key).annotate(n=Sum("deals"), v=Sum("value")).order_by()
    return {tuple(row[:-2]): row[-2:] for row in sums if row[-2:] != (0, Decimal("0"))}


def open_rows() -> dict[tuple[str, str, str], tuple[int, Decimal]]:
    """The open tallies by stage name, owner and currency."""
    return summed(OpenColumnTally.objects, "stage__name", "owner__username", "currency")


def closed_rows() -> dict[tuple[str, dt.date, str, str], tuple[int, Decimal]]:
    return summed(
        ClosedColumnTally.objects, "stage__name", "closed_on", "owner__username", "currency"
    )


def new_deal(sales, owner, value, currency="EUR", stage=None):
    return create_opportunity(
        by=owner,
        title="Deal",
        pipeline=sales["pipeline"],
        stage=stage,
        value=Decimal(value),
        currency=currency,
        company=CompanyFactory(owner=owner),
        owner=owner,
    )


@on_postgresql
def test_every_kind_of_write_keeps_the_tallies_equal_to_a_recount(
    client, sales, alice, bob, maria, ada
):
    today = timezone.now().astimezone(dt.UTC).date()
    first = new_deal(sales, alice, "1000.00")
    second = new_deal(sales, alice, "3000.00")
    third = new_deal(sales, bob, "500.00", "USD")
    assert open_rows() == {
        ("Lead", "alice", "EUR"): (2, Decimal("4000.00")),
        ("Lead", "bob", "USD"): (1, Decimal("500.00")),
    }

    move(first, sales["offer"], alice)
    move(second, sales["won"], alice)
    move(third, sales["lost"], bob, lost_reason="Price")
    assert open_rows() == {("Offer", "alice", "EUR"): (1, Decimal("1000.00"))}
    assert closed_rows() == {
        ("Won", today, "alice", "EUR"): (1, Decimal("3000.00")),
        ("Lost", today, "bob", "USD"): (1, Decimal("500.00")),
    }
    assert drift() == []

    move(third, sales["lead"], bob)  # reopened: back among the open deals
    edit(first, alice, value=Decimal("1200.00"), currency="USD")
    edit(first, maria, owner=bob)  # the manager gives it to a teammate
    assert open_rows() == {
        ("Lead", "bob", "USD"): (1, Decimal("500.00")),
        ("Offer", "bob", "USD"): (1, Decimal("1200.00")),
    }
    assert closed_rows() == {("Won", today, "alice", "EUR"): (1, Decimal("3000.00"))}
    assert drift() == []

    # Written past the services: a factory's INSERT and a bulk UPDATE are counted too.
    OpportunityFactory(
        pipeline=sales["pipeline"], stage=sales["offer"], owner=alice, value=Decimal("70.00")
    )
    Opportunity.objects.filter(pk=third.pk).update(value=Decimal("650.00"))
    assert open_rows()[("Offer", "alice", "EUR")] == (1, Decimal("70.00"))
    assert open_rows()[("Lead", "bob", "USD")] == (1, Decimal("650.00"))

    # A stage removed with its deals moved on; a deal deleted in the admin.
    delete_stage(stage=sales["lead"], move_deals_to=sales["offer"], by=ada)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.post(f"/admin/pipeline/opportunity/{second.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert open_rows() == {
        ("Offer", "alice", "EUR"): (1, Decimal("70.00")),
        ("Offer", "bob", "USD"): (2, Decimal("1850.00")),
    }
    assert closed_rows() == {}
    assert drift() == []


IMPORT = """external_id,title,company,stage,status,value,created_at,won_at,lost_at,lost_reason
D-1,Renewal,Acme,Offer,won,1000.00,2025-04-01,2025-04-11,,
D-2,Upsell,Acme,Offer,lost,200.00,2025-04-02,,2025-06-30,Price
D-3,Pilot,Acme,Offer,open,900.00,2025-06-01,,,
"""


@on_postgresql
def test_an_import_is_counted_on_the_days_its_deals_closed(sales, alice):
    CompanyFactory(name="Acme", owner=alice)

    result = run_import(alice, "deals", IMPORT)

    assert result.rejections == []
    assert open_rows() == {("Offer", "alice", "EUR"): (1, Decimal("900.00"))}
    # The won and lost columns' rows of the days the history gives, whatever stage it names.
    assert {key[:2]: sums for key, sums in closed_rows().items()} == {
        ("Won", dt.date(2025, 4, 11)): (1, Decimal("1000.00")),
        ("Lost", dt.date(2025, 6, 30)): (1, Decimal("200.00")),
    }
    assert drift() == []


def headers(user, sales, filters=None):
    stages = board_stages(sales["pipeline"])
    columns = build_columns(user, sales["pipeline"], stages, filters or BoardFilters(), NOW)
    return {
        column.stage.name: (
            column.count,
            [(total.currency, total.value, total.weighted) for total in column.totals],
        )
        for column in columns
    }


def closed_deal(sales, stage, owner, value, at):
    status = OpportunityStatus.WON if stage.kind == StageKind.WON else OpportunityStatus.LOST
    return OpportunityFactory(
        pipeline=sales["pipeline"],
        stage=stage,
        owner=owner,
        status=status,
        value=Decimal(value),
        closed_at=at,
        lost_reason="Price" if status == OpportunityStatus.LOST else "",
    )


def test_the_headers_count_what_each_user_may_see_and_the_filters_keep(
    sales, alice, bob, charlie, maria
):
    for owner, value in ((alice, "100.00"), (alice, "300.00"), (bob, "50.00"), (charlie, "7.00")):
        OpportunityFactory(
            pipeline=sales["pipeline"], stage=sales["offer"], owner=owner, value=Decimal(value)
        )
    OpportunityFactory(
        pipeline=sales["pipeline"],
        stage=sales["offer"],
        owner=alice,
        value=Decimal("40.00"),
        currency="USD",
        title="Greenhouse",
    )
    closed_deal(sales, sales["won"], alice, "900.00", NOW - dt.timedelta(days=2))

    # Alice sees her team (bob) but not charlie's south team.
    assert headers(alice, sales) == {
        "Lead": (0, []),
        "Offer": (
            4,
            [
                ("EUR", Decimal("450.00"), Decimal("225.00")),
                ("USD", Decimal("40.00"), Decimal("20.00")),
            ],
        ),
        "Won": (1, [("EUR", Decimal("900.00"), Decimal("900.00"))]),
        "Lost": (0, []),
    }
    assert headers(alice, sales, BoardFilters(owner=bob.pk))["Offer"] == (
        1,
        [("EUR", Decimal("50.00"), Decimal("25.00"))],
    )
    assert headers(maria, sales, BoardFilters(owner="me"))["Offer"] == (0, [])
    assert headers(maria, sales, BoardFilters(team_id=alice.team_id))["Won"][0] == 1
    # A filter the tallies do not hold (the title) counts the matching deals themselves.
    assert headers(alice, sales, BoardFilters(text="greenhouse"))["Offer"] == (
        1,
        [("USD", Decimal("40.00"), Decimal("20.00"))],
    )
    assert headers(charlie, sales)["Offer"] == (1, [("EUR", Decimal("7.00"), Decimal("3.50"))])


def test_a_closed_column_begins_at_midnight_utc_thirty_days_back_for_cards_and_header(sales, alice):
    start = closed_since(NOW)
    assert start == dt.datetime(2026, 11, 4, tzinfo=dt.UTC)
    first_in = closed_deal(sales, sales["lost"], alice, "10.00", start)
    closed_deal(sales, sales["lost"], alice, "20.00", start - dt.timedelta(microseconds=1))

    stages = board_stages(sales["pipeline"])
    columns = build_columns(alice, sales["pipeline"], stages, BoardFilters(), NOW)

    [lost] = [column for column in columns if column.stage == sales["lost"]]
    assert [card.pk for card in lost.cards] == [first_in.pk]
    assert (lost.count, lost.totals[0].value) == (1, Decimal("10.00"))


@on_postgresql
def test_the_nightly_recount_repairs_drift_says_so_and_folds_the_rows(sales, alice, caplog):
    deal = new_deal(sales, alice, "250.00")
    move(deal, sales["offer"], alice)
    move(deal, sales["lead"], alice)
    # Five rows for the Lead key now (in, out, in) and two for Offer, adding up to one deal.
    assert OpenColumnTally.objects.count() == 5
    OpenColumnTally.objects.create(
        stage=sales["lead"], owner=alice, currency="EUR", deals=4, value=Decimal("0.00")
    )
    [found] = drift()
    assert (found.key, found.stored, found.counted) == (
        (sales["lead"].pk, alice.pk, "EUR"),
        Sums(5, Decimal("250.00")),
        Sums(1, Decimal("250.00")),
    )

    with caplog.at_level(logging.WARNING, logger="pipeline.jobs"):
        repaired = recount_column_tallies(dt.date(2026, 12, 4))

    assert repaired == 1
    assert "stored Sums(deals=5, value=Decimal('250.00'))" in caplog.text
    assert drift() == []
    # Folded: one row for the deal's key; the Offer key, which adds up to nothing, none.
    assert list(OpenColumnTally.objects.values_list("stage", "deals", "value")) == [
        (sales["lead"].pk, 1, Decimal("250.00"))
    ]
    assert recount_column_tallies(dt.date(2026, 12, 5)) == 0


@on_postgresql
def test_board_headers_read_a_few_tally_rows_not_the_deals(sales, alice, django_assert_num_queries):
    for _ in range(3):
        OpportunityFactory(pipeline=sales["pipeline"], stage=sales["offer"], owner=alice)
    # A tally row no deal stands behind: the header counts it, as only a read of the
    # tallies (not of the deals) would.
    OpenColumnTally.objects.create(
        stage=sales["offer"], owner=alice, currency="EUR", deals=2, value=Decimal("0.00")
    )

    columns = {stage.pk: Column(stage=stage) for stage in board_stages(sales["pipeline"])}
    with django_assert_num_queries(1):
        column_summaries(alice, sales["pipeline"], BoardFilters(), NOW, columns)
    assert columns[sales["offer"].pk].count == 5


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_moves_edits_imports_and_merges_leave_no_drift(sales, alice, bob):
    """Moves in opposite directions between the same two columns of one owner change the
    same two tally rows in opposite orders of stage: they must not deadlock."""
    from contacts.services.companies import merge_companies

    forth = [new_deal(sales, alice, "10.00", stage=sales["lead"]) for _ in range(6)]
    back = [new_deal(sales, alice, "20.00", stage=sales["offer"]) for _ in range(6)]
    CompanyFactory(name="Acme", owner=alice)
    keep, merged = CompanyFactory(owner=alice), CompanyFactory(owner=alice)
    for company in (keep, merged):
        OpportunityFactory(
            pipeline=sales["pipeline"], stage=sales["offer"], owner=alice, company=company
        )
    start = threading.Barrier(6)
    errors: list[BaseException] = []

    def worker(job) -> None:
        try:
            start.wait(timeout=60)
            job()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    def retrying(change) -> None:
        """As a user does when a teammate changed the deal first: read it again, retry."""
        for _ in range(10):
            try:
                return change()
            except MoveConflict:
                continue
        raise AssertionError("ten conflicts in a row")

    def moves(deals, there, back_again):
        def run() -> None:
            for deal in deals:
                retrying(lambda deal=deal: move(deal, there, alice))
            for deal in deals:
                retrying(lambda deal=deal: move(deal, back_again, alice))

        return run

    def creates() -> None:
        for value in ("1.00", "2.00", "3.00"):
            new_deal(sales, bob, value)

    def edits() -> None:
        for deal in forth[:3]:
            retrying(lambda deal=deal: edit(deal, alice, value=Decimal("11.00")))

    jobs = [
        moves(forth, sales["offer"], sales["lead"]),
        moves(back, sales["lead"], sales["offer"]),
        creates,
        edits,
        lambda: run_import(alice, "deals", IMPORT),
        lambda: merge_companies(by=alice, keep_id=keep.pk, merge_id=merged.pk),
    ]
    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert drift() == []
    assert open_rows()[("Lead", "bob", "EUR")] == (3, Decimal("6.00"))
