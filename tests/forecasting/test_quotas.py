"""The quota rules: months and quarters, a team's default, who may set which quota."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from forecasting.models import Quota
from forecasting.periods import Period, parse_period
from forecasting.quotas import quota_for, quotas_by_person, quotas_in_scope, set_quota
from forecasting.scope import ReportScope
from tests.factories import QuotaFactory

Q3 = parse_period("2026-Q3")
JULY = parse_period("2026-07")


def quota(owner, token, amount, currency="EUR"):
    period = parse_period(token)
    field = "team" if owner.__class__.__name__ == "Team" else "user"
    return QuotaFactory(
        **{"user": None, field: owner},
        period_start=period.start,
        period_end=period.end,
        amount=Decimal(amount),
        currency=currency,
    )


def amounts(figure):
    return None if figure is None else (figure.amounts, figure.is_default)


def test_a_quarter_of_a_monthly_year_is_the_sum_of_its_months(alice):
    quota(alice, "2026-07", "1000.00")
    quota(alice, "2026-08", "2000.00")
    quota(alice, "2026-09", "500.00")
    quota(alice, "2026-10", "9999.00")

    assert amounts(quota_for(alice, Q3)) == ({"EUR": Decimal("3500.00")}, False)
    assert quota_for(alice, JULY).amount == Decimal("1000.00")


def test_a_month_of_a_quarterly_year_has_no_quota(alice):
    quota(alice, "2026-Q3", "9000.00")

    assert quota_for(alice, Q3).amount == Decimal("9000.00")
    assert quota_for(alice, JULY) is None
    assert quota_for(alice, parse_period("2026-Q4")) is None


def test_a_team_without_its_own_quota_defaults_to_its_members(north, alice, bob, charlie):
    quota(alice, "2026-Q3", "4000.00")
    quota(bob, "2026-Q3", "6000.00")
    quota(charlie, "2026-Q3", "1000.00")  # South: not North's

    assert amounts(quota_for(north, Q3)) == ({"EUR": Decimal("10000.00")}, True)


def test_a_teams_own_quota_replaces_the_default(north, alice, bob):
    quota(alice, "2026-Q3", "4000.00")
    quota(bob, "2026-Q3", "6000.00")
    quota(north, "2026-Q3", "12000.00")

    assert amounts(quota_for(north, Q3)) == ({"EUR": Decimal("12000.00")}, False)


def test_a_zero_quota_is_a_quota(alice):
    quota(alice, "2026-Q3", "0.00")

    assert quota_for(alice, Q3).amount == Decimal("0.00")


def test_report_scopes_count_each_team_once_with_its_default(
    north, south, alice, bob, charlie, maria, sam, ada
):
    quota(alice, "2026-Q3", "4000.00")
    quota(bob, "2026-Q3", "6000.00")
    quota(charlie, "2026-Q3", "1000.00")
    quota(south, "2026-Q3", "3000.00")

    # North has no own quota (4,000 + 6,000); South has its own 3,000 (Charlie's 1,000 is in it).
    assert quotas_in_scope(ReportScope(ada, Q3)) == {"EUR": Decimal("13000.00")}
    assert quotas_in_scope(ReportScope(maria, Q3)) == {"EUR": Decimal("10000.00")}
    assert quotas_in_scope(ReportScope(sam, Q3)) == {"EUR": Decimal("3000.00")}
    assert quotas_in_scope(ReportScope(ada, Q3, team_id=south.pk)) == {"EUR": Decimal("3000.00")}
    assert quotas_in_scope(ReportScope(alice, Q3)) == {"EUR": Decimal("4000.00")}
    assert quotas_in_scope(ReportScope(maria, Q3, rep_id=bob.pk)) == {"EUR": Decimal("6000.00")}
    # A manager's report does not reach another team's quotas.
    assert quotas_in_scope(ReportScope(maria, Q3, rep_id=charlie.pk)) == {}


@pytest.mark.parametrize("extra", [1, 8])
def test_scope_quotas_take_one_query(north, alice, maria, extra, django_assert_num_queries):
    for month in range(1, extra + 1):
        quota(alice, f"2026-{month:02d}", "10.00")

    with django_assert_num_queries(1):
        quotas_in_scope(ReportScope(maria, parse_period("2026-Q1")))


@pytest.mark.parametrize(("extra", "alices"), [(1, "10.00"), (8, "30.00")])
def test_a_report_reads_its_total_and_its_sellers_quotas_in_one_query(
    north, alice, maria, extra, alices, django_assert_num_queries
):
    for month in range(1, extra + 1):
        quota(alice, f"2026-{month:02d}", "10.00")
    quota(north, "2026-Q1", "500.00")
    scope = ReportScope(maria, parse_period("2026-Q1"))

    with django_assert_num_queries(1):
        total = quotas_in_scope(scope)
        by_person = quotas_by_person(scope)
        assert quotas_in_scope(scope) == total

    # North's own quota is the team's; Alice's months of the quarter are hers.
    assert total == {"EUR": Decimal("500.00")}
    assert by_person == {alice.pk: {"EUR": Decimal(alices)}}


def test_a_scope_of_another_period_or_rep_reads_its_own_quotas(north, alice, bob, maria):
    quota(alice, "2026-Q3", "4000.00")
    quota(bob, "2026-Q3", "6000.00")
    quota(alice, "2026-Q4", "7000.00")
    scope = ReportScope(maria, Q3)
    assert quotas_in_scope(scope) == {"EUR": Decimal("10000.00")}

    assert quotas_in_scope(scope.with_period(parse_period("2026-Q4"))) == {
        "EUR": Decimal("7000.00")
    }
    assert quotas_in_scope(scope.for_rep(bob.pk)) == {"EUR": Decimal("6000.00")}
    assert quotas_by_person(scope.for_rep(alice.pk)) == {alice.pk: {"EUR": Decimal("4000.00")}}
    # The first report keeps its own answers, and scopes still compare by what they cover.
    assert quotas_in_scope(scope) == {"EUR": Decimal("10000.00")}
    assert quotas_by_person(scope) == {
        alice.pk: {"EUR": Decimal("4000.00")},
        bob.pk: {"EUR": Decimal("6000.00")},
    }
    assert scope.for_rep(bob.pk) == ReportScope(maria, Q3, rep_id=bob.pk)


# Writing


def test_an_admin_sets_changes_and_removes_any_quota(ada, alice, north):
    set_quota(actor=ada, owner=alice, period=Q3, amount=Decimal("5000.00"))
    set_quota(actor=ada, owner=alice, period=Q3, amount=Decimal("7000.00"))
    set_quota(actor=ada, owner=north, period=Q3, amount=Decimal("20000.00"))

    assert list(Quota.objects.values_list("user__username", "team__name", "amount")) == [
        ("alice", None, Decimal("7000.00")),
        (None, "North", Decimal("20000.00")),
    ]
    assert Quota.objects.get(user=alice).period_end == dt.date(2026, 9, 30)

    set_quota(actor=ada, owner=alice, period=Q3, amount=None)
    assert list(Quota.objects.values_list("team__name", flat=True)) == ["North"]


def test_a_quota_takes_the_crm_default_currency(ada, alice, settings):
    settings.DEFAULT_CURRENCY = "CHF"

    created = set_quota(actor=ada, owner=alice, period=Q3, amount=Decimal("1.00"))

    assert created.currency == "CHF"


def test_a_manager_sets_their_team_and_its_reps_but_not_their_own_or_others(
    maria, alice, north, south, charlie
):
    set_quota(actor=maria, owner=alice, period=Q3, amount=Decimal("5000.00"))
    set_quota(actor=maria, owner=north, period=Q3, amount=Decimal("9000.00"))

    for owner in (maria, south, charlie):
        with pytest.raises(PermissionDenied):
            set_quota(actor=maria, owner=owner, period=Q3, amount=Decimal("1.00"))
    assert Quota.objects.count() == 2


def test_a_rep_sets_no_quota(alice):
    with pytest.raises(PermissionDenied):
        set_quota(actor=alice, owner=alice, period=Q3, amount=Decimal("1.00"))
    assert not Quota.objects.exists()


def test_editable_quotas_follow_the_same_rule(maria, sam, alice, bob, north, south, charlie, ada):
    alices, marias = quota(alice, "2026-Q3", "1.00"), quota(maria, "2026-Q3", "1.00")
    norths, charlies = quota(north, "2026-Q3", "1.00"), quota(charlie, "2026-Q3", "1.00")

    def editable(user):
        return set(Quota.objects.editable_by(user).values_list("pk", flat=True))

    assert editable(maria) == {alices.pk, norths.pk}
    assert editable(sam) == {charlies.pk}
    assert editable(alice) == set()
    assert editable(ada) == {alices.pk, marias.pk, norths.pk, charlies.pk}


def test_a_year_is_monthly_or_quarterly_not_both(ada, alice):
    set_quota(actor=ada, owner=alice, period=Q3, amount=Decimal("9000.00"))

    with pytest.raises(ValidationError) as monthly:
        set_quota(actor=ada, owner=alice, period=JULY, amount=Decimal("3000.00"))
    with pytest.raises(ValidationError) as january:
        # January starts on the day Q1 would: still a month in a quarterly year.
        set_quota(actor=ada, owner=alice, period=parse_period("2026-01"), amount=Decimal("1"))

    assert list(monthly.value.message_dict) == ["period"]
    assert list(january.value.message_dict) == ["period"]
    # Another year may go monthly.
    set_quota(actor=ada, owner=alice, period=parse_period("2027-01"), amount=Decimal("1.00"))
    assert Quota.objects.count() == 2


def test_a_year_keeps_one_currency(ada, alice):
    set_quota(actor=ada, owner=alice, period=Q3, amount=Decimal("1.00"), currency="USD")

    with pytest.raises(ValidationError) as error:
        set_quota(
            actor=ada,
            owner=alice,
            period=parse_period("2026-Q4"),
            amount=Decimal("1.00"),
            currency="EUR",
        )
    kept = set_quota(actor=ada, owner=alice, period=parse_period("2026-Q4"), amount=Decimal("2"))

    assert list(error.value.message_dict) == ["currency"]
    assert kept.currency == "USD"


@pytest.mark.parametrize(
    ("period", "amount", "field"),
    [
        (Q3, Decimal("-1.00"), "amount"),
        (Q3, Decimal("NaN"), "amount"),
        (Period(dt.date(2026, 7, 1), dt.date(2026, 7, 15)), Decimal("1.00"), "period"),
    ],
)
def test_bad_quotas_name_the_field_and_write_nothing(ada, alice, period, amount, field):
    with pytest.raises(ValidationError) as error:
        set_quota(actor=ada, owner=alice, period=period, amount=amount)

    assert list(error.value.message_dict) == [field]
    assert not Quota.objects.exists()
