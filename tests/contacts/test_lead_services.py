"""Lead services: capture with owners and validation, edits, merges, scoring, disqualifying.

North: manager Maria, reps Alice and Bob. South: manager Sam, rep Charlie. Ada is an admin.
"""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from contacts.models import (
    AssignmentRule,
    Lead,
    LeadPolicy,
    LeadStatus,
    QualificationAnswer,
)
from contacts.services import (
    DuplicateLead,
    answer_criteria,
    create_lead,
    disqualify_lead,
    merge_leads,
    update_lead,
)
from contacts.signals import lead_created
from pipeline.models import TouchpointKind
from pipeline.services import add_task, log_touchpoint
from tests.factories import LeadFactory, QualificationCriterionFactory, TouchpointFactory

FIELDS = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@acme.com", "source": "web"}


@pytest.fixture
def policy(db):
    policy = LeadPolicy.current()
    policy.qualification_threshold = 60
    policy.save()
    return policy


@pytest.fixture
def criteria(db):
    """Budget 40, authority 30, need 20, timeline 10: 100 in all."""
    return [
        QualificationCriterionFactory(question=question, weight=weight, position=index)
        for index, (question, weight) in enumerate(
            [("Budget?", 40), ("Authority?", 30), ("Need?", 20), ("Timeline?", 10)]
        )
    ]


# --- create -----------------------------------------------------------------------------------


def test_create_lead_names_every_bad_field(alice):
    with pytest.raises(ValidationError) as refusal:
        create_lead(by=alice, fields={"email": "not-an-email", "source": "carrier pigeon"})

    assert {"last_name", "email", "source"} <= set(refusal.value.message_dict)
    assert not Lead.objects.exists()


def test_create_lead_refuses_fields_a_lead_does_not_have(alice):
    with pytest.raises(ValidationError) as refusal:
        create_lead(by=alice, fields={**FIELDS, "score": 100})

    assert set(refusal.value.message_dict) == {"score"}


def test_create_lead_trims_and_normalises(alice, policy):
    lead = create_lead(
        by=alice,
        fields={
            **FIELDS,
            "first_name": "  Ada ",
            "country": "de",
            "company_domain": "WWW.Acme.com",
        },
    )

    assert (lead.first_name, lead.country, lead.company_domain) == ("Ada", "DE", "acme.com")
    assert lead.status == LeadStatus.NEW


def test_rep_may_give_a_lead_to_a_teammate_but_not_another_team(alice, bob, charlie, policy):
    lead = create_lead(by=alice, fields={**FIELDS, "owner": bob})
    assert lead.owner == bob

    with pytest.raises(ValidationError) as refusal:
        create_lead(by=alice, fields={**FIELDS, "email": "x@other.org", "owner": charlie})
    assert set(refusal.value.message_dict) == {"owner"}


def test_manager_gives_leads_within_managed_teams_admin_to_anyone(
    maria, ada, alice, charlie, policy
):
    assert create_lead(by=maria, fields={**FIELDS, "owner": alice.pk}).owner == alice
    with pytest.raises(ValidationError):
        create_lead(by=maria, fields={**FIELDS, "email": "b@b.org", "owner": charlie})
    assert (
        create_lead(by=ada, fields={**FIELDS, "email": "c@c.org", "owner": charlie}).owner
        == charlie
    )


def test_inactive_users_cannot_own_new_leads(ada, bob, policy):
    bob.is_active = False
    bob.save()

    with pytest.raises(ValidationError) as refusal:
        create_lead(by=ada, fields={**FIELDS, "owner": bob})

    assert "owner" in refusal.value.message_dict


def test_under_manual_assignment_a_reps_lead_stays_theirs_a_managers_waits_in_queue(
    alice, maria, policy
):
    assert create_lead(by=alice, fields=FIELDS).owner == alice
    assert create_lead(by=maria, fields={**FIELDS, "email": "m@m.org"}).owner is None
    assert create_lead(by=None, fields={**FIELDS, "email": "i@i.org"}).owner is None


def test_an_unowned_lead_is_assigned_by_the_policy(maria, alice, north, policy):
    policy.assignment_rule = AssignmentRule.ROUND_ROBIN
    policy.default_team = north
    policy.save()

    lead = create_lead(by=maria, fields=FIELDS)

    assert lead.owner is not None
    assert lead.owner.team == north


