"""A merge leaves nothing pointing at the merged record: every foreign key, of every app.

The relations are read from the models, so one added later fails here until it is moved:
by contacts for its own models, by a merge handler (``contacts.extensions``) of the app that
declares it. Tests may know all apps; contacts itself knows only its own.
"""

import pytest
from django.db import models
from django.db.models import ProtectedError

from contacts import extensions
from contacts.extensions import Registry
from contacts.models import Company, Contact, Lead, QualificationAnswer
from contacts.services import merge_leads
from contacts.services.companies import merge_companies
from contacts.services.people import merge_contacts
from pipeline.models import DealContact, Opportunity, Task, Touchpoint
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    DealContactFactory,
    LeadFactory,
    OpportunityFactory,
    QualificationCriterionFactory,
    TaskFactory,
    TouchpointFactory,
)
from tests.layers import RANK, module_owner


def answer(**fields):
    return QualificationAnswer.objects.create(
        criterion=QualificationCriterionFactory(), is_met=True, **fields
    )


# How to make a row of each model that refers to merged records. A model missing here
# fails the test below: add it, and make the merge move its rows.
MAKERS = {
    Contact: ContactFactory,
    Lead: LeadFactory,
    QualificationAnswer: answer,
    Opportunity: OpportunityFactory,
    Touchpoint: TouchpointFactory,
    Task: TaskFactory,
    DealContact: DealContactFactory,
}


def references():
    """(merged model, referring model, foreign key) for every relation onto a merged model."""
    return [
        pytest.param(
            target,
            relation.field,
            id=f"{target.__name__}<-{relation.related_model._meta.label}.{relation.field.name}",
        )
        for target in (Company, Contact, Lead)
        for relation in target._meta.get_fields(include_hidden=True)
        if relation.auto_created and not relation.concrete and not relation.many_to_many
    ]


def is_higher_app(field) -> bool:
    return RANK[module_owner(field.model._meta.app_config.name)] > RANK["contacts"]


def merge_pair(target, owner):
    """Two records of ``target`` that ``owner`` may merge, and the merge: (kept, merged, merge)."""
    if target is Company:
        kept, merged = CompanyFactory(owner=owner), CompanyFactory(owner=owner)
        return kept, merged, merge_companies
    if target is Contact:
        company = CompanyFactory(owner=owner)
        kept, merged = ContactFactory.create_batch(2, company=company, owner=owner)
        return kept, merged, merge_contacts
    kept, merged = LeadFactory.create_batch(2, owner=owner)
    return kept, merged, merge_leads


def merge_with_a_reference(target, field, owner):
    """Merge two records after pointing a new row's ``field`` at the merged one."""
    kept, merged, merge = merge_pair(target, owner)
    assert field.model in MAKERS, f"{field.model._meta.label} refers to {target.__name__}: add it"
    row = MAKERS[field.model](**{field.name: merged})
    merge(by=owner, keep_id=kept.pk, merge_id=merged.pk)
    return kept, field.model._base_manager.filter(pk=row.pk).values_list(field.attname, flat=True)


@pytest.mark.parametrize(("target", "field"), references())
def test_merging_moves_every_reference_to_the_kept_record(alice, target, field):
    kept, reference = merge_with_a_reference(target, field, alice)

    assert list(reference) == [kept.pk]


@pytest.mark.parametrize(
    ("target", "field"),
    [reference for reference in references() if is_higher_app(reference.values[1])],
)
def test_rows_of_apps_above_contacts_move_only_by_their_merge_handlers(
    alice, monkeypatch, target, field
):
    # Given no merge handlers, as if the app that declares the relation had registered none:
    # contacts does not move what it does not own.
    monkeypatch.setattr(extensions, "registry", Registry())

    if field.remote_field.on_delete is models.PROTECT:
        # The merged record cannot be deleted while the row protects it: nothing is merged.
        with pytest.raises(ProtectedError):
            merge_with_a_reference(target, field, alice)
        return
    kept, reference = merge_with_a_reference(target, field, alice)
    assert kept.pk not in list(reference)


def test_a_deal_with_both_people_on_its_team_keeps_one_place_primary_if_either_was(alice):
    # Given two contacts of one company, both on a deal's buying team, the merged one primary
    company = CompanyFactory(owner=alice)
    kept, merged = ContactFactory.create_batch(2, company=company, owner=alice)
    deal = OpportunityFactory(owner=alice, company=company, contact=merged)
    DealContactFactory(opportunity=deal, contact=kept, is_primary=False)
    DealContactFactory(opportunity=deal, contact=merged, is_primary=True)
    elsewhere = OpportunityFactory(owner=alice, company=company, contact=merged)
    DealContactFactory(opportunity=elsewhere, contact=merged, is_primary=True)

    # When the contacts are merged
    merge_contacts(by=alice, keep_id=kept.pk, merge_id=merged.pk)

    # Then each deal has the kept person once, primary, and as its contact
    assert list(deal.buying_team.values_list("contact_id", "is_primary")) == [(kept.pk, True)]
    assert list(elsewhere.buying_team.values_list("contact_id", "is_primary")) == [(kept.pk, True)]
    assert set(Opportunity.objects.values_list("contact_id", flat=True)) == {kept.pk}
