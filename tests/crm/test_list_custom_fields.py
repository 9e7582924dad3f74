"""Custom fields on the four list pages: a filter control per field, values as columns.

The controls are plain form inputs named as the URL filters (``cf.<key>``,
``cf.<key>.gte``/``.lte``), so the form filters as a GET without JavaScript; the first
three active fields (by position) are columns.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from contacts.models import Company, Contact, Lead, LeadSource, RecordField, RecordKind
from core.custom_fields.list_controls import COLUMN_LIMIT
from pipeline.models import DealField, Opportunity
from tests.html import element, elements, options

HTMX = {"HX-Request": "true"}

# url name, table id, record kind (None: deals), the model
LISTS = [
    ("contacts:lead_list", "lead-table", RecordKind.LEAD, Lead),
    ("contacts:contact_list", "contact-table", RecordKind.CONTACT, Contact),
    ("contacts:company_list", "company-table", RecordKind.COMPANY, Company),
    ("pipeline:deal_list", "deal-table", None, Opportunity),
]
# Each list's own queries (the pins in each list's tests), the custom fields among them;
# a fragment: session, user, the count (deals: totals), the page, the custom fields.
PAGE_QUERIES = {"lead": 6, "contact": 6, "company": 6, "deal": 8}
ROW_PREFIX = {Lead: "lead-", Contact: "contact-", Company: "company-", Opportunity: "deal-"}
FRAGMENT_QUERIES = {"lead": 5, "contact": 5, "company": 5, "deal": 5}


def define_fields(kind):
    def make(**fields):
        if kind is None:
            return DealField.objects.create(**fields)
        return RecordField.objects.create(record=kind, **fields)

    return [
        make(
            key="tier",
            label="Tier",
            kind="choice",
            position=0,
            choices=[{"key": "gold", "label": "Gold"}, {"key": "silver", "label": "Silver"}],
        ),
        make(key="seats", label="Seats", kind="number", position=1),
        make(key="vip", label="VIP", kind="boolean", position=2),
        make(key="note", label="Note", kind="text", position=3),
        make(key="renewal", label="Renewal", kind="date", position=4),
        make(key="old", label="Old", kind="text", position=5, archived_at="2026-01-01T00:00Z"),
    ]


def make_records(model, owner, stage, values_list):
    """One record of ``model`` per mapping in ``values_list``, owned by ``owner`` (bulk)."""
    # Contacts and deals need a company; the companies list must hold only the rows made.
    company = None if model is Company else Company.objects.create(name="Base", owner=owner)
    rows = []
    for number, values in enumerate(values_list):
        common = {"owner": owner, "custom_fields": values}
        if model is Lead:
            rows.append(
                Lead(
                    first_name="L",
                    last_name=f"Lead {number}",
                    email=f"l{number}@x.example",
                    source=LeadSource.WEB,
                    **common,
                )
            )
        elif model is Contact:
            rows.append(
                Contact(first_name="C", last_name=f"Contact {number}", company=company, **common)
            )
        elif model is Company:
            rows.append(Company(name=f"Company {number}", domain=f"c{number}.example", **common))
        else:
            rows.append(
                Opportunity(
                    title=f"Deal {number}",
                    company=company,
                    stage=stage,
                    pipeline=stage.pipeline,
                    position=(number + 1) * 65536,
                    value=Decimal("100"),
                    currency="EUR",
                    **common,
                )
            )
    return model.objects.bulk_create(rows)


def row_ids(content, table_id, model):
    prefix = ROW_PREFIX[model]
    element(content, "div", id=table_id)  # the table is there, once
    return sorted(
        int(row.attrs["id"].removeprefix(prefix))
        for row in elements(content, "tr")
        if row.attrs.get("id", "").startswith(prefix)
    )


@pytest.mark.parametrize(("url_name", "table_id", "kind", "model"), LISTS)
def test_filter_form_has_a_control_per_active_field(
    client, alice, stage, url_name, table_id, kind, model
):
    define_fields(kind)
    client.force_login(alice)

    content = client.get(
        reverse(url_name), {"cf.tier": "gold", "cf.seats.gte": "5", "cf.note": "call"}
    ).content

    form = element(content, "form", role="search")
    assert form.attrs["method"] == "get"
    tier = options(content, name="cf.tier")
    assert [(o.attrs["value"], o.text) for o in tier] == [
        ("", "Any Tier"),
        ("gold", "Gold"),
        ("silver", "Silver"),
    ]
    assert [o.attrs["value"] for o in tier if "selected" in o.attrs] == ["gold"]
    assert [(o.attrs["value"], o.text) for o in options(content, name="cf.vip")] == [
        ("", "Any VIP"),
        ("yes", "VIP: yes"),
        ("no", "VIP: no"),
    ]
    assert element(content, "input", name="cf.note").attrs["value"] == "call"
    seats_from = element(content, "input", name="cf.seats.gte")
    assert (seats_from.attrs["type"], seats_from.attrs["value"]) == ("number", "5")
    assert element(content, "input", name="cf.seats.lte").attrs["value"] == ""
    assert element(content, "input", name="cf.renewal.gte").attrs["type"] == "date"
    assert element(content, "input", name="cf.renewal.lte").attrs["type"] == "date"
    # Archived fields are neither filters nor columns.
    assert not elements(content, name="cf.old")
    assert not elements(content, name="cf.old.gte")


@pytest.mark.parametrize(("url_name", "table_id", "kind", "model"), LISTS)
def test_columns_show_the_first_fields_values(
    client, alice, stage, url_name, table_id, kind, model
):
    define_fields(kind)
    full, empty = make_records(
        model, alice, stage, [{"tier": "gold", "seats": "1200", "vip": True, "note": "x"}, {}]
    )
    client.force_login(alice)

    for headers in ({}, HTMX):
        content = client.get(reverse(url_name), headers=headers).content
        heads = [th.text for th in elements(content, "th", class_="custom-field-column")]
        assert heads == ["Tier", "Seats", "VIP"]
        assert len(heads) == COLUMN_LIMIT
        prefix = ROW_PREFIX[model]
        cells = {
            pk: [
                td.text
                for td in elements(
                    row_html(content, f"{prefix}{pk}"), "td", class_="custom-field-cell"
                )
            ]
            for pk in (full.pk, empty.pk)
        }
        assert cells[full.pk] == ["Gold", "1,200", "Yes"]
        assert cells[empty.pk] == ["—", "—", "—"]


def row_html(content, row_id):
    """The markup of one table row, for reading its cells."""
    text = content.decode()
    start = text.index(f'<tr id="{row_id}"')
    return text[start : text.index("</tr>", start)]


@pytest.mark.parametrize(("url_name", "table_id", "kind", "model"), LISTS)
def test_controls_filter_without_javascript(
    client, alice, charlie, stage, url_name, table_id, kind, model
):
    define_fields(kind)
    gold_big, gold_small, silver, _ = make_records(
        model,
        alice,
        stage,
        [
            {"tier": "gold", "seats": "50", "vip": True, "note": "Call", "renewal": "2027-03-01"},
            {"tier": "gold", "seats": "5", "vip": False},
            {"tier": "silver", "seats": "500"},
            {},
        ],
    )
    # Another team's record matches every filter but is never listed for alice.
    make_records(model, charlie, stage, [{"tier": "gold", "seats": "50", "vip": True}])
    client.force_login(alice)

    def listed(params):
        return row_ids(client.get(reverse(url_name), params).content, table_id, model)

    assert listed({"cf.tier": "gold"}) == sorted([gold_big.pk, gold_small.pk])
    assert listed({"cf.tier": "gold", "cf.seats.gte": "10"}) == [gold_big.pk]
    assert listed({"cf.seats.gte": "10", "cf.seats.lte": "100"}) == [gold_big.pk]
    assert listed({"cf.vip": "no"}) == [gold_small.pk]
    assert listed({"cf.note": "call"}) == [gold_big.pk]
    assert listed({"cf.renewal.gte": "2027-01-01", "cf.renewal.lte": "2027-12-31"}) == [gold_big.pk]
    # An empty control (the form submits every input) filters nothing out.
    everything = listed({"cf.tier": "", "cf.seats.gte": "", "cf.note": "", "cf.vip": ""})
    assert len(everything) == 4
    assert silver.pk in everything


@pytest.mark.parametrize("rows", [10, 1000])
@pytest.mark.parametrize(("url_name", "table_id", "kind", "model"), LISTS)
def test_query_count_with_custom_fields_does_not_grow(
    client, alice, stage, rows, url_name, table_id, kind, model, django_assert_num_queries
):
    define_fields(kind)
    make_records(
        model,
        alice,
        stage,
        [{"tier": "gold" if n % 2 else "silver", "seats": str(n)} for n in range(rows)],
    )
    client.force_login(alice)
    url = reverse(url_name)
    params = {"cf.tier": "gold", "cf.seats.gte": "1"}
    client.get(url, params)
    name = model._meta.model_name.replace("opportunity", "deal")

    with django_assert_num_queries(PAGE_QUERIES[name]):
        response = client.get(url, params)
    assert len(row_ids(response.content, table_id, model)) == min(rows // 2, 50)
    with django_assert_num_queries(FRAGMENT_QUERIES[name]):
        client.get(url, {**params, "page": 2}, headers=HTMX)


def test_lead_list_says_no_match_only_when_a_custom_filter_has_a_value(client, alice):
    define_fields(RecordKind.LEAD)
    client.force_login(alice)
    url = reverse("contacts:lead_list")

    def empty_row(params):
        return element(client.get(url, params).content, "td", class_="py-4").text

    # Every control of a submitted form comes along, the empty ones too.
    assert empty_row({"cf.tier": "", "cf.seats.gte": ""}) == "No leads yet."
    assert empty_row({"cf.tier": "gold"}) == "No leads match this search."
