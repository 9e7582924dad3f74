"""A report's scope: whose deals and which sellers each role's dashboard covers."""

import pytest

from forecasting.periods import parse_period
from forecasting.scope import ReportScope
from pipeline.models import Opportunity, StageChange
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
    """The titles of the scope's deals, read directly and through a join from another
    model (``deal_q``, as the movement reads snapshots): both must agree."""
    direct = sorted(scope.deals().values_list("title", flat=True))
    for deal in Opportunity.objects.filter(stage_changes__isnull=True):
        StageChange.objects.create(opportunity=deal, to_stage=deal.stage, at=deal.created_at)
    joined = StageChange.objects.filter(scope.deal_q("opportunity"))
    assert sorted(joined.values_list("opportunity__title", flat=True)) == direct
    return direct


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


def test_an_inactive_user_covers_nothing(alice, deals):
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert titles(ReportScope(alice, PERIOD)) == []
