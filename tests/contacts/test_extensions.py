"""Contacts' extension points: what the apps above contacts add to its pages and merges.

In the running project pipeline fills them (deals, activity, quick logging, conversion, the
"open deals" filter, moving its rows on merges). These tests swap in an empty registry to
show what contacts does alone, and register hooks of their own to show how each is called.
"""

import datetime as dt

import pytest
from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from contacts import extensions
from contacts.extensions import (
    ListFilter,
    Panel,
    Registry,
    Slot,
    TimelineEntry,
    register_list_filter,
    register_merge_handler,
    register_panel,
    register_timeline_source,
)
from contacts.models import Company, Contact, Lead
from contacts.services.people import merge_contacts
from contacts.views.contact_timeline import TIMELINE_STEP
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    LeadFactory,
    OpportunityFactory,
    TaskFactory,
    TouchpointFactory,
)
from tests.html import element, elements

HTMX = {"HX-Request": "true"}
# A core partial that shows two context values, {{ target }} and {{ sort }}, in an input.
PROBE_TEMPLATE = "_sort_input.html"


@pytest.fixture
def bare(monkeypatch):
    """No hooks at all, as if no app above contacts were installed."""
    registry = Registry()
    monkeypatch.setattr(extensions, "registry", registry)
    return registry


@pytest.fixture
def acme(alice):
    return CompanyFactory(name="Acme", owner=alice)


@pytest.fixture
def ada(acme, alice):
    return ContactFactory(company=acme, owner=alice, first_name="Ada")


def probe(name, *, at=None, kind="probe"):
    return TimelineEntry(kind, at or timezone.now(), PROBE_TEMPLATE, item=name)


# --- contacts alone ---------------------------------------------------------------------------


def test_without_hooks_a_contact_page_shows_only_what_contacts_owns(client, alice, ada, bare):
    deal = OpportunityFactory(owner=alice, company=ada.company, contact=ada)
    TouchpointFactory(opportunity=deal, contact=ada, by=alice)
    client.force_login(alice)

    response = client.get(reverse("contacts:contact_detail", args=[ada.pk]))

    assert response.status_code == 200
    headings = {heading.text for heading in elements(response.content, "h2")}
    assert headings == {"Details", "Timeline"}
    assert response.context["timeline"].entries == []
    assert "Nothing has happened here yet." in element(response.content, "ol").text


def test_without_hooks_a_company_page_lists_its_people_and_no_deals(client, alice, ada, bare):
    OpportunityFactory(owner=alice, company=ada.company, contact=ada)
    client.force_login(alice)

    response = client.get(reverse("contacts:company_detail", args=[ada.company_id]))

    assert response.status_code == 200
    headings = {heading.text for heading in elements(response.content, "h2")}
    assert headings == {"Details", "People", "Timeline"}


def test_without_hooks_a_lead_page_has_no_conversion_logging_or_activity(client, alice, bare):
    lead = LeadFactory(owner=alice, score=100)
    TaskFactory(opportunity=None, lead=lead, assignee=alice)
    client.force_login(alice)

    response = client.get(reverse("contacts:lead_detail", args=[lead.pk]))

    assert response.status_code == 200
    assert [entry.kind for entry in response.context["page"].timeline] == ["created"]
    assert elements(response.content, id="lead-convert") == []
    assert elements(response.content, id=f"lead-{lead.pk}-quick-log") == []
    assert element(response.content, id="lead-actions").text == "Edit"


def test_without_filters_the_contact_list_offers_none_and_ignores_the_parameter(
    client, alice, ada, bare
):
    ContactFactory(company=ada.company, owner=alice, first_name="Grace")
    client.force_login(alice)

    response = client.get(reverse("contacts:contact_list"), {"open_deals": "yes"})

    assert elements(response.content, "select", name="open_deals") == []
    assert len(response.context["page_obj"]) == 2


# --- hooks ------------------------------------------------------------------------------------


def test_a_panel_is_shown_in_its_slot_with_its_own_context(client, alice, ada, bare):
    register_panel(
        Contact,
        slot=Slot.SIDE,
        panel=Panel(
            name="probe",
            title="Probe",
            template=PROBE_TEMPLATE,
            context=lambda page: {"target": f"probe-{page.record.pk}", "sort": page.user.username},
        ),
    )
    client.force_login(alice)

    response = client.get(reverse("contacts:contact_detail", args=[ada.pk]))

    assert element(response.content, "h2", id="contact-probe-heading").text == "Probe"
    assert element(response.content, "input", id=f"probe-{ada.pk}-sort").attrs["value"] == "alice"


def test_a_panels_context_is_read_only_when_its_slot_is_shown(client, alice, ada, bare):
    calls = []
    register_panel(
        Contact,
        slot=Slot.MAIN,
        panel=Panel(
            name="probe", template=PROBE_TEMPLATE, context=lambda page: calls.append(1) or {}
        ),
    )
    client.force_login(alice)
    url = reverse("contacts:contact_detail", args=[ada.pk])

    client.get(url, headers=HTMX)  # the timeline alone ("Show more")
    assert calls == []
    client.get(url)
    assert calls == [1]


