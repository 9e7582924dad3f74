"""The forecast page: each role's rows, links to the deals behind figures, the two writes."""

import datetime as dt
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from forecasting.models import ForecastAdjustment
from forecasting.rollup_upkeep import rebuild
from pipeline.models import ForecastCategory, Stage
from tests.factories import OpportunityFactory, PipelineFactory, QuotaFactory
from tests.forecasting.histories import at, deal_with, make_stages
from tests.html import element, elements, options

URL = reverse("forecasting:forecast")
Q3 = {"period": "2026-Q3"}
# session, user, observed chances (stages and four quarters), people, open deals, wins,
# adjusted calls, plan (quotas, won totals and medians, plan A's totals and deals, plan B),
# backtest (the stored snapshot readings and their rows; nothing replayed), adjustment
# history, the pickers' teams, reps and pipelines
PAGE_QUERIES = 23
# With the rollups kept, the observed chances read the window's ended quarters from storage:
# the stages, the owners without counts, and one sum, instead of one count per quarter.
STORED_PAGE_QUERIES = 21


@pytest.fixture
def stages(db):
    return make_stages(qualify=20, offer=60)


def commit_deal(stages, owner, value, title="Deal"):
    return OpportunityFactory(
        owner=owner,
        title=title,
        stage=stages["offer"],
        value=Decimal(value),
        forecast_category=ForecastCategory.COMMIT,
        expected_close_date=dt.date(2026, 8, 1),
        stage_entered_at=at(2026, 7, 1),
    )


@pytest.fixture
def pipeline(stages, alice, bob, charlie, north):
    commit_deal(stages, alice, "10000.00", "Alice's commit")
    commit_deal(stages, bob, "4000.00", "Bob's commit")
    commit_deal(stages, charlie, "99000.00", "South secret")
    QuotaFactory(
        user=None,
        team=north,
        period_start=dt.date(2026, 7, 1),
        period_end=dt.date(2026, 9, 30),
        amount=Decimal("20000.00"),
    )


def query_of(href):
    return {name: values[0] for name, values in parse_qs(urlsplit(href).query).items()}


def test_manager_sees_total_team_and_every_seller_with_links(client, pipeline, maria, alice):
    client.force_login(maria)
    response = client.get(URL, Q3)

    assert response.status_code == 200
    total = element(response.content, "tr", **{"data-key": "total-all"})
    assert "14,000" in total.text or "14000" in total.text
    alice_row = element(response.content, "tr", **{"data-key": f"rep-{alice.pk}"})
    assert "10,000" in alice_row.text or "10000" in alice_row.text
    # Alice's commit figure links to exactly her open commit deals closing in Q3, in EUR.
    cells = [
        link
        for link in elements(response.content, "a")
        if query_of(link.attrs["href"]).get("forecast_category") == "commit"
        and query_of(link.attrs["href"]).get("owner") == str(alice.pk)
    ]
    [link] = cells
    assert query_of(link.attrs["href"]) == {
        "status": "open",
        "close_from": "2026-07-01",
        "close_to": "2026-09-30",
        "owner": str(alice.pk),
        "forecast_category": "commit",
        "currency": "EUR",
    }
    followed = client.get(link.attrs["href"])
    assert [deal.title for deal in followed.context["page_obj"]] == ["Alice's commit"]
    assert b"South secret" not in response.content
    assert b"99000" not in response.content
    assert b"99,000" not in response.content
    assert element(response.content, "form", action=reverse("forecasting:adjust"))
    # North's quota 20,000, nothing won: plan A is the two commit deals, 14,000, short.
    plan = element(response.content, "section", id="gap-plan")
    assert "gap 20,000 EUR" in plan.text or "gap 20000 EUR" in plan.text
    [_plan_a] = elements(response.content, "table", class_="plan-a")
    deal_links = [
        link.text
        for link in elements(response.content, "a")
        if "/deals/" in link.attrs["href"] and link.text.endswith("commit")
    ]
    assert deal_links == ["Alice's commit", "Bob's commit"]
    assert "falls short" in plan.text