def test_lead_created_is_sent_only_after_commit(alice, policy, django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, lead, by, **kwargs):
        received.append((lead.pk, by))

    lead_created.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            lead = create_lead(by=alice, fields=FIELDS)
        assert received == []
        for callback in callbacks:
            callback()
    finally:
        lead_created.disconnect(receiver)

    assert received == [(lead.pk, alice)]


def test_an_import_may_carry_the_original_creation_time(policy):
    created = timezone.now() - dt.timedelta(days=30)

    lead = create_lead(by=None, fields={**FIELDS, "created_at": created})

    assert lead.created_at == created


# --- update -----------------------------------------------------------------------------------


def test_owner_updates_their_lead(alice, policy):
    lead = LeadFactory(owner=alice)

    update_lead(by=alice, lead_id=lead.pk, fields={"job_title": " CTO ", "phone": "+49 30 1"})

    lead.refresh_from_db()
    assert (lead.job_title, lead.phone) == ("CTO", "+49 30 1")


def test_teammate_sees_but_cannot_update_another_reps_lead(alice, bob):
    lead = LeadFactory(owner=alice)

    with pytest.raises(PermissionDenied):
        update_lead(by=bob, lead_id=lead.pk, fields={"job_title": "CEO"})


def test_another_team_cannot_even_find_the_lead(alice, charlie):
    lead = LeadFactory(owner=alice)

    with pytest.raises(Lead.DoesNotExist):
        update_lead(by=charlie, lead_id=lead.pk, fields={"job_title": "CEO"})


def test_changing_the_email_to_a_taken_one_is_a_duplicate(alice):
    LeadFactory(email="ada@acme.com", owner=alice)
    lead = LeadFactory(email="grace@navy.mil", owner=alice)

    with pytest.raises(DuplicateLead):
        update_lead(by=alice, lead_id=lead.pk, fields={"email": "Ada@Acme.com"})

    lead.refresh_from_db()
    assert lead.email == "grace@navy.mil"


def test_manager_takes_a_lead_from_the_queue(maria, alice):
    lead = LeadFactory(owner=None)

    update_lead(by=maria, lead_id=lead.pk, fields={"owner": alice.pk})

    lead.refresh_from_db()
    assert lead.owner == alice


# --- merge ------------------------------------------------------------------------------------


def test_merge_keeps_custom_values_the_kept_lead_lacks(alice, policy):
    keep = LeadFactory(owner=alice, custom_fields={"budget": "5000.00", "source_detail": ""})
    other = LeadFactory(owner=alice, custom_fields={"budget": "9.00", "source_detail": "Fair"})

    merge_leads(by=alice, keep_id=keep.pk, merge_id=other.pk)

    keep.refresh_from_db()
    assert keep.custom_fields == {"budget": "5000.00", "source_detail": "Fair"}


def test_merge_moves_history_fills_blanks_and_deletes_the_other(alice, criteria, policy):
    now = timezone.now()
    keep = LeadFactory(
        owner=alice,
        email="ada@acme.com",
        phone="",
        created_at=now - dt.timedelta(days=2),
        first_touch_at=now - dt.timedelta(days=1),
        last_touch_at=now - dt.timedelta(days=1),
        contact_attempts=2,
        status=LeadStatus.CONTACTED,
    )
    other = LeadFactory(
        owner=alice,
        email="ADA@acme.com",
        phone="+49 30 123",
        created_at=now - dt.timedelta(days=5),
        first_touch_at=now - dt.timedelta(days=4),
        last_touch_at=now - dt.timedelta(hours=1),
        contact_attempts=3,
        status=LeadStatus.CONTACTED,
        duplicate_of=None,
    )
    keep.duplicate_of = other
    keep.save()
    touchpoint = TouchpointFactory(opportunity=None, lead=other, by=alice)
    task = add_task(by=alice, title="Call back", due_at=now, lead_id=other.pk)
    answer_criteria(by=alice, lead_id=keep.pk, answers={criteria[0].pk: True})
    answer_criteria(
        by=alice, lead_id=other.pk, answers={criteria[0].pk: False, criteria[1].pk: True}
    )

    merged = merge_leads(by=alice, keep_id=keep.pk, merge_id=other.pk)

    assert not Lead.objects.filter(pk=other.pk).exists()
    touchpoint.refresh_from_db()
    task.refresh_from_db()
    assert touchpoint.lead_id == task.lead_id == keep.pk
    assert merged.phone == "+49 30 123"
    assert merged.contact_attempts == 5
    assert merged.created_at == other.created_at
    assert merged.first_touch_at == other.first_touch_at
    assert merged.last_touch_at == other.last_touch_at
    assert merged.duplicate_of is None
    # Budget from the kept lead (met), authority from the merged one (met): 40 + 30 of 100.
    answers = dict(merged.answers.values_list("criterion_id", "is_met"))
    assert answers == {criteria[0].pk: True, criteria[1].pk: True}
    assert merged.score == 70
    assert merged.status == LeadStatus.QUALIFIED


