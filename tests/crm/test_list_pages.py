"""The four list pages share one skeleton (templates/_list_page.html).

Each page's htmx partial renders the page again with a layout that outputs only the table,
so these tests pin what that must keep: the fragment is the table and nothing else, under
the partial name the view asks for, and it is the very table of the full page.
"""

import re

import pytest
from django.template.loader import get_template
from django.urls import resolve, reverse

from tests.factories import CompanyFactory, ContactFactory, LeadFactory, OpportunityFactory

HTMX = {"HX-Request": "true"}

LISTS = [
    # url name, table id (the partial's name), the export's url name
    ("contacts:lead_list", "lead-table", "contacts:lead_export"),
    ("contacts:contact_list", "contact-table", "contacts:contact_export"),
    ("contacts:company_list", "company-table", "contacts:company_export"),
    ("pipeline:deal_list", "deal-table", "pipeline:deal_export"),
]


@pytest.fixture
def records(alice, stage):
    company = CompanyFactory(name="Zeta Widgets", owner=alice)
    ContactFactory(last_name="Lovelace", company=company, owner=alice)
    LeadFactory(last_name="Lovelace", owner=alice)
    OpportunityFactory(
        title="Zeta renewal", company=company, owner=alice, stage=stage, pipeline=stage.pipeline
    )


def table_of(content, table_id):
    """The table card of a page, from its opening tag to the end of the fragment or main."""
    start = content.index(f'<div class="card border-0 shadow-sm list-card" id="{table_id}"')
    end = content.find("</main>", start)
    return content[start : end if end != -1 else None]


def normalised(html):
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()


@pytest.mark.parametrize(("url_name", "table_id", "export"), LISTS)
def test_each_page_defines_its_table_partial_under_the_views_name(url_name, table_id, export):
    view = resolve(reverse(url_name)).func.view_class
    assert view.partial_name == table_id
    # The partials loader finds only partials defined in the page's own file.
    assert get_template(f"{view.template_name}#{table_id}") is not None


@pytest.mark.parametrize(("url_name", "table_id", "export"), LISTS)
def test_htmx_fragment_is_only_the_table_of_the_full_page(
    client, alice, records, url_name, table_id, export
):
    client.force_login(alice)
    url = reverse(url_name)

    page = client.get(url, {"sort": "-created"}).content.decode()
    fragment = client.get(url, {"sort": "-created"}, headers=HTMX).content.decode()

    assert "<html" not in fragment
    assert "<form" not in fragment
    assert 'class="page-header"' not in fragment
    # The sort field of the filter form follows the table's order, out of band.
    sort_field = f'name="sort" id="{table_id}-sort" value="-created" hx-swap-oob="true">'
    assert fragment.lstrip().startswith(f'<input type="hidden" {sort_field}')
    assert fragment.count(f'id="{table_id}"') == 1
    assert f'href="{reverse(export)}?sort=-created" ' in fragment
    assert "Lovelace" in fragment or "Zeta" in fragment
    # The page holds the same table, and its filter form targets it.
    assert normalised(table_of(fragment, table_id)) in normalised(table_of(page, table_id))
    assert f'hx-target="#{table_id}"' in page
    assert f'id="{table_id}-search"' in page
    assert page.count(f'id="{table_id}-sort"') == 1
    assert "hx-swap-oob" not in page