def test_a_rep_sees_only_their_row_and_no_adjustment_form(client, pipeline, bob):
    client.force_login(bob)
    response = client.get(URL, Q3)

    keys = {
        row.attrs["data-key"] for row in elements(response.content, "tr") if "data-key" in row.attrs
    }
    assert keys == {"total-all", f"team-{bob.team_id}", f"rep-{bob.pk}"}
    assert elements(response.content, "form", action=reverse("forecasting:adjust")) == []


def test_a_bad_period_is_an_error_naming_the_field(client, maria):
    client.force_login(maria)
    response = client.get(URL, {"period": "2026-Q9"})

    assert response.status_code == 400
    error = element(response.content, "div", class_="invalid-feedback")
    assert "2026-Q9" in error.text
    assert client.get(URL, {"team": "x"}).status_code == 400


def test_pickers_offer_what_the_dashboard_does(client, pipeline, stages, maria, alice, bob):
    # Given an archived pipeline beside the active one
    PipelineFactory(name="Old business", is_active=False)
    client.force_login(maria)

    content = client.get(URL, Q3).content

    # Maria's team, its sellers (herself among them), the active pipelines.
    assert [o.text for o in options(content, name="team")] == ["All my teams", "North"]
    assert {o.attrs["value"] for o in options(content, name="rep")} == {
        "",
        str(alice.pk),
        str(bob.pk),
        str(maria.pk),
    }
    assert [o.attrs["value"] for o in options(content, name="pipeline")] == [
        "",
        str(stages["offer"].pipeline_id),
    ]


@pytest.mark.parametrize("picker", ["team", "rep", "pipeline"])
def test_a_picker_outside_the_viewers_choices_is_an_error_naming_it(
    client, pipeline, maria, charlie, south, picker
):
    archived = PipelineFactory(name="Old business", is_active=False)
    client.force_login(maria)
    value = {"team": south.pk, "rep": charlie.pk, "pipeline": archived.pk}[picker]

    response = client.get(URL, {**Q3, picker: value})

    assert response.status_code == 400
    [error] = elements(response.content, "div", class_="invalid-feedback")
    assert "Select a valid choice" in error.text
    assert list(response.context["form"].errors) == [picker]
    assert "lines" not in response.context