def test_leads_flagged_against_the_merged_lead_point_at_the_kept_one(alice):
    keep, other = LeadFactory(owner=alice), LeadFactory(owner=alice)
    third = LeadFactory(owner=alice, duplicate_of=other)

    merge_leads(by=alice, keep_id=keep.pk, merge_id=other.pk)

    third.refresh_from_db()
    assert third.duplicate_of == keep


def test_merge_needs_both_leads_editable(alice, bob, charlie):
    mine, bobs, charlies = (
        LeadFactory(owner=alice),
        LeadFactory(owner=bob),
        LeadFactory(owner=charlie),
    )

    with pytest.raises(PermissionDenied):
        merge_leads(by=alice, keep_id=mine.pk, merge_id=bobs.pk)
    with pytest.raises(Lead.DoesNotExist):
        merge_leads(by=alice, keep_id=mine.pk, merge_id=charlies.pk)
    assert Lead.objects.count() == 3


def test_a_converted_lead_is_never_merged_away(alice):
    keep = LeadFactory(owner=alice)
    converted = LeadFactory(owner=alice, status=LeadStatus.CONVERTED, converted_at=timezone.now())

    with pytest.raises(ValidationError):
        merge_leads(by=alice, keep_id=keep.pk, merge_id=converted.pk)
    with pytest.raises(ValidationError):
        merge_leads(by=alice, keep_id=keep.pk, merge_id=keep.pk)


# --- qualification ----------------------------------------------------------------------------


def test_score_is_met_weight_over_active_weight(alice, criteria, policy):
    lead = LeadFactory(owner=alice)

    lead = answer_criteria(
        by=alice, lead_id=lead.pk, answers={criteria[0].pk: True, criteria[2].pk: True}
    )

    assert lead.score == 60  # 40 + 20 of 100
    assert lead.status == LeadStatus.QUALIFIED


def test_retired_criteria_leave_the_score(alice, criteria, policy):
    lead = LeadFactory(owner=alice)
    answer_criteria(by=alice, lead_id=lead.pk, answers={criteria[3].pk: True})
    criteria[0].is_active = False
    criteria[0].save()

    lead = answer_criteria(by=alice, lead_id=lead.pk, answers={criteria[1].pk: True})

    # Authority 30 + timeline 10 of the 60 still active: 66.7 rounds to 67.
    assert lead.score == 67
    with pytest.raises(ValidationError) as refusal:
        answer_criteria(by=alice, lead_id=lead.pk, answers={criteria[0].pk: True})
    assert "answers" in refusal.value.message_dict


def test_score_rounds_half_up(alice, policy):
    met, unmet = (QualificationCriterionFactory(weight=1), QualificationCriterionFactory(weight=7))
    lead = LeadFactory(owner=alice)

    # 1 of 8 is 12.5 %: rounded half up, not to even.
    assert (
        answer_criteria(by=alice, lead_id=lead.pk, answers={met.pk: True, unmet.pk: False}).score
        == 13
    )


def test_changing_an_answer_can_unqualify_a_lead(alice, criteria, policy):
    lead = LeadFactory(owner=alice, contact_attempts=1, status=LeadStatus.CONTACTED)
    answer_criteria(by=alice, lead_id=lead.pk, answers={criteria[0].pk: True, criteria[1].pk: True})

    lead = answer_criteria(by=alice, lead_id=lead.pk, answers={criteria[1].pk: False})

    assert lead.score == 40
    assert lead.status == LeadStatus.CONTACTED
    assert QualificationAnswer.objects.filter(lead=lead).count() == 2


def test_only_someone_who_may_edit_answers_criteria(alice, bob, criteria):
    lead = LeadFactory(owner=alice)

    with pytest.raises(PermissionDenied):
        answer_criteria(by=bob, lead_id=lead.pk, answers={criteria[0].pk: True})


