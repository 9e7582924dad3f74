"""Observed chances of ended periods, stored per owner: the hand-counted answers, the same as
counting live, and still so after every way history is rewritten."""

import datetime as dt
from decimal import Decimal

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from forecasting.jobs import recount_rollups
from forecasting.models import ObservedFill, ObservedPeriod, ReportZone
from forecasting.observed import observed_chances
from forecasting.observed_periods import (
    OBSERVED_LOCK,
    is_settled,
    share_owner_locks,
    take_owner_locks,
)
from forecasting.observed_upkeep import drift, oldest_kept
from forecasting.periods import parse_period, quarter_of
from forecasting.rollup_upkeep import rebuild
from forecasting.scope import ReportScope
from pipeline.models import StageChange, StageKind
from tests.factories import CompanyFactory, UserFactory
from tests.forecasting.histories import at, deal_with, make_stages
from tests.forecasting.test_rollups import edit
from tests.imports.importing import run_import

Q3 = parse_period("2026-Q3")
# On PostgreSQL a read that counts takes its owners' advisory locks, in one statement.
LOCKS = 1 if connection.vendor == "postgresql" else 0


@pytest.fixture
def stages(db):
    return make_stages()


@pytest.fixture
def kept(db, alice, bob, charlie, maria, ada):
    """The rollups kept in the site's zone (UTC in tests), so ended periods are stored."""
    rebuild()
    assert list(ReportZone.objects.values_list("name", "ready")) == [("UTC", True)]


@pytest.fixture
def history(stages, kept, alice, bob, charlie):
    """The history of tests/forecasting/test_observed.py, as Maria (Alice's and Bob's
    manager) sees it at the start of Q2 2026."""
    deals = {}
    # In Offer when Q2 began (1 Apr), 11 days in: five deals, three won during Q2.
    for index in range(5):
        outcome = ("won", at(2026, 5, 10)) if index < 3 else ("lost", at(2026, 6, 1))
        deals[f"alice {index}"] = deal_with(
            stages, alice, [("qualify", at(2026, 3, 1)), ("offer", at(2026, 3, 20)), outcome]
        )
    # In Offer when Q2 began, 89 days in: four deals, one won in Q2, one won in Q3 (too late).
    deal_with(stages, bob, [("offer", at(2026, 1, 1)), ("won", at(2026, 6, 30))])
    deal_with(stages, bob, [("offer", at(2026, 1, 1)), ("won", at(2026, 7, 2))])
    deal_with(stages, bob, [("offer", at(2026, 1, 1))])
    # Lost in May, reopened into Offer and won in June: reached Won within Q2.
    deal_with(
        stages,
        bob,
        [
            ("offer", at(2026, 1, 1)),
            ("lost", at(2026, 5, 1)),
            ("offer", at(2026, 6, 1)),
            ("won", at(2026, 6, 20)),
        ],
    )
    # Left Offer for Qualify before Q2 began: observed in Qualify, not Offer.
    deals["bob left"] = deal_with(
        stages, bob, [("offer", at(2026, 3, 1)), ("qualify", at(2026, 3, 25))]
    )
    # Another team's deal: Maria cannot see it.
    deals["charlie"] = deal_with(
        stages, charlie, [("offer", at(2026, 3, 20)), ("won", at(2026, 4, 5))]
    )
    return deals


def counts(chances):
    """Per stage name, (observed, won) in each age bucket."""
    return {
        stage.stage_name: [(chance.observed, chance.won) for chance in stage.by_age]
        for stage in chances
    }


def live(user, period):
    """The chances counted from the history, with nothing stored read or written."""
    ReportZone.objects.update(ready=False)
    try:
        return observed_chances(ReportScope(user, period))
    finally:
        ReportZone.objects.update(ready=True)


def stored(user, period):
    return observed_chances(ReportScope(user, period))


def test_stored_chances_are_the_hand_counted_ones_and_the_live_ones(history, maria, alice, bob):
    answer = counts(stored(maria, Q3))

    # Offer at 1 Apr: 5 young deals (3 won), 4 of 89 days (2 won in Q2); Qualify: Bob's one.
    assert answer == {"Qualify": [(1, 0), (0, 0), (0, 0)], "Offer": [(5, 3), (4, 2), (0, 0)]}
    assert counts(live(maria, Q3)) == answer
    offer = {stage.stage_name: stage for stage in stored(maria, Q3)}["Offer"]
    assert offer.overall.chance == Decimal("0.5556")
    # Each owner Maria sees (herself, Alice, Bob) counted in each quarter, rows or none.
    assert ObservedFill.objects.filter(kind="quarter").count() == 3 * 4
    assert set(ObservedPeriod.objects.values_list("owner_id", flat=True)) == {alice.pk, bob.pk}
    # Sam's team sees only Charlie's deal (11 days in Offer, won on 5 Apr), counted now.
    assert counts(stored(history["charlie"].owner, Q3))["Offer"] == [(1, 1), (0, 0), (0, 0)]
    assert ObservedFill.objects.filter(kind="quarter").count() == 5 * 4


