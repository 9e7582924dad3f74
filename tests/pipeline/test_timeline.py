"""A deal's history in the panel: moves and edits in one timeline, newest first, in one
query whatever its length, names kept when their user is deactivated."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from pipeline.models import DealChange, StageChange
from pipeline.services import update_opportunity
from pipeline.timeline import deal_timeline
from pipeline.views.deals import ALL_HISTORY, PANEL_HISTORY
from tests.factories import OpportunityFactory, StageFactory, UserFactory
from tests.html import element, elements

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def deal(alice):
    first = StageFactory(name="Qualification", position=1)
    offer = StageFactory(pipeline=first.pipeline, name="Offer", position=2)
    deal = OpportunityFactory(
        title="Acme rollout", owner=alice, stage=offer, value=Decimal("10000"), currency="EUR"
    )
    now = timezone.now()
    StageChange.objects.create(
        opportunity=deal, to_stage=first, by=alice, at=now - dt.timedelta(days=5)
    )
    StageChange.objects.create(
        opportunity=deal,
        from_stage=first,
        to_stage=offer,
        by=alice,
        at=now - dt.timedelta(days=2),
    )
    return deal


def history_items(content):
    return elements(content, "li", class_="deal-timeline-item")


def test_edits_and_moves_in_one_timeline_newest_first(client, alice, maria, deal):
    maria.first_name, maria.last_name = "Mary", "Rivas"
    maria.save()
    update_opportunity(
        by=maria, opportunity_id=deal.pk, version=deal.version, fields={"value": "12000"}
    )
    client.force_login(alice)

    response = client.get(reverse("pipeline:deal_detail", args=[deal.pk]), **HTMX)

    items = history_items(response.content)
    assert [item.attrs["id"].split("-")[1] for item in items] == ["field", "stage", "stage"]
    what = element(response.content, "li", class_="is-edit").text
    assert what.startswith("Mary Rivas changed Value from 10,000.00 EUR to 12,000.00 EUR")
    assert "Created in Qualification" in items[2].text
    assert "2 days so far" in items[1].text
    assert "3 days in stage" in items[2].text


def test_related_records_show_their_names_as_they_were(alice, maria, bob, deal):
    update_opportunity(
        by=maria, opportunity_id=deal.pk, version=deal.version, fields={"owner": bob}
    )

    entry = deal_timeline(deal, limit=10, now=timezone.now())[0]

    assert (entry.field_label, entry.old, entry.new) == ("Owner", str(alice), str(bob))
    assert (entry.old_value, entry.new_value) == (alice.pk, bob.pk)


def test_dates_and_categories_are_shown_for_the_reader(alice, deal):
    update_opportunity(
        by=alice,
        opportunity_id=deal.pk,
        version=deal.version,
        fields={"expected_close_date": dt.date(2030, 3, 1), "forecast_category": "commit"},
    )

    entries = {entry.field: entry for entry in deal_timeline(deal, limit=10, now=timezone.now())}

    assert entries["expected_close_date"].old == "—"
    assert entries["expected_close_date"].new == "March 1, 2030"
    assert (entries["forecast_category"].old, entries["forecast_category"].new) == (
        "Pipeline",
        "Commit",
    )


def test_history_keeps_a_deactivated_users_name(client, alice, maria, deal):
    update_opportunity(
        by=maria, opportunity_id=deal.pk, version=deal.version, fields={"title": "B"}
    )
    maria.is_active = False
    maria.save()
    client.force_login(alice)

    response = client.get(reverse("pipeline:deal_detail", args=[deal.pk]), **HTMX)

    what = element(response.content, "li", class_="is-edit").text
    assert what.startswith(f"{maria} changed Title from Acme rollout to B")


def test_history_of_a_deleted_user_says_someone(client, alice, deal):
    gone = UserFactory()
    DealChange.objects.create(
        opportunity=deal, field="title", old_value="A", new_value="B", by=gone
    )
    DealChange.objects.filter(by=gone).update(by=None)
    client.force_login(alice)

    response = client.get(reverse("pipeline:deal_detail", args=[deal.pk]), **HTMX)

    assert element(response.content, "li", class_="is-edit").text.startswith("Someone changed")


def bulk_history(deal, user, count):
    now = timezone.now()
    DealChange.objects.bulk_create(
        DealChange(
            opportunity=deal,
            field="value",
            old_value=str(n),
            new_value=str(n + 1),
            by=user,
            at=now - dt.timedelta(minutes=n),
        )
        for n in range(count)
    )


def test_panel_caps_the_history_and_offers_all(client, alice, deal):
    bulk_history(deal, alice, PANEL_HISTORY + 5)
    client.force_login(alice)
    url = reverse("pipeline:deal_detail", args=[deal.pk])

    capped = client.get(url, **HTMX)
    everything = client.get(f"{url}?history=all", HTTP_HX_TARGET=f"deal-{deal.pk}-history", **HTMX)

    assert len(history_items(capped.content)) == PANEL_HISTORY
    link = element(capped.content, "a", href=f"{url}?history=all")
    assert link.attrs["hx-target"] == f"#deal-{deal.pk}-history"
    assert element(everything.content, "div", id=f"deal-{deal.pk}-history")
    assert len(history_items(everything.content)) == PANEL_HISTORY + 5 + 2
    assert ALL_HISTORY >= PANEL_HISTORY + 7


@pytest.mark.parametrize("count", [10, 1000])
def test_history_is_one_query_whatever_its_length(deal, alice, count, django_assert_num_queries):
    bulk_history(deal, alice, count)

    with django_assert_num_queries(1):
        entries = deal_timeline(deal, limit=ALL_HISTORY, now=timezone.now())

    assert len(entries) == min(count + 2, ALL_HISTORY)


@pytest.mark.parametrize("count", [10, 1000])
def test_history_fragment_queries_do_not_grow(
    client, alice, deal, count, django_assert_num_queries
):
    bulk_history(deal, alice, count)
    client.force_login(alice)
    url = reverse("pipeline:deal_detail", args=[deal.pk]) + "?history=all"

    # Session, user, the deal, its history.
    with django_assert_num_queries(4):
        response = client.get(url, HTTP_HX_TARGET=f"deal-{deal.pk}-history", **HTMX)

    assert response.status_code == 200


@pytest.mark.parametrize(("user", "expected"), [("bob", 200), ("maria", 200), ("charlie", 404)])
def test_history_fragment_as_teammate_manager_and_other_team(client, request, deal, user, expected):
    client.force_login(request.getfixturevalue(user))
    url = reverse("pipeline:deal_detail", args=[deal.pk]) + "?history=all"

    response = client.get(url, HTTP_HX_TARGET=f"deal-{deal.pk}-history", **HTMX)

    assert response.status_code == expected


def test_amounts_are_shown_in_the_currency_the_deal_had_then(alice, deal):
    update_opportunity(
        by=alice, opportunity_id=deal.pk, version=deal.version, fields={"value": "11000"}
    )
    deal.refresh_from_db()
    update_opportunity(
        by=alice,
        opportunity_id=deal.pk,
        version=deal.version,
        fields={"value": "13000", "currency": "USD"},
    )
    deal.refresh_from_db()

    entries = [
        (entry.field, entry.old, entry.new)
        for entry in deal_timeline(deal, limit=10, now=timezone.now())
        if not entry.is_move
    ]

    assert sorted(entries[:2]) == [
        ("currency", "EUR", "USD"),
        ("value", "11,000.00 EUR", "13,000.00 USD"),
    ]
    assert entries[2] == ("value", "10,000.00 EUR", "11,000.00 EUR")