def test_a_rep_outside_the_picked_team_is_an_error(client, pipeline, ada, alice, south):
    client.force_login(ada)

    response = client.get(URL, {**Q3, "rep": alice.pk, "team": south.pk})

    assert response.status_code == 400
    assert (
        f"{alice} is not in team South."
        in element(response.content, "div", class_="invalid-feedback").text
    )


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_manager_adjusts_a_call_and_sees_it_beside_the_submitted_one(
    client, pipeline, maria, alice
):
    client.force_login(maria)
    response = client.post(
        reverse("forecasting:adjust"),
        {
            "period": "2026-Q3",
            "target": f"rep-{alice.pk}",
            "category": "commit",
            "currency": "EUR",
            "amount": "7500.00",
            "note": "Slipping",
            "return_query": "period=2026-Q3&evil=1",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == f"{URL}?period=2026-Q3"
    adjustment = ForecastAdjustment.objects.get()
    assert (adjustment.rep, adjustment.previous_amount, adjustment.amount) == (
        alice,
        Decimal("10000.00"),
        Decimal("7500.00"),
    )
    page = client.get(URL, Q3)
    row = element(page.content, "tr", **{"data-key": f"rep-{alice.pk}"})
    assert "adjusted: 7,500" in row.text or "adjusted: 7500" in row.text
    history = element(page.content, "section", id="adjustment-history")
    assert "Slipping" in history.text


@pytest.mark.parametrize("who", ["alice", "sam"])
def test_reps_and_other_managers_cannot_adjust(client, pipeline, request, who, alice):
    client.force_login(request.getfixturevalue(who))
    response = client.post(
        reverse("forecasting:adjust"),
        {
            "period": "2026-Q3",
            "target": f"rep-{alice.pk}",
            "category": "commit",
            "currency": "EUR",
            "amount": "1.00",
        },
    )

    assert response.status_code == 403
    assert not ForecastAdjustment.objects.exists()


def test_a_bad_adjustment_names_the_field(client, pipeline, maria, alice):
    client.force_login(maria)
    response = client.post(
        reverse("forecasting:adjust"),
        {
            "period": "2026-Q3",
            "target": f"rep-{alice.pk}",
            "category": "commit",
            "currency": "EUR",
            "amount": "-5",
        },
        follow=True,
    )

    assert response.status_code == 200
    assert any("New call" in str(message) for message in response.context["messages"])
    assert not ForecastAdjustment.objects.exists()


@pytest.fixture
def offer_history(stages, alice):
    """Offer's observed chance in Q3's window: 1 in 5 (20 %), against 60 % configured."""
    for index in range(5):
        outcome = ("won", at(2026, 5, 1)) if index == 0 else ("lost", at(2026, 5, 1))
        deal_with(stages, alice, [("offer", at(2026, 3, 20)), outcome])


def test_admin_uses_the_observed_probability_in_one_click(client, stages, offer_history, ada):
    client.force_login(ada)
    page = client.get(URL, Q3)
    action = reverse("forecasting:use_observed", args=[stages["offer"].pk])
    assert element(page.content, "form", action=action)

    response = client.post(action, {"period": "2026-Q3"})

    assert response.status_code == 302
    assert Stage.objects.get(pk=stages["offer"].pk).probability == 20


def test_only_admins_use_the_observed_probability(client, stages, offer_history, maria):
    client.force_login(maria)
    action = reverse("forecasting:use_observed", args=[stages["offer"].pk])

    assert client.post(action, {"period": "2026-Q3"}).status_code == 403
    assert Stage.objects.get(pk=stages["offer"].pk).probability == 60


def test_without_history_the_probability_stays(client, stages, ada):
    client.force_login(ada)
    action = reverse("forecasting:use_observed", args=[stages["offer"].pk])

    response = client.post(action, {"period": "2026-Q3"}, follow=True)

    assert Stage.objects.get(pk=stages["offer"].pk).probability == 60
    assert any("too little history" in str(m) for m in response.context["messages"])


def test_query_count_does_not_grow_with_deals(
    client, stages, maria, alice, bob, north, django_assert_num_queries
):
    QuotaFactory(
        user=None, team=north, period_start=dt.date(2026, 7, 1), period_end=dt.date(2026, 9, 30)
    )
    client.force_login(maria)

    def count_with(deals):
        for index in range(deals):
            commit_deal(stages, alice if index % 2 else bob, "100.00", f"Deal {index}")
        client.get(URL, Q3)  # the snapshot readings, read once
        with django_assert_num_queries(PAGE_QUERIES):
            assert client.get(URL, Q3).status_code == 200

    count_with(2)
    count_with(20)


def test_picked_query_count_does_not_grow_with_deals(
    client, stages, maria, alice, bob, north, django_assert_num_queries
):
    QuotaFactory(user=alice, period_start=dt.date(2026, 7, 1), period_end=dt.date(2026, 9, 30))
    client.force_login(maria)
    picked = {**Q3, "team": north.pk, "rep": alice.pk, "pipeline": stages["offer"].pipeline_id}

    def count_with(deals):
        for index in range(deals):
            commit_deal(stages, alice if index % 2 else bob, "100.00", f"Deal {index}")
        # The page's queries and one check of each picked value against its choices.
        client.get(URL, picked)  # the snapshot readings, read once
        with django_assert_num_queries(PAGE_QUERIES + 3):
            assert client.get(URL, picked).status_code == 200

    count_with(2)
    count_with(20)


def test_query_count_with_the_ended_quarters_stored(
    client, stages, maria, alice, bob, north, django_assert_num_queries
):
    QuotaFactory(
        user=None, team=north, period_start=dt.date(2026, 7, 1), period_end=dt.date(2026, 9, 30)
    )
    rebuild()  # the rollups kept in UTC: the window's ended quarters are stored
    client.force_login(maria)

    def count_with(deals):
        for index in range(deals):
            commit_deal(stages, alice if index % 2 else bob, "100.00", f"Deal {index}")
        assert client.get(URL, Q3).status_code == 200  # counts what is not stored yet
        with django_assert_num_queries(STORED_PAGE_QUERIES):
            assert client.get(URL, Q3).status_code == 200

    count_with(2)
    count_with(20)
