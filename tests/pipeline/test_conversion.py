"""Converting a qualified lead: company, contact and deal in one step, history carried over."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from contacts.models import Company, Contact, Lead, LeadPolicy, LeadStatus
from pipeline.models import Opportunity, StageChange, StageKind, Task, Touchpoint, TouchpointKind
from pipeline.services import add_task, convert_lead, log_touchpoint
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    LeadFactory,
    PipelineFactory,
    StageFactory,
)


@pytest.fixture
def pipeline(db):
    pipeline = PipelineFactory(name="New business")
    StageFactory(pipeline=pipeline, name="Won", position=9, probability=100, kind=StageKind.WON)
    StageFactory(pipeline=pipeline, name="Contact", position=1)
    StageFactory(pipeline=pipeline, name="Offer", position=2)
    return pipeline


@pytest.fixture
def qualified_lead(alice):
    LeadPolicy.objects.update_or_create(pk=1, defaults={"qualification_threshold": 60})
    return LeadFactory(
        owner=alice,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@acme.com",
        phone="+44 20 1",
        job_title="CTO",
        company_name="Acme Ltd",
        company_domain="acme.com",
        country="GB",
        score=75,
        status=LeadStatus.QUALIFIED,
        created_at=timezone.now() - dt.timedelta(days=10),
    )


def convert(by, lead, pipeline, **extra):
    return convert_lead(
        by=by,
        lead_id=lead.pk,
        pipeline_id=pipeline.pk,
        title="Acme rollout",
        value=Decimal("12500.00"),
        currency="EUR",
        **extra,
    )


def test_conversion_creates_company_contact_and_deal_in_the_first_stage(
    alice, qualified_lead, pipeline
):
    deal = convert(alice, qualified_lead, pipeline, expected_close_date=dt.date(2027, 1, 31))

    assert (deal.stage.name, deal.owner, deal.value, deal.lead) == (
        "Contact",
        alice,
        Decimal("12500.00"),
        qualified_lead,
    )
    assert deal.expected_close_date == dt.date(2027, 1, 31)
    company, contact = deal.company, deal.contact
    assert (company.name, company.domain, company.country, company.owner) == (
        "Acme Ltd",
        "acme.com",
        "GB",
        alice,
    )
    assert (contact.full_name, contact.email, contact.job_title, contact.company) == (
        "Ada Lovelace",
        "ada@acme.com",
        "CTO",
        company,
    )
    assert StageChange.objects.filter(opportunity=deal, from_stage=None).count() == 1
    qualified_lead.refresh_from_db()
    assert qualified_lead.status == LeadStatus.CONVERTED
    assert qualified_lead.converted_company == company
    assert qualified_lead.converted_contact == contact
    assert qualified_lead.converted_at is not None


def test_history_is_carried_over_to_the_contact_and_deal(alice, qualified_lead, pipeline):
    call_at = timezone.now() - dt.timedelta(days=3)
    log_touchpoint(by=alice, kind=TouchpointKind.CALL, lead_id=qualified_lead.pk, at=call_at)
    log_touchpoint(
        by=alice,
        kind=TouchpointKind.NOTE,
        lead_id=qualified_lead.pk,
        at=call_at - dt.timedelta(days=1),
    )
    add_task(by=alice, title="Send deck", due_at=timezone.now(), lead_id=qualified_lead.pk)

    deal = convert(alice, qualified_lead, pipeline)

    touchpoints = Touchpoint.objects.filter(lead=qualified_lead)
    assert touchpoints.count() == 2
    assert set(touchpoints.values_list("opportunity", "contact")) == {(deal.pk, deal.contact_id)}
    task = Task.objects.get(lead=qualified_lead)
    assert (task.opportunity_id, task.contact_id) == (deal.pk, deal.contact_id)
    deal.refresh_from_db()
    assert deal.last_touch_at == call_at


def test_a_visible_company_with_the_domain_and_its_contact_are_reused(
    alice, qualified_lead, pipeline
):
    company = CompanyFactory(owner=alice, domain="acme.com", name="ACME (existing)")
    contact = ContactFactory(company=company, email="ADA@acme.com", owner=alice)

    deal = convert(alice, qualified_lead, pipeline)

    assert (deal.company, deal.contact) == (company, contact)
    assert Company.objects.count() == 1
    assert Contact.objects.count() == 1


def test_another_teams_company_is_never_reused_or_revealed(
    alice, charlie, qualified_lead, pipeline
):
    theirs = CompanyFactory(owner=charlie, domain="acme.com")

    deal = convert(alice, qualified_lead, pipeline)
    assert deal.company != theirs
    with pytest.raises(ValidationError) as refusal:
        convert(alice, LeadFactory(owner=alice, score=80), pipeline, company_id=theirs.pk)
    assert "company" in refusal.value.message_dict


def test_a_lead_below_the_threshold_is_refused_and_nothing_is_written(
    alice, qualified_lead, pipeline
):
    qualified_lead.score = 59
    qualified_lead.status = LeadStatus.CONTACTED
    qualified_lead.save()

    with pytest.raises(ValidationError, match="scores 59; it needs 60"):
        convert(alice, qualified_lead, pipeline)

    assert not Opportunity.objects.exists()
    assert not Company.objects.exists()
    assert Lead.objects.get(pk=qualified_lead.pk).status == LeadStatus.CONTACTED


def test_bad_deal_input_rolls_back_the_company_and_contact(alice, qualified_lead, pipeline):
    with pytest.raises(ValidationError) as refusal:
        convert_lead(
            by=alice,
            lead_id=qualified_lead.pk,
            pipeline_id=pipeline.pk,
            title="",
            value=Decimal("-5"),
            currency="EUR",
        )

    assert {"title", "value"} <= set(refusal.value.message_dict)
    assert not Company.objects.exists()
    assert not Contact.objects.exists()


def test_a_lead_converts_once(alice, qualified_lead, pipeline):
    convert(alice, qualified_lead, pipeline)

    with pytest.raises(ValidationError, match="already been converted"):
        convert(alice, qualified_lead, pipeline)
    assert Opportunity.objects.count() == 1


def test_teammates_cannot_convert_and_other_teams_cannot_find_the_lead(
    bob, charlie, qualified_lead, pipeline
):
    with pytest.raises(PermissionDenied):
        convert(bob, qualified_lead, pipeline)
    with pytest.raises(Lead.DoesNotExist):
        convert(charlie, qualified_lead, pipeline)


def test_a_manager_converts_a_queued_lead_and_owns_the_deal(maria, qualified_lead, pipeline):
    qualified_lead.owner = None
    qualified_lead.save()

    deal = convert(maria, qualified_lead, pipeline)

    assert deal.owner == maria
    assert deal.contact.owner == maria


# --- the convert page -------------------------------------------------------------------------


def test_convert_page_converts_and_lands_on_the_board(client, alice, qualified_lead, pipeline):
    client.force_login(alice)
    url = reverse("pipeline:convert_lead", args=[qualified_lead.pk])

    form = client.get(url)
    response = client.post(
        url,
        {"pipeline": pipeline.pk, "title": "Acme rollout", "value": "12500.00", "currency": "eur"},
    )

    assert form.status_code == 200
    assert form.context["form"].initial["title"] == "Acme Ltd"
    assert response["Location"] == reverse("pipeline:board", args=[pipeline.pk])
    deal = Opportunity.objects.get()
    assert (deal.title, deal.currency, deal.lead) == ("Acme rollout", "EUR", qualified_lead)


def test_convert_page_explains_a_refusal(client, alice, qualified_lead, pipeline):
    qualified_lead.score = 10
    qualified_lead.status = LeadStatus.CONTACTED
    qualified_lead.save()
    client.force_login(alice)

    response = client.post(
        reverse("pipeline:convert_lead", args=[qualified_lead.pk]),
        {"pipeline": pipeline.pk, "title": "Acme rollout", "value": "1", "currency": "EUR"},
    )

    assert response.status_code == 422
    assert "scores 10; it needs 60" in response.content.decode()
    assert not Opportunity.objects.exists()


@pytest.mark.parametrize(
    ("viewer", "get_status", "post_status"), [("bob", 200, 403), ("charlie", 404, 404)]
)
def test_convert_page_is_closed_to_others(
    client, request, qualified_lead, pipeline, viewer, get_status, post_status
):
    client.force_login(request.getfixturevalue(viewer))
    url = reverse("pipeline:convert_lead", args=[qualified_lead.pk])

    assert client.get(url).status_code == get_status
    data = {"pipeline": pipeline.pk, "title": "x", "value": "1", "currency": "EUR"}
    assert client.post(url, data).status_code == post_status
    assert not Opportunity.objects.exists()


def test_convert_page_query_count_does_not_grow(
    client, alice, qualified_lead, django_assert_num_queries
):
    client.force_login(alice)
    url = reverse("pipeline:convert_lead", args=[qualified_lead.pk])
    PipelineFactory()
    client.get(url)
    with django_assert_num_queries(CONVERT_PAGE_QUERIES):
        client.get(url)
    for _ in range(5):
        PipelineFactory()
    with django_assert_num_queries(CONVERT_PAGE_QUERIES):
        client.get(url)


# Session, user, policy, lead, the pipeline choices.
CONVERT_PAGE_QUERIES = 5
