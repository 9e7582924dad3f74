"""The lead rules page: admins only; criteria, threshold, cadence, assignment, territories.

Changing the rules takes effect on existing leads at once: new weights rescore every lead
that is not converted, a new threshold moves open leads in or out of "qualified".
"""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.models import Territory
from contacts.models import AssignmentRule, LeadPolicy, LeadStatus, QualificationCriterion
from contacts.services import answer_criteria
from contacts.services.policy import move_criterion, rescore_leads, update_policy
from tests.factories import LeadFactory, QualificationCriterionFactory

URL_NAMES = [
    ("contacts:lead_settings", []),
    ("contacts:lead_settings_add_criterion", []),
    ("contacts:lead_settings_add_territory", []),
]


@pytest.mark.parametrize(("viewer", "status"), [("alice", 403), ("maria", 403)])
def test_only_admins_see_or_change_the_lead_rules(client, request, viewer, status):
    client.force_login(request.getfixturevalue(viewer))

    assert client.get(reverse("contacts:lead_settings")).status_code == status
    for name, args in URL_NAMES:
        assert (
            client.post(reverse(name, args=args), {"question": "Q?", "weight": 5}).status_code
            == status
        )
    assert not QualificationCriterion.objects.exists()


def test_services_refuse_non_admins(maria):
    with pytest.raises(PermissionDenied):
        update_policy(
            by=maria,
            qualification_threshold=50,
            max_contact_attempts=5,
            days_before_disqualification=14,
            assignment_rule=AssignmentRule.MANUAL,
            default_team=None,
        )


def test_admin_saves_threshold_cadence_and_assignment(client, ada, north):
    client.force_login(ada)

    response = client.post(
        reverse("contacts:lead_settings"),
        {
            "qualification_threshold": 70,
            "max_contact_attempts": 6,
            "days_before_disqualification": 21,
            "assignment_rule": AssignmentRule.ROUND_ROBIN,
            "default_team": north.pk,
        },
    )

    assert response.status_code == 303
    policy = LeadPolicy.current()
    assert (
        policy.qualification_threshold,
        policy.max_contact_attempts,
        policy.days_before_disqualification,
        policy.assignment_rule,
        policy.default_team,
    ) == (70, 6, 21, AssignmentRule.ROUND_ROBIN, north)


def test_round_robin_without_a_team_is_refused_by_field(client, ada):
    client.force_login(ada)
    rules = {
        "qualification_threshold": 60,
        "max_contact_attempts": 5,
        "days_before_disqualification": 14,
        "assignment_rule": AssignmentRule.ROUND_ROBIN,
    }

    no_team = client.post(reverse("contacts:lead_settings"), rules)
    no_attempts = client.post(
        reverse("contacts:lead_settings"), {**rules, "max_contact_attempts": 0}
    )

    assert no_team.status_code == no_attempts.status_code == 422
    assert set(no_team.context["policy_form"].errors) == {"default_team"}
    assert "max_contact_attempts" in no_attempts.context["policy_form"].errors
    assert LeadPolicy.current().assignment_rule == AssignmentRule.MANUAL


def test_a_lower_threshold_qualifies_open_leads_at_once(ada, alice):
    scored = LeadFactory(owner=alice, score=55, status=LeadStatus.CONTACTED)
    disqualified = LeadFactory(
        owner=alice, score=55, status=LeadStatus.DISQUALIFIED, disqualified_reason="x"
    )

    update_policy(
        by=ada,
        qualification_threshold=50,
        max_contact_attempts=5,
        days_before_disqualification=14,
        assignment_rule=AssignmentRule.MANUAL,
        default_team=None,
    )

    scored.refresh_from_db()
    disqualified.refresh_from_db()
    assert scored.status == LeadStatus.QUALIFIED
    assert disqualified.status == LeadStatus.DISQUALIFIED


def test_adding_and_reweighting_criteria_rescores_leads(client, ada, alice):
    budget = QualificationCriterionFactory(question="Budget?", weight=50)
    need = QualificationCriterionFactory(question="Need?", weight=50)
    lead = LeadFactory(owner=alice)
    answer_criteria(by=alice, lead_id=lead.pk, answers={budget.pk: True, need.pk: False})
    client.force_login(ada)

    client.post(
        reverse("contacts:lead_settings_add_criterion"),
        {"question": "Timeline?", "help_text": "Within 6 months", "weight": 100},
    )
    lead.refresh_from_db()
    assert lead.score == 25  # 50 of 200

    client.post(
        reverse("contacts:lead_settings_criterion", args=[need.pk]),
        {"question": "Need?", "weight": 50},  # is_active unticked: retired
    )
    lead.refresh_from_db()
    assert lead.score == 33  # 50 of 150
    assert not QualificationCriterion.objects.get(pk=need.pk).is_active


def test_rescoring_rounds_half_up_like_answering(alice):
    met = QualificationCriterionFactory(weight=1)
    QualificationCriterionFactory(weight=7)
    lead = LeadFactory(owner=alice)
    answer_criteria(by=alice, lead_id=lead.pk, answers={met.pk: True})
    LeadFactory.create(owner=alice, score=99)  # no answers at all

    rescore_leads()

    lead.refresh_from_db()
    assert lead.score == 13
    assert set(LeadFactory._meta.model.objects.values_list("score", flat=True)) == {13, 0}


def test_criteria_move_up_and_down(ada):
    first, second, third = (QualificationCriterionFactory(position=n) for n in range(3))

    order = move_criterion(by=ada, criterion_id=third.pk, offset=-1)

    assert [c.pk for c in order] == [first.pk, third.pk, second.pk]
    assert list(QualificationCriterion.objects.values_list("pk", flat=True)) == [
        first.pk,
        third.pk,
        second.pk,
    ]


def test_move_through_the_page(client, ada):
    first, second = (
        QualificationCriterionFactory(position=0),
        QualificationCriterionFactory(position=1),
    )
    client.force_login(ada)

    client.post(
        reverse("contacts:lead_settings_move_criterion", args=[second.pk]), {"direction": "up"}
    )

    assert list(QualificationCriterion.objects.values_list("pk", flat=True)) == [
        second.pk,
        first.pk,
    ]


def test_territories_are_added_once_and_removed(client, ada, north, south):
    client.force_login(ada)
    url = reverse("contacts:lead_settings_add_territory")

    assert (
        client.post(url, {"country": "de", "region": "Bayern", "team": north.pk}).status_code == 303
    )
    taken = client.post(url, {"country": "DE", "region": "bayern", "team": south.pk})
    assert taken.status_code == 422
    territory = Territory.objects.get()
    assert (territory.country, territory.region, territory.team) == ("DE", "Bayern", north)

    client.post(reverse("contacts:lead_settings_delete_territory", args=[territory.pk]))
    assert not Territory.objects.exists()


def test_settings_page_query_count_does_not_grow(client, ada, north, django_assert_num_queries):
    client.force_login(ada)
    url = reverse("contacts:lead_settings")

    def add(count):
        for n in range(count):
            QualificationCriterionFactory()
            Territory.objects.create(
                team=north, country="DE", region=f"Region {Territory.objects.count()} {n}"
            )

    add(1)
    client.get(url)
    with django_assert_num_queries(SETTINGS_QUERIES):
        client.get(url)
    add(10)
    with django_assert_num_queries(SETTINGS_QUERIES):
        response = client.get(url)
    assert len(response.context["criteria"]) == 11


# Session, user, policy (twice: current() then with its team), criteria with answer counts,
# territories with teams, the team choices of the policy and territory forms.
SETTINGS_QUERIES = 8