def test_a_disqualified_lead_keeps_its_status_when_rescored(alice, criteria, policy):
    lead = LeadFactory(owner=alice, status=LeadStatus.DISQUALIFIED, disqualified_reason="No budget")

    lead = answer_criteria(by=alice, lead_id=lead.pk, answers={c.pk: True for c in criteria})

    assert (lead.score, lead.status) == (100, LeadStatus.DISQUALIFIED)


# --- disqualify and speed to lead --------------------------------------------------------------


def test_disqualifying_needs_a_reason(alice):
    lead = LeadFactory(owner=alice)

    with pytest.raises(ValidationError) as refusal:
        disqualify_lead(by=alice, lead_id=lead.pk, reason="   ")
    assert "reason" in refusal.value.message_dict

    lead = disqualify_lead(by=alice, lead_id=lead.pk, reason="  No budget   this year ")
    assert (lead.status, lead.disqualified_reason) == (
        LeadStatus.DISQUALIFIED,
        "No budget this year",
    )


def test_a_teammate_cannot_disqualify_another_reps_lead(alice, bob):
    lead = LeadFactory(owner=alice)

    with pytest.raises(PermissionDenied):
        disqualify_lead(by=bob, lead_id=lead.pk, reason="Spam")


def test_speed_to_lead_is_the_wait_for_the_first_call_email_or_meeting(alice):
    created = timezone.now() - dt.timedelta(hours=5)
    lead = LeadFactory(owner=alice, created_at=created)
    assert lead.speed_to_lead is None

    log_touchpoint(
        by=alice, kind=TouchpointKind.NOTE, lead_id=lead.pk, at=created + dt.timedelta(hours=1)
    )
    lead.refresh_from_db()
    assert lead.speed_to_lead is None  # a note reaches nobody

    log_touchpoint(
        by=alice, kind=TouchpointKind.CALL, lead_id=lead.pk, at=created + dt.timedelta(hours=2)
    )
    log_touchpoint(
        by=alice, kind=TouchpointKind.EMAIL, lead_id=lead.pk, at=created + dt.timedelta(hours=3)
    )
    lead.refresh_from_db()
    assert lead.speed_to_lead == dt.timedelta(hours=2)


# --- the Django admin goes through the same services --------------------------------------------


@pytest.fixture
def admin_client(client, ada):
    ada.is_superuser = True
    ada.save(update_fields=["is_superuser"])
    client.force_login(ada)
    return client


def test_admin_added_lead_is_checked_for_duplicates_and_flagged(admin_client, alice):
    earlier = LeadFactory(email="ada@acme.com", owner=alice)

    response = admin_client.post(
        reverse("admin:contacts_lead_add"),
        {"last_name": "Lovelace", "email": "ADA@acme.com", "source": "web", "owner": alice.pk},
    )

    assert response.status_code == 302
    lead = Lead.objects.exclude(pk=earlier.pk).get()
    assert (lead.duplicate_of, lead.company_domain, lead.owner) == (earlier, "acme.com", alice)


def test_admin_answers_rescore_the_lead(admin_client, alice, criteria, policy):
    lead = LeadFactory(owner=alice)
    change = admin_client.get(reverse("admin:contacts_lead_change", args=[lead.pk]))
    data = {
        key: value
        for key, value in change.context["adminform"].form.initial.items()
        if value is not None and key not in {"score", "updated_at"}
    }
    data.update(
        {
            "created_at_0": lead.created_at.strftime("%Y-%m-%d"),
            "created_at_1": lead.created_at.strftime("%H:%M:%S"),
            "answers-TOTAL_FORMS": "1",
            "answers-INITIAL_FORMS": "0",
            "answers-0-criterion": criteria[0].pk,
            "answers-0-is_met": "on",
        }
    )
    data.pop("created_at", None)

    response = admin_client.post(reverse("admin:contacts_lead_change", args=[lead.pk]), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    lead.refresh_from_db()
    assert lead.score == 40


def test_an_answer_can_be_taken_back(alice, criteria, policy):
    lead = LeadFactory(owner=alice)
    answer_criteria(by=alice, lead_id=lead.pk, answers={criteria[0].pk: True, criteria[1].pk: True})

    lead = answer_criteria(by=alice, lead_id=lead.pk, answers={criteria[1].pk: None})

    assert lead.score == 40
    assert list(lead.answers.values_list("criterion_id", flat=True)) == [criteria[0].pk]