def test_timeline_sources_are_merged_newest_first_and_cut_at_the_length(client, alice, ada, bare):
    now = timezone.now()
    asked = []

    def many(page, limit):
        asked.append((page.record, page.contact_ids, limit))
        return [probe(f"old-{n}", at=now - dt.timedelta(days=n + 1)) for n in range(limit)]

    register_timeline_source(Contact, source=many)
    register_timeline_source(Contact, source=lambda page, limit: [probe("new", at=now)])
    client.force_login(alice)

    response = client.get(reverse("contacts:contact_detail", args=[ada.pk]))

    timeline = response.context["timeline"]
    assert asked == [(ada, (ada.pk,), TIMELINE_STEP + 1)]
    assert [entry.item for entry in timeline.entries[:2]] == ["new", "old-0"]
    assert len(timeline.entries) == TIMELINE_STEP
    assert timeline.has_more
    items = elements(response.content, "li", class_="record-timeline-item")
    assert len(items) == TIMELINE_STEP
    assert all("is-probe" in item.classes for item in items)


def test_a_company_timeline_covers_the_people_listed(client, alice, ada, bare):
    grace = ContactFactory(company=ada.company, owner=alice)
    asked = []
    register_timeline_source(
        Company, source=lambda page, limit: asked.append(set(page.contact_ids)) or []
    )
    client.force_login(alice)

    client.get(reverse("contacts:company_detail", args=[ada.company_id]))

    assert asked == [{ada.pk, grace.pk}]


def test_registering_again_changes_nothing(bare):
    def source(page, limit):
        return []

    panel = Panel(name="probe", template=PROBE_TEMPLATE)
    for _ in range(2):
        register_timeline_source(Contact, Company, source=source)
        register_panel(Lead, slot=Slot.ACTIONS, panel=panel)

    assert bare.timeline_sources[Contact] == bare.timeline_sources[Company] == [source]
    assert list(bare.panels[Lead, Slot.ACTIONS].values()) == [panel]


def test_pipeline_registers_its_hooks_once_however_often_it_is_ready():
    registry = extensions.registry
    before = (
        {model: len(sources) for model, sources in registry.timeline_sources.items()},
        {key: len(panels) for key, panels in registry.panels.items()},
        {model: len(handlers) for model, handlers in registry.merge_handlers.items()},
    )

    apps.get_app_config("pipeline").ready()

    after = (
        {model: len(sources) for model, sources in registry.timeline_sources.items()},
        {key: len(panels) for key, panels in registry.panels.items()},
        {model: len(handlers) for model, handlers in registry.merge_handlers.items()},
    )
    assert after == before
    assert {Company, Contact, Lead} <= set(registry.merge_handlers)


def test_a_list_filter_is_offered_and_narrows_the_list(client, alice, ada, bare):
    ContactFactory(company=ada.company, owner=alice, first_name="Grace")
    register_list_filter(
        Contact,
        list_filter=ListFilter(
            name="first_letter",
            field=lambda: forms.ChoiceField(
                label="First letter", required=False, choices=[("", "Any"), ("G", "G")]
            ),
            apply=lambda records, user, value: records.filter(first_name__startswith=value),
        ),
    )
    client.force_login(alice)
    url = reverse("contacts:contact_list")

    everyone = client.get(url)
    filtered = client.get(url, {"first_letter": "G"})

    select = element(everyone.content, "select", id="contact-filter-first-letter")
    assert select.attrs["name"] == "first_letter"
    assert len(everyone.context["page_obj"]) == 2
    assert [contact.first_name for contact in filtered.context["page_obj"]] == ["Grace"]


# --- merges -----------------------------------------------------------------------------------


def test_merge_handlers_run_inside_the_merge_with_both_ids(alice, ada, bare):
    twin = ContactFactory(company=ada.company, owner=alice)
    calls = []

    def record(**arguments):
        calls.append((arguments, connection.in_atomic_block))

    register_merge_handler(Contact, handler=record)

    merge_contacts(by=alice, keep_id=ada.pk, merge_id=twin.pk)

    assert calls == [({"model": Contact, "merged_id": twin.pk, "kept_id": ada.pk}, True)]


def test_a_failing_merge_handler_undoes_the_whole_merge(alice, ada, bare):
    twin = ContactFactory(company=ada.company, owner=alice, phone="+1 555")
    lead = LeadFactory(owner=alice, converted_contact=twin)

    def refuse(**arguments):
        raise ValidationError("No.")

    register_merge_handler(Contact, handler=refuse)

    with pytest.raises(ValidationError):
        merge_contacts(by=alice, keep_id=ada.pk, merge_id=twin.pk)

    lead.refresh_from_db()
    assert lead.converted_contact_id == twin.pk
    assert Contact.objects.filter(pk__in=[ada.pk, twin.pk]).count() == 2
