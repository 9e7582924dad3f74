"""The deals list: visibility, search, every filter, totals per currency, export, cost."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from pipeline.models import OpportunityStatus
from pipeline.views.deal_list import CurrencyTotal
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    LineItemFactory,
    OpportunityFactory,
    PipelineFactory,
    ProductFactory,
    StageFactory,
)
from tests.html import element, elements

HTMX = {"HX-Request": "true"}
# session, user, the totals (which also count the rows for the paginator), the page, the
# owner options, the pipeline and stage options, the product options, the custom fields
# (their filters and columns)
LIST_QUERIES = 8
# The table fragment needs no filter options, only the custom fields for its columns.
FRAGMENT_QUERIES = 5
# session, user, one server-side cursor over the rows
# ... and the custom fields, whose columns follow the list's own.
EXPORT_QUERIES = 4


def titles(response):
    return {deal.title for deal in response.context["page_obj"]}


def exported(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


@pytest.fixture
def stages(db):
    pipeline = PipelineFactory(name="New business")
    return (
        StageFactory(pipeline=pipeline, name="Discovery", position=1, probability=20),
        StageFactory(pipeline=pipeline, name="Proposal", position=2, probability=60),
    )


@pytest.mark.parametrize(
    ("viewer", "seen"),
    [
        ("alice", {"Alice's", "Bob's"}),
        ("bob", {"Alice's", "Bob's"}),
        ("maria", {"Alice's", "Bob's"}),
        ("charlie", {"Charlie's"}),
        ("ada", {"Alice's", "Bob's", "Charlie's"}),
    ],
)
def test_list_shows_only_visible_deals(client, request, alice, bob, charlie, viewer, seen):
    for owner in (alice, bob, charlie):
        OpportunityFactory(title=f"{owner.username.title()}'s", owner=owner)
    client.force_login(request.getfixturevalue(viewer))

    response = client.get(reverse("pipeline:deal_list"))

    assert response.status_code == 200
    assert titles(response) == seen


def test_anonymous_user_is_sent_to_login(client, db):
    url = reverse("pipeline:deal_list")

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_search_matches_title_and_company(client, alice):
    OpportunityFactory(title="Engines", owner=alice, company__name="Analytical")
    OpportunityFactory(title="Compilers", owner=alice, company__name="Navy")
    client.force_login(alice)
    url = reverse("pipeline:deal_list")

    assert titles(client.get(url, {"q": "engine"})) == {"Engines"}
    assert titles(client.get(url, {"q": "navy"})) == {"Compilers"}


def test_filters(client, alice, bob, stages):
    discovery, proposal = stages
    other_pipeline_stage = StageFactory(name="Renewal")
    OpportunityFactory(
        title="A",
        owner=alice,
        stage=discovery,
        value=Decimal("500"),
        expected_close_date=dt.date(2026, 12, 1),
    )
    OpportunityFactory(
        title="B",
        owner=bob,
        stage=proposal,
        value=Decimal("5000"),
        expected_close_date=dt.date(2027, 2, 1),
        stale_since=dt.date(2026, 11, 1),
    )
    OpportunityFactory(
        title="C",
        owner=alice,
        stage=other_pipeline_stage,
        value=Decimal("100"),
        status=OpportunityStatus.WON,
        closed_at=timezone.now(),
    )
    client.force_login(alice)
    url = reverse("pipeline:deal_list")

    assert titles(client.get(url, {"pipeline": discovery.pipeline_id})) == {"A", "B"}
    assert titles(client.get(url, {"stage": proposal.pk})) == {"B"}
    assert titles(client.get(url, {"owner": "me"})) == {"A", "C"}
    assert titles(client.get(url, {"owner": bob.pk})) == {"B"}
    assert titles(client.get(url, {"status": "won"})) == {"C"}
    assert titles(client.get(url, {"status": "open"})) == {"A", "B"}
    assert titles(client.get(url, {"stale": "on"})) == {"B"}
    assert titles(client.get(url, {"close_from": "2027-01-01"})) == {"B"}
    assert titles(client.get(url, {"close_to": "2026-12-31"})) == {"A"}
    assert titles(client.get(url, {"value_min": "1000"})) == {"B"}
    assert titles(client.get(url, {"value_max": "1000"})) == {"A", "C"}


def test_an_unreadable_filter_is_dropped_and_the_others_kept(client, alice, bob):
    OpportunityFactory(title="Mine", owner=alice)
    OpportunityFactory(title="Bobs", owner=bob)
    client.force_login(alice)

    response = client.get(
        reverse("pipeline:deal_list"), {"owner": "me", "value_min": "lots", "status": "maybe"}
    )

    assert response.status_code == 200
    assert titles(response) == {"Mine"}


def test_a_filter_on_another_teams_owner_shows_nothing_of_theirs(client, alice, charlie):
    OpportunityFactory(title="Theirs", owner=charlie)
    client.force_login(alice)

    response = client.get(reverse("pipeline:deal_list"), {"owner": charlie.pk})

    assert titles(response) == set()
    assert "Theirs" not in response.content.decode()


def test_totals_cover_the_filtered_set_per_currency_not_the_page(client, alice, bob, stages):
    discovery, _proposal = stages
    OpportunityFactory.create_batch(60, owner=alice, stage=discovery, value=Decimal("100.50"))
    OpportunityFactory(owner=alice, stage=discovery, value=Decimal("1000"), currency="USD")
    OpportunityFactory(owner=bob, stage=discovery, value=Decimal("999"))
    client.force_login(alice)

    response = client.get(reverse("pipeline:deal_list"), {"owner": "me"})

    assert response.context["totals"] == [
        CurrencyTotal("EUR", 60, Decimal("6030.00")),
        CurrencyTotal("USD", 1, Decimal("1000.00")),
    ]
    assert response.context["page_obj"].paginator.count == 61
    assert response.context["page_obj"].paginator.num_pages == 2
    content = response.content.decode()
    assert "60 deals · 6,030 EUR" in content
    assert "1 deal · 1,000 USD" in content


def test_each_deal_links_to_its_page_and_company(client, alice):
    deal = OpportunityFactory(owner=alice)
    client.force_login(alice)

    content = client.get(reverse("pipeline:deal_list")).content.decode()

    assert reverse("pipeline:deal_detail", args=[deal.pk]) in content
    assert reverse("contacts:company_detail", args=[deal.company_id]) in content


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("value", ["Small", "Medium", "Large"]),
        ("-value", ["Large", "Medium", "Small"]),
        ("title", ["Large", "Medium", "Small"]),
        ("bogus", ["Large", "Medium", "Small"]),  # falls back to newest first
    ],
)
def test_sorting(client, alice, sort, expected):
    for title, value in [("Small", 1), ("Medium", 50), ("Large", 900)]:
        OpportunityFactory(title=title, owner=alice, value=Decimal(value))
    client.force_login(alice)

    response = client.get(reverse("pipeline:deal_list"), {"sort": sort})

    assert [deal.title for deal in response.context["page_obj"]] == expected


def test_htmx_gets_the_table_with_its_totals(client, alice):
    OpportunityFactory(title="Engines", owner=alice)
    client.force_login(alice)

    response = client.get(reverse("pipeline:deal_list"), {"q": "eng"}, headers=HTMX)

    content = response.content.decode()
    assert 'id="deal-table"' in content
    assert 'id="deal-totals"' in content
    assert "<html" not in content
    assert "HX-Request" in response["Vary"]


def test_nav_marks_deals_as_current(client, alice):
    client.force_login(alice)

    content = client.get(reverse("pipeline:deal_list")).content.decode()

    assert f'class="nav-link active" href="{reverse("pipeline:deal_list")}"' in content


def make_deals(owner, count):
    for _ in range(count):
        contact = ContactFactory(company=CompanyFactory(owner=owner), owner=owner)
        OpportunityFactory(owner=owner, company=contact.company, contact=contact)


@pytest.mark.parametrize("rows", [3, 60])
def test_query_count_does_not_grow_with_rows(client, alice, rows, django_assert_num_queries):
    make_deals(alice, rows)
    client.force_login(alice)
    url = reverse("pipeline:deal_list")

    with django_assert_num_queries(LIST_QUERIES):
        client.get(url, {"owner": "me", "status": "open", "value_min": "1"})
    with django_assert_num_queries(FRAGMENT_QUERIES):
        client.get(url, {"page": 2}, headers=HTMX)


# --- Export -------------------------------------------------------------------------------


def test_export_has_every_column_and_escapes_formulas(client, alice, stages):
    discovery, _proposal = stages
    contact = ContactFactory(first_name="Ada", last_name="Lovelace", company__owner=alice)
    OpportunityFactory(
        title='=HYPERLINK("http://evil")',
        owner=alice,
        company=contact.company,
        contact=contact,
        stage=discovery,
        value=Decimal("1234.50"),
        expected_close_date=dt.date(2026, 12, 24),
        stale_since=dt.date(2026, 11, 2),
        external_id="+crm-1",
    )
    client.force_login(alice)

    [row] = exported(client.get(reverse("pipeline:deal_export")))

    assert list(row) == [
        "Title",
        "Company",
        "Contact",
        "Owner",
        "Pipeline",
        "Stage",
        "Status",
        "Value",
        "Currency",
        "Probability (%)",
        "Expected close",
        "Stage entered",
        "Last touch",
        "Stale since",
        "External id",
    ]
    assert row["Title"] == '\'=HYPERLINK("http://evil")'
    assert row["External id"] == "'+crm-1"
    assert (row["Contact"], row["Pipeline"], row["Stage"]) == (
        "Ada Lovelace",
        "New business",
        "Discovery",
    )
    assert (row["Value"], row["Currency"], row["Probability (%)"]) == ("1234.50", "EUR", "20")
    assert (row["Expected close"], row["Stale since"], row["Last touch"]) == (
        "2026-12-24",
        "2026-11-02",
        "",
    )


def test_export_honours_filters_and_visibility(client, alice, bob, charlie):
    OpportunityFactory(title="Mine", owner=alice)
    OpportunityFactory(title="Bobs", owner=bob)
    OpportunityFactory(title="Theirs", owner=charlie)
    client.force_login(alice)
    url = reverse("pipeline:deal_export")

    everything = exported(client.get(url))
    mine = exported(client.get(url, {"owner": "me"}))

    assert {row["Title"] for row in everything} == {"Mine", "Bobs"}
    assert [row["Title"] for row in mine] == ["Mine"]


@pytest.mark.parametrize("rows", [2, 40])
def test_export_query_count_does_not_grow(client, alice, rows, django_assert_num_queries):
    make_deals(alice, rows)
    client.force_login(alice)

    with django_assert_num_queries(EXPORT_QUERIES):
        rows_out = exported(client.get(reverse("pipeline:deal_export")))

    assert len(rows_out) == rows


def test_list_offers_the_export_of_the_same_filters(client, alice):
    client.force_login(alice)

    content = client.get(reverse("pipeline:deal_list"), {"owner": "me"}).content.decode()

    assert f'href="{reverse("pipeline:deal_export")}?owner=me"' in content


def test_the_product_filter_keeps_deals_with_that_product_once(client, alice):
    # Given a deal with the licence twice, one with support only, one with no products
    licence, support = ProductFactory(name="Licence"), ProductFactory(name="Support")
    twice = OpportunityFactory(owner=alice, title="Twice")
    LineItemFactory.create_batch(2, opportunity=twice, product=licence)
    LineItemFactory(opportunity=OpportunityFactory(owner=alice, title="Other"), product=support)
    OpportunityFactory(owner=alice, title="None")
    client.force_login(alice)

    response = client.get(reverse("pipeline:deal_list"), {"product": licence.pk})

    titles = [link.text for link in elements(response.content, "a", class_="fw-semibold")]
    assert "Twice" in titles
    assert not {"Other", "None"} & set(titles)
    options = elements(response.content, "option", value=str(licence.pk))
    assert [option.text for option in options if "selected" in option.attrs] == [str(licence)]


def test_forecast_filters_category_team_and_closing_days(client, alice, bob, charlie, ada, stages):
    won = StageFactory(pipeline=stages[0].pipeline, name="Won", kind="won", probability=100)
    OpportunityFactory(owner=alice, title="Commit", forecast_category="commit")
    OpportunityFactory(owner=bob, title="Best", forecast_category="best_case")
    OpportunityFactory(owner=charlie, title="South commit", forecast_category="commit")
    for title, day in (("Won 30 Jun", 30), ("Won 1 Jul", 1)):
        OpportunityFactory(
            owner=alice,
            title=title,
            stage=won,
            status=OpportunityStatus.WON,
            closed_at=dt.datetime(2026, 6 if day == 30 else 7, day, 12, tzinfo=dt.UTC),
        )
    client.force_login(ada)
    url = reverse("pipeline:deal_list")

    assert titles(client.get(url, {"forecast_category": "commit"})) == {"Commit", "South commit"}
    assert titles(client.get(url, {"forecast_category": "commit", "team": alice.team_id})) == {
        "Commit"
    }
    closed = client.get(url, {"closed_from": "2026-07-01", "closed_to": "2026-09-30"})
    assert titles(closed) == {"Won 1 Jul"}


def test_forecast_filters_are_kept_in_the_filter_form(client, alice):
    client.force_login(alice)
    response = client.get(
        reverse("pipeline:deal_list"),
        {
            "forecast_category": "best_case",
            "team": alice.team_id,
            "closed_from": "2026-07-01",
            "closed_to": "2026-09-30",
        },
    )

    select = element(response.content, "select", id="deal-filter-forecast-category")
    assert "Best case" in select.text
    chosen = [
        option.attrs["value"]
        for option in elements(response.content, "option")
        if "selected" in option.attrs and option.attrs["value"] in ("best_case", "commit", "")
    ]
    assert chosen == ["best_case"]
    assert elements(response.content, "input", name="team")[0].attrs["value"] == str(alice.team_id)
    assert elements(response.content, "input", name="closed_from")[0].attrs["value"] == "2026-07-01"
    assert elements(response.content, "input", name="closed_to")[0].attrs["value"] == "2026-09-30"


def test_a_stale_badge_says_since_when_and_where_the_reason_is(client, alice, stage):
    OpportunityFactory(title="Stale", owner=alice, stage=stage, stale_since=dt.date(2026, 11, 1))
    OpportunityFactory(title="Fresh", owner=alice, stage=stage)
    client.force_login(alice)

    badges = elements(
        client.get(reverse("pipeline:deal_list")).content, "span", class_="stale-badge"
    )

    (badge,) = badges
    assert badge.attrs["title"].startswith("Stale since 11/01/2026: longer in its stage")
    assert "what clears it" in badge.attrs["title"]
