"""The board's text search: a deal matches by its title or its company's name, in any
case, whether the matches are few (looked up first, then filtered by id) or many (compared
in each query)."""

import pytest

from pipeline import board
from pipeline.board import BoardFilters
from pipeline.models import Opportunity
from tests.factories import CompanyFactory, OpportunityFactory


@pytest.fixture
def deals(alice):
    acme = CompanyFactory(name="Acme", owner=alice)
    partners = CompanyFactory(name="ROLLOUT Partners", owner=alice)
    return {
        "by_title": OpportunityFactory(title="Alpha rollout", company=acme, owner=alice),
        "by_company": OpportunityFactory(title="Beta", company=partners, owner=alice),
        "neither": OpportunityFactory(title="Gamma", company=acme, owner=alice),
    }


def titles(user, text):
    deals = BoardFilters(text=text).apply(Opportunity.objects.visible_to(user), user)
    return set(deals.values_list("title", flat=True))


@pytest.mark.parametrize("cap", [board.TEXT_MATCH_IDS, 0], ids=["ids first", "compared"])
def test_a_deal_matches_by_its_title_or_its_companys_name(monkeypatch, alice, deals, cap):
    monkeypatch.setattr(board, "TEXT_MATCH_IDS", cap)

    assert titles(alice, "Rollout") == {"Alpha rollout", "Beta"}
    assert titles(alice, "acme") == {"Alpha rollout", "Gamma"}
    assert titles(alice, "nothing like it") == set()


def test_the_search_shows_no_deal_the_user_may_not_see(alice, charlie, deals):
    assert titles(charlie, "Rollout") == set()