def test_monthly_windows_are_stored_apart_from_quarterly_ones(history, maria):
    july = parse_period("2026-07")

    answer = counts(stored(maria, july))

    # Offer, young: 1 Apr Alice's five (11 days), 1 Feb Bob's four (30 days), none won
    # that month. Middle: 1 Jun Alice's two not won yet (72 days; lost at noon), 1 May her
    # five (41 days, three won on 10 May), 1 Apr and 1 Mar Bob's four (89 and 58 days).
    # Old: 1 Jun three of Bob's (150 days; one won on 30 Jun; the reopened one was lost
    # then), 1 May his four (120 days). Qualify: Bob's deal at 6, 37 and 67 days.
    assert answer == {
        "Qualify": [(1, 0), (2, 0), (0, 0)],
        "Offer": [(9, 0), (15, 3), (7, 1)],
    }
    assert answer == counts(live(maria, july))
    assert ObservedFill.objects.filter(kind="month").count() == 3 * 12


def test_the_second_read_counts_nothing_again(
    stages, kept, alice, maria, django_assert_num_queries
):
    def reads_with(deals, total):
        ObservedPeriod.objects.all().delete()
        ObservedFill.objects.all().delete()
        for _ in range(deals):
            deal_with(stages, alice, [("offer", at(2026, 3, 20)), ("won", at(2026, 5, 1))])
        # Stages, zone, unfilled owners; locks; one count per quarter; rows, marks; sums.
        with django_assert_num_queries(3 + LOCKS + 4 + 2 + 1):
            first = counts(stored(maria, Q3))
        # Stages, zone, unfilled owners (none), sums.
        with django_assert_num_queries(4):
            second = counts(stored(maria, Q3))
        assert (
            first == second == {"Qualify": [(0, 0)] * 3, "Offer": [(total, total), (0, 0), (0, 0)]}
        )

    reads_with(2, total=2)
    reads_with(18, total=20)


def test_a_period_not_ended_is_counted_live(stages, kept, alice, maria):
    now = timezone.now()
    current = quarter_of(timezone.localdate())
    report = current.following()
    # In Offer ten days before this quarter began, won a moment ago: within this quarter.
    deal_with(stages, alice, [("offer", current.start_at - dt.timedelta(days=10)), ("won", now)])

    assert counts(stored(maria, report))["Offer"] == [(1, 1), (0, 0), (0, 0)]
    assert not ObservedFill.objects.filter(start=current.start).exists()
    # Written around the services: a stored period would not see it, this one does.
    deal_with(stages, alice, [("offer", current.start_at - dt.timedelta(days=10)), ("won", now)])
    assert counts(stored(maria, report))["Offer"] == [(2, 2), (0, 0), (0, 0)]
    assert counts(live(maria, report)) == counts(stored(maria, report))


def test_an_owner_change_moves_the_deal_out_of_the_stored_counts(history, maria, ada, charlie):
    assert counts(stored(maria, Q3))["Offer"] == [(5, 3), (4, 2), (0, 0)]

    edit(history["alice 0"], ada, owner=charlie)  # a won deal, now of another team

    assert counts(stored(maria, Q3))["Offer"] == [(4, 2), (4, 2), (0, 0)]
    assert counts(stored(maria, Q3)) == counts(live(maria, Q3))
    assert drift() == []
    assert counts(stored(charlie, Q3))["Offer"] == [(2, 2), (0, 0), (0, 0)]
    assert counts(stored(charlie, Q3)) == counts(live(charlie, Q3))


