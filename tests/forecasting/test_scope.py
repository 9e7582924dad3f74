"""A report's scope: whose deals and which sellers each role's dashboard covers."""

import pytest

from forecasting.periods import parse_period
from forecasting.scope import ReportScope
from pipeline.models import StageChange
from tests.factories import (
    LeadFactory,
    LineItemFactory,
    OpportunityFactory,
    PipelineFactory,
    ProductFactory,
    StageFactory,
)

PERIOD = parse_period("2026-Q3")


@pytest.fixture
def deals(alice, bob, charlie, stage):
    return {
        "alice": OpportunityFactory(owner=alice, stage=stage, title="Alice's"),
        "bob": OpportunityFactory(owner=bob, stage=stage, title="Bob's"),
        "charlie": OpportunityFactory(owner=charlie, stage=stage, title="Charlie's"),
    }


def titles(scope):
    return sorted(scope.deals().values_list("title", flat=True))


def test_a_rep_covers_their_own_deals_though_they_see_the_team(alice, deals):
    assert titles(ReportScope(alice, PERIOD)) == ["Alice's"]
    assert [user.username for user in ReportScope(alice, PERIOD).people()] == ["alice"]


def test_a_manager_covers_their_team_and_lists_every_seller_in_it(maria, deals, alice, bob):
    assert titles(ReportScope(maria, PERIOD)) == ["Alice's", "Bob's"]
    assert sorted(user.username for user in ReportScope(maria, PERIOD).people()) == [
        "alice",
        "bob",
        "maria",
    ]


def test_an_admin_covers_everyone_but_is_not_listed_as_a_seller(ada, deals, sam):
    assert titles(ReportScope(ada, PERIOD)) == ["Alice's", "Bob's", "Charlie's"]
    assert "ada" not in {user.username for user in ReportScope(ada, PERIOD).people()}


def test_filters_narrow_by_rep_team_pipeline_product_and_lead_source(ada, deals, bob, south):
    assert titles(ReportScope(ada, PERIOD, rep_id=bob.pk)) == ["Bob's"]
    assert titles(ReportScope(ada, PERIOD, team_id=south.pk)) == ["Charlie's"]

    other = StageFactory(pipeline=PipelineFactory(name="Renewals"))
    OpportunityFactory(owner=bob, stage=other, title="Renewal")
    assert titles(ReportScope(ada, PERIOD, pipeline_id=other.pipeline_id)) == ["Renewal"]

    product = ProductFactory()
    # Two lines of one product: the deal still counts once.
    LineItemFactory(opportunity=deals["alice"], product=product)
    LineItemFactory(opportunity=deals["alice"], product=product)
    assert titles(ReportScope(ada, PERIOD, product_id=product.pk)) == ["Alice's"]

    deals["charlie"].lead = LeadFactory(source="referral")
    deals["charlie"].save(update_fields=["lead"])
    assert titles(ReportScope(ada, PERIOD, lead_source="referral")) == ["Charlie's"]


def test_a_rep_cannot_widen_their_scope_with_a_filter(alice, bob, deals):
    assert titles(ReportScope(alice, PERIOD, rep_id=bob.pk)) == []
    assert list(ReportScope(alice, PERIOD, rep_id=bob.pk).people()) == []


def test_the_deal_filters_apply_through_a_join_from_a_deal_s_history(ada, deals, bob):
    product = ProductFactory()
    LineItemFactory(opportunity=deals["bob"], product=product)
    deals["charlie"].lead = LeadFactory(source="referral")
    deals["charlie"].save(update_fields=["lead"])
    for deal in deals.values():
        StageChange.objects.create(opportunity=deal, to_stage=deal.stage, at=deal.created_at)

    def through_history(scope):
        changes = StageChange.objects.filter(scope.deal_filter_q("opportunity"))
        return sorted(changes.values_list("opportunity__title", flat=True))

    assert through_history(ReportScope(ada, PERIOD, product_id=product.pk)) == ["Bob's"]
    assert through_history(ReportScope(ada, PERIOD, lead_source="referral")) == ["Charlie's"]
    assert through_history(ReportScope(ada, PERIOD)) == ["Alice's", "Bob's", "Charlie's"]
