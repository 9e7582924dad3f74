"""Importing quotas: an owner by e-mail or team name, a month or quarter, an amount."""

import datetime as dt
from decimal import Decimal

from forecasting.models import Quota
from tests.factories import QuotaFactory
from tests.imports.importing import run_import


def stored():
    return sorted(
        (
            quota.user.username if quota.user else quota.team.name,
            quota.period_start.isoformat(),
            quota.period_end.isoformat(),
            quota.amount,
            quota.currency,
        )
        for quota in Quota.objects.select_related("user", "team")
    )


def test_an_admin_imports_quarters_months_and_team_quotas(ada, alice, bob, north, settings):
    settings.DEFAULT_CURRENCY = "EUR"
    alice.email, bob.email = "alice@example.com", "bob@example.com"
    alice.save(update_fields=["email"])
    bob.save(update_fields=["email"])
    content = (
        "owner,period,amount,currency\n"
        "Alice@Example.com,2026-Q3,12000,\n"
        "bob@example.com,2026-07,1000.50,usd\n"
        "bob@example.com,2026-08,2000,USD\n"
        "north,2026-Q3,30000,EUR\n"
    )

    result = run_import(ada, "quotas", content)

    assert (result.outcome.created, result.outcome.rejected) == (4, 0), result.reasons
    assert stored() == [
        ("North", "2026-07-01", "2026-09-30", Decimal("30000.00"), "EUR"),
        ("alice", "2026-07-01", "2026-09-30", Decimal("12000.00"), "EUR"),
        ("bob", "2026-07-01", "2026-07-31", Decimal("1000.50"), "USD"),
        ("bob", "2026-08-01", "2026-08-31", Decimal("2000.00"), "USD"),
    ]


def test_reimporting_a_period_updates_its_quota(ada, alice):
    QuotaFactory(
        user=alice,
        period_start=dt.date(2026, 7, 1),
        period_end=dt.date(2026, 9, 30),
        amount=Decimal("1.00"),
        currency="EUR",
    )

    result = run_import(ada, "quotas", f"owner,period,amount\n{alice.email},2026-Q3,5000\n")

    assert (result.outcome.created, result.outcome.updated) == (0, 1), result.reasons
    assert Quota.objects.get().amount == Decimal("5000.00")


def test_bad_rows_name_their_line_and_field_and_write_nothing_of_themselves(
    maria, alice, charlie, north
):
    QuotaFactory(
        user=alice,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 3, 31),
        amount=Decimal("1.00"),
        currency="EUR",
    )
    content = (
        "owner,period,amount,currency\n"
        f"{alice.email},2026-Q2,4000,\n"  # 2: good
        f"{alice.email},2026-05,100,\n"  # 3: a month in a quarterly year
        f"{alice.email},2026-Q2,4000,\n"  # 4: twice
        f"{alice.email},2026-Q3,ten,\n"  # 5: bad amount
        f"{alice.email},2026-W3,10,\n"  # 6: bad period
        f"{alice.email},2026-Q4,10,USD\n"  # 7: another currency in the year
        "nobody@example.com,2026-Q2,10,\n"  # 8: unknown owner
        f"{charlie.email},2026-Q2,10,\n"  # 9: another team's rep: not Maria's to set
        f"{maria.email},2026-Q2,10,\n"  # 10: her own
        f"{north.name},2026-Q2,-5,\n"  # 11: negative
        f",2026-Q2,10,\n"  # 12: no owner
    )

    result = run_import(maria, "quotas", content)

    assert result.outcome.created == 1
    assert {
        line: [reason.split(":")[0] for reason in reasons]
        for line, reasons in result.reasons.items()
    } == {
        3: ["period"],
        4: ["period"],
        5: ["amount"],
        6: ["period"],
        7: ["currency"],
        8: ["owner"],
        9: ["owner"],
        10: ["owner"],
        11: ["amount"],
        12: ["owner"],
    }
    assert [row[1:4] for row in stored()] == [
        ("2026-01-01", "2026-03-31", Decimal("1.00")),
        ("2026-04-01", "2026-06-30", Decimal("4000.00")),
    ]


def test_a_rep_imports_no_quota(alice):
    result = run_import(alice, "quotas", f"owner,period,amount\n{alice.email},2026-Q3,1\n")

    assert result.outcome.created == 0
    assert [reason.split(":")[0] for reason in result.reasons[2]] == ["owner"]
    assert not Quota.objects.exists()