def test_the_admin_deleting_a_deal_takes_it_out_of_the_stored_counts(client, history, maria):
    assert counts(stored(maria, Q3))["Offer"] == [(5, 3), (4, 2), (0, 0)]
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.post(
        f"/admin/pipeline/opportunity/{history['alice 3'].pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 302
    # One of the two lost: 4 observed, still 3 won.
    assert counts(stored(maria, Q3))["Offer"] == [(4, 3), (4, 2), (0, 0)]
    assert counts(stored(maria, Q3)) == counts(live(maria, Q3))
    assert drift() == []


def test_the_admin_deleting_a_stage_change_rewrites_the_stored_counts(client, history, maria):
    assert counts(stored(maria, Q3))["Qualify"] == [(1, 0), (0, 0), (0, 0)]
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    left = StageChange.objects.get(opportunity=history["bob left"], to_stage__name="Qualify")

    response = client.post(f"/admin/pipeline/stagechange/{left.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    # The deal never left Offer: 30 days in it at 1 Apr (from noon on 1 Mar).
    assert counts(stored(maria, Q3)) == {
        "Qualify": [(0, 0), (0, 0), (0, 0)],
        "Offer": [(6, 3), (4, 2), (0, 0)],
    }
    assert counts(stored(maria, Q3)) == counts(live(maria, Q3))
    assert drift() == []


def test_a_stage_kind_changed_in_the_admin_recounts_its_history(history, stages, maria):
    assert counts(stored(maria, Q3))["Offer"] == [(5, 3), (4, 2), (0, 0)]

    lost = stages["lost"]
    lost.kind = StageKind.WON  # a misconfigured stage put right: Alice's two losses were wins
    lost.probability = 100
    lost.save()

    assert counts(stored(maria, Q3))["Offer"] == [(5, 5), (4, 2), (0, 0)]
    assert counts(stored(maria, Q3)) == counts(live(maria, Q3))
    assert drift() == []


IMPORT = """external_id,title,company,stage,status,value,created_at,won_at,lost_at,lost_reason
D-1,Renewal,Acme,Offer,won,1000.00,2026-03-01,2026-05-10,,
D-2,Upsell,Acme,Offer,open,3000.00,2026-03-01,,,
"""


def test_an_import_of_past_history_is_in_the_stored_counts(history, alice, maria):
    assert counts(stored(maria, Q3))["Offer"] == [(5, 3), (4, 2), (0, 0)]
    CompanyFactory(name="Acme", owner=alice)

    result = run_import(alice, "deals", IMPORT)

    assert result.rejections == []
    # Both in Offer since 1 Mar: 31 days at 1 Apr; one won on 10 May.
    assert counts(stored(maria, Q3))["Offer"] == [(5, 3), (6, 3), (0, 0)]
    assert counts(stored(maria, Q3)) == counts(live(maria, Q3))
    assert drift() == []


def test_the_nightly_run_drops_only_what_no_current_report_reads(history, maria):
    stored(maria, Q3)
    stored(maria, parse_period("2024-Q3"))  # an old report's window, stored too
    oldest = oldest_kept(timezone.localdate())
    assert ObservedFill.objects.filter(start__lt=oldest).exists()

    recount_rollups(timezone.localdate())

    assert not ObservedFill.objects.filter(start__lt=oldest).exists()
    assert not ObservedPeriod.objects.filter(start__lt=oldest).exists()
    assert counts(stored(maria, Q3)) == counts(live(maria, Q3))
    assert drift() == []


def test_a_period_is_stored_from_an_hour_after_its_end():
    june = parse_period("2026-06")

    assert not is_settled(june, dt.datetime(2026, 7, 1, 0, 59, tzinfo=dt.UTC))
    assert is_settled(june, dt.datetime(2026, 7, 1, 1, 0, tzinfo=dt.UTC))
    assert oldest_kept(dt.date(2026, 12, 3)) == dt.date(2025, 10, 1)


def test_an_import_moving_a_deal_with_a_past_time_is_in_the_stored_counts(history, alice, maria):
    CompanyFactory(name="Acme", owner=alice)
    run_import(alice, "deals", IMPORT)
    assert counts(stored(maria, Q3))["Offer"] == [(5, 3), (6, 3), (0, 0)]
    # Nothing the rollups read changes (still open, same owner): only its history does.
    moved = """external_id,title,company,stage,status,value,stage_entered_at
D-2,Upsell,Acme,Qualify,open,3000.00,2026-03-15
"""

    result = run_import(alice, "deals", moved)

    assert (result.outcome.updated, result.rejections) == (1, [])
    # D-2 went into Qualify on 15 Mar: 17 days in it at 1 Apr, no longer in Offer.
    assert counts(stored(maria, Q3)) == {
        "Qualify": [(2, 0), (0, 0), (0, 0)],
        "Offer": [(5, 3), (5, 3), (0, 0)],
    }
    assert counts(stored(maria, Q3)) == counts(live(maria, Q3))
    assert drift() == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks are PostgreSQL's")
def test_dropping_an_owner_waits_for_a_read_counting_them_and_the_other_way_round(
    db, alice, bob, maria
):
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)

    def other_gets(function, owner):
        with psycopg.connect(**params, autocommit=False) as other:
            row = other.execute(f"SELECT {function}(%s, %s)", [OBSERVED_LOCK, owner.pk]).fetchone()
            other.rollback()
            return row[0]

    # A read counting Alice and Maria: another read may count them too, a drop must wait.
    share_owner_locks([maria.pk, alice.pk])
    assert other_gets("pg_try_advisory_xact_lock_shared", alice) is True
    assert other_gets("pg_try_advisory_xact_lock", alice) is False
    assert other_gets("pg_try_advisory_xact_lock", bob) is True
    # Dropping Bob's counts: a read counting Bob waits until the drop commits.
    take_owner_locks([bob.pk])
    assert other_gets("pg_try_advisory_xact_lock_shared", bob) is False


def test_a_history_written_around_the_services_shows_as_drift(history, stages, alice, maria):
    stored(maria, Q3)
    assert drift() == []

    # Written with no signal: the stored Q2 of Alice does not know it.
    deal_with(stages, alice, [("offer", at(2026, 3, 20))])

    [difference] = drift()
    offer = stages["offer"]
    key = (alice.pk, offer.pipeline_id, offer.pk, 0)
    assert difference == f"UTC quarter 2026-04-01 {key}: (5, 3), recounted (6, 3)"
