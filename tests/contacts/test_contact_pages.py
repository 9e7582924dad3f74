"""Contact pages: list filters and export, the detail page and timeline, forms, merge.

Every page as the owner (Alice), a teammate (Bob), their manager (Maria), someone from
another team (Charlie) and an admin (Ada): a contact outside one's visibility is a 404
through every door, one visible but not editable a 403 on the doors that change it.
"""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from contacts.models import Contact
from contacts.views.contact_timeline import TIMELINE_STEP
from pipeline.models import OpportunityStatus, StageChange, Task, Touchpoint
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    OpportunityFactory,
    StageFactory,
    TaskFactory,
    TouchpointFactory,
)

HTMX = {"HX-Request": "true"}
# session, user, COUNT for the paginator, the page, the owner filter's options, the custom
# fields (their filters and columns)
LIST_QUERIES = 6
# session, user, the contact (with company, owner and can_edit), its email twins, then the
# timeline: deals, touchpoints, tasks, stage changes; the buying teams the contact is on;
# the record's custom fields (their definitions). (A manager's or admin's quick-log form
# lists the people they may assign a follow-up to: one more.)
DETAIL_QUERIES = 10
# "Show more": the same, without the email twins the fragment does not show
TIMELINE_FRAGMENT_QUERIES = 7


def ago(**kwargs):
    return timezone.now() - dt.timedelta(**kwargs)


def exported(response):
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def names(response):
    return {contact.first_name for contact in response.context["page_obj"]}


@pytest.fixture
def acme(alice):
    return CompanyFactory(name="Acme", owner=alice)


@pytest.fixture
def ada_contact(acme, alice):
    return ContactFactory(
        company=acme, owner=alice, first_name="Ada", last_name="Lovelace", email="ada@acme.example"
    )


# --- List and export ----------------------------------------------------------------------


def test_owner_filter_takes_me_or_a_teammate(client, alice, bob, acme):
    ContactFactory(company=acme, owner=alice, first_name="Mine")
    ContactFactory(company=acme, owner=bob, first_name="Bobs")
    client.force_login(alice)
    url = reverse("contacts:contact_list")

    assert names(client.get(url, {"owner": "me"})) == {"Mine"}
    assert names(client.get(url, {"owner": bob.pk})) == {"Bobs"}
    assert names(client.get(url, {"owner": "nonsense"})) == {"Mine", "Bobs"}


def test_company_filter_and_its_chip(client, alice, acme):
    ContactFactory(company=acme, owner=alice, first_name="AtAcme")
    ContactFactory(company__owner=alice, first_name="Elsewhere")
    client.force_login(alice)

    response = client.get(reverse("contacts:contact_list"), {"company": acme.pk})

    assert names(response) == {"AtAcme"}
    assert response.context["company"] == acme


def test_open_deals_filter_counts_only_open_deals(client, alice, acme, stage):
    open_deal = ContactFactory(company=acme, owner=alice, first_name="Open")
    won_only = ContactFactory(company=acme, owner=alice, first_name="Won")
    ContactFactory(company=acme, owner=alice, first_name="None")
    OpportunityFactory(owner=alice, company=acme, contact=open_deal, stage=stage)
    OpportunityFactory.create_batch(2, owner=alice, company=acme, contact=open_deal, stage=stage)
    OpportunityFactory(
        owner=alice,
        company=acme,
        contact=won_only,
        stage=stage,
        status=OpportunityStatus.WON,
        closed_at=timezone.now(),
    )
    client.force_login(alice)
    url = reverse("contacts:contact_list")

    with_deals = client.get(url, {"open_deals": "yes"})
    without = client.get(url, {"open_deals": "no"})

    # Listed once, however many open deals.
    assert [c.first_name for c in with_deals.context["page_obj"]] == ["Open"]
    assert names(without) == {"Won", "None"}


def test_open_deals_filter_ignores_deals_the_user_cannot_see(client, alice, charlie, acme, stage):
    contact = ContactFactory(company=acme, owner=alice, first_name="Ada")
    OpportunityFactory(owner=charlie, company=acme, contact=contact, stage=stage)
    client.force_login(alice)

    response = client.get(reverse("contacts:contact_list"), {"open_deals": "yes"})

    assert names(response) == set()


def test_created_range_is_read_in_the_users_time_zone(client, alice, acme):
    alice.time_zone = "Asia/Jakarta"
    alice.save(update_fields=["time_zone"])
    # 20:30 UTC on 22 November is 03:30 on 23 November in Jakarta.
    ContactFactory(
        company=acme,
        owner=alice,
        first_name="Late",
        created_at=dt.datetime(2026, 11, 22, 20, 30, tzinfo=dt.UTC),
    )
    ContactFactory(
        company=acme,
        owner=alice,
        first_name="Early",
        created_at=dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC),
    )
    client.force_login(alice)
    url = reverse("contacts:contact_list")

    on_23rd = client.get(url, {"created_from": "2026-11-23", "created_to": "2026-11-23"})
    on_22nd = client.get(url, {"created_to": "2026-11-22"})

    assert names(on_23rd) == {"Late"}
    assert names(on_22nd) == {"Early"}


def test_export_applies_the_lists_filters(client, alice, bob, acme):
    ContactFactory(company=acme, owner=alice, first_name="Mine", last_name="=1+1")
    ContactFactory(company=acme, owner=bob, first_name="Bobs")
    client.force_login(alice)

    rows = exported(client.get(reverse("contacts:contact_export"), {"owner": "me"}))

    assert [(row["First name"], row["Last name"]) for row in rows] == [("Mine", "'=1+1")]


def test_list_links_each_contact_and_offers_the_filtered_export(client, alice, ada_contact):
    client.force_login(alice)

    content = client.get(reverse("contacts:contact_list"), {"owner": "me"}).content.decode()

    assert reverse("contacts:contact_detail", args=[ada_contact.pk]) in content
    assert f'href="{reverse("contacts:contact_export")}?owner=me"' in content


@pytest.mark.parametrize("rows", [2, 30])
def test_filtered_list_query_count_does_not_grow(
    client, alice, acme, rows, stage, django_assert_num_queries
):
    for contact in ContactFactory.create_batch(rows, company=acme, owner=alice):
        OpportunityFactory(owner=alice, company=acme, contact=contact, stage=stage)
    client.force_login(alice)

    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(
            reverse("contacts:contact_list"),
            {"owner": "me", "open_deals": "yes", "created_from": "2000-01-01"},
        )

    assert len(response.context["page_obj"]) == rows


# --- Detail page --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("viewer", "status", "can_edit"),
    [
        ("alice", 200, True),
        ("bob", 200, False),
        ("maria", 200, True),
        ("charlie", 404, None),
        ("sam", 404, None),
        ("ada", 200, True),
    ],
)
def test_detail_visibility(client, request, ada_contact, viewer, status, can_edit):
    client.force_login(request.getfixturevalue(viewer))

    response = client.get(reverse("contacts:contact_detail", args=[ada_contact.pk]))

    assert response.status_code == status
    if status == 200:
        edit_url = reverse("contacts:contact_edit", args=[ada_contact.pk])
        assert (edit_url in response.content.decode()) is can_edit


def test_timeline_shows_deals_moves_touchpoints_and_tasks_newest_first(
    client, alice, charlie, acme, ada_contact
):
    first, second = StageFactory(name="Discovery"), None
    second = StageFactory(pipeline=first.pipeline, name="Proposal")
    deal = OpportunityFactory(
        title="Big deal", owner=alice, company=acme, contact=ada_contact, stage=second
    )
    deal.created_at = ago(days=10)
    deal.save(update_fields=["created_at"])
    StageChange.objects.create(
        opportunity=deal, from_stage=first, to_stage=second, by=alice, at=ago(days=5)
    )
    TouchpointFactory(
        opportunity=None, contact=ada_contact, by=alice, at=ago(days=3), summary="Hello"
    )
    TouchpointFactory(opportunity=deal, by=alice, at=ago(days=1), summary="On the deal")
    TaskFactory(
        opportunity=None,
        contact=ada_contact,
        assignee=alice,
        title="Send offer",
        due_at=ago(days=2),
    )
    # Someone else's note about someone else's contact: never on Ada's timeline.
    TouchpointFactory(opportunity=None, contact=ContactFactory(company__owner=charlie), by=charlie)
    client.force_login(alice)

    response = client.get(reverse("contacts:contact_detail", args=[ada_contact.pk]))

    entries = response.context["timeline"].entries
    assert [entry.kind for entry in entries] == [
        "touchpoint",
        "task",
        "touchpoint",
        "stage_change",
        "deal",
    ]
    content = response.content.decode()
    assert "On the deal" in content
    assert "Send offer" in content
    assert "Overdue" in content
    assert reverse("pipeline:deal_detail", args=[deal.pk]) in content


def test_contact_page_offers_quick_logging_that_reloads_the_timeline(client, alice, ada_contact):
    client.force_login(alice)

    content = client.get(reverse("contacts:contact_detail", args=[ada_contact.pk])).content.decode()

    assert reverse("pipeline:contact_log_touchpoint", args=[ada_contact.pk]) in content
    assert 'hx-trigger="activityLogged from:body, taskChanged from:body"' in content


def test_timeline_shows_more_on_request_as_a_fragment(
    client, alice, ada_contact, stage, django_assert_num_queries
):
    OpportunityFactory(owner=alice, company=ada_contact.company, contact=ada_contact, stage=stage)
    TouchpointFactory.create_batch(
        TIMELINE_STEP + 5, opportunity=None, contact=ada_contact, by=alice
    )
    client.force_login(alice)
    url = reverse("contacts:contact_detail", args=[ada_contact.pk])

    page = client.get(url)
    with django_assert_num_queries(TIMELINE_FRAGMENT_QUERIES):
        more = client.get(url, {"timeline": TIMELINE_STEP * 2}, headers=HTMX)

    assert len(page.context["timeline"].entries) == TIMELINE_STEP
    assert f"?timeline={TIMELINE_STEP * 2}" in page.content.decode()
    assert len(more.context["timeline"].entries) == TIMELINE_STEP + 6
    assert "<html" not in more.content.decode()
    assert f'id="contact-{ada_contact.pk}-timeline"' in more.content.decode()


def test_timeline_leaves_out_what_the_user_cannot_see(
    client, bob, charlie, acme, ada_contact, stage
):
    # Charlie's deal with Ada (another team): Bob sees Ada but not the deal or its calls.
    deal = OpportunityFactory(owner=charlie, company=acme, contact=ada_contact, stage=stage)
    TouchpointFactory(opportunity=deal, by=charlie, summary="Secret call")
    client.force_login(bob)

    response = client.get(reverse("contacts:contact_detail", args=[ada_contact.pk]))

    assert response.context["timeline"].entries == []
    assert "Secret call" not in response.content.decode()


def test_same_email_elsewhere_is_shown_as_a_possible_duplicate(client, alice, charlie, ada_contact):
    twin = ContactFactory(company__owner=alice, email="ADA@acme.example", first_name="Twin")
    ContactFactory(company__owner=charlie, email="ada@acme.example", first_name="Hidden")
    client.force_login(alice)

    content = client.get(reverse("contacts:contact_detail", args=[ada_contact.pk])).content.decode()

    assert "Possible duplicate" in content
    assert reverse("contacts:contact_detail", args=[twin.pk]) in content
    assert "Hidden" not in content


@pytest.mark.parametrize("rows", [1, 12])
def test_detail_query_count_does_not_grow(
    client, alice, acme, ada_contact, stage, rows, django_assert_num_queries
):
    for _ in range(rows):
        deal = OpportunityFactory(owner=alice, company=acme, contact=ada_contact, stage=stage)
        StageChange.objects.create(
            opportunity=deal, from_stage=StageFactory(), to_stage=stage, by=alice
        )
        TouchpointFactory(opportunity=deal, by=alice)
        TouchpointFactory(opportunity=None, contact=ada_contact, by=alice)
        TaskFactory(opportunity=deal, assignee=alice)
    client.force_login(alice)

    with django_assert_num_queries(DETAIL_QUERIES):
        response = client.get(reverse("contacts:contact_detail", args=[ada_contact.pk]))

    assert len(response.context["timeline"].entries) == min(5 * rows, TIMELINE_STEP)


# --- Create and edit ----------------------------------------------------------------------


def test_new_contact_without_a_company_asks_for_one_among_visible_companies(
    client, alice, charlie, acme
):
    CompanyFactory(name="Acme Hidden", owner=charlie)
    client.force_login(alice)

    response = client.get(reverse("contacts:contact_create"), {"company_q": "acme"})

    assert response.context["company_choices"] == [acme]


def test_create_contact_at_a_company(client, alice, acme):
    client.force_login(alice)

    response = client.post(
        reverse("contacts:contact_create"),
        {
            "company": acme.pk,
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "grace@acme.example",
        },
    )

    contact = Contact.objects.get(first_name="Grace")
    assert response.status_code == 302
    assert response["Location"] == reverse("contacts:contact_detail", args=[contact.pk])
    assert (contact.company, contact.owner) == (acme, alice)


def test_an_email_the_company_has_is_an_error_on_the_email_field(client, alice, acme, ada_contact):
    client.force_login(alice)

    response = client.post(
        reverse("contacts:contact_create"),
        {"company": acme.pk, "first_name": "Ada", "email": "ADA@acme.example"},
    )

    assert response.status_code == 422
    assert response.context["email_errors"] == [
        "This company already has a contact with this email."
    ]
    assert "Email: This company already has a contact with this email." in response.content.decode()
    assert Contact.objects.count() == 1


def test_a_missing_first_name_is_named(client, alice, acme):
    client.force_login(alice)

    response = client.post(
        reverse("contacts:contact_create"), {"company": acme.pk, "first_name": ""}
    )

    assert response.status_code == 422
    assert "First name: This field is required." in response.content.decode()


def test_creating_at_another_teams_company_is_not_found(client, alice, charlie):
    hidden = CompanyFactory(owner=charlie)
    client.force_login(alice)

    get = client.get(reverse("contacts:contact_create"), {"company": hidden.pk})
    post = client.post(
        reverse("contacts:contact_create"), {"company": hidden.pk, "first_name": "X"}
    )

    assert get.context["company"] is None  # back to picking a company
    assert post.status_code == 404
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    ("viewer", "status"), [("alice", 302), ("maria", 302), ("bob", 403), ("charlie", 404)]
)
def test_who_may_edit_a_contact(client, request, ada_contact, viewer, status):
    client.force_login(request.getfixturevalue(viewer))
    url = reverse("contacts:contact_edit", args=[ada_contact.pk])

    response = client.post(url, {"first_name": "Changed", "email": ada_contact.email})

    assert response.status_code == status
    ada_contact.refresh_from_db()
    assert (ada_contact.first_name == "Changed") is (status == 302)


def test_edit_form_shows_the_contact(client, alice, ada_contact):
    client.force_login(alice)

    response = client.get(reverse("contacts:contact_edit", args=[ada_contact.pk]))

    assert response.status_code == 200
    assert 'value="ada@acme.example"' in response.content.decode()


def test_email_check_flags_the_company_and_warns_of_visible_twins(
    client, alice, charlie, acme, ada_contact
):
    other = CompanyFactory(owner=alice)
    ContactFactory(company__owner=charlie, email="grace@acme.example", first_name="Hidden")
    twin = ContactFactory(
        company=other, owner=alice, email="grace@acme.example", first_name="Grace"
    )
    client.force_login(alice)
    url = reverse("contacts:contact_check_email")

    taken = client.get(url, {"company": acme.pk, "email": "Ada@Acme.example"}, headers=HTMX)
    own = client.get(
        url,
        {"company": acme.pk, "contact": ada_contact.pk, "email": "ada@acme.example"},
        headers=HTMX,
    )
    elsewhere = client.get(url, {"company": acme.pk, "email": "grace@acme.example"}, headers=HTMX)
    invalid = client.get(url, {"company": acme.pk, "email": "not-an-email"}, headers=HTMX)

    assert "This company already has a contact with this email." in taken.content.decode()
    assert "already has" not in own.content.decode()
    assert reverse("contacts:contact_detail", args=[twin.pk]) in elsewhere.content.decode()
    assert "Hidden" not in elsewhere.content.decode()
    assert "Email: Enter a valid email address." in invalid.content.decode()
    assert "<html" not in taken.content.decode()


# --- Merge --------------------------------------------------------------------------------


def test_merge_page_offers_contacts_of_the_same_company(client, alice, acme, ada_contact):
    same = ContactFactory(company=acme, owner=alice, first_name="Augusta")
    ContactFactory(company__owner=alice, first_name="Elsewhere")
    client.force_login(alice)

    response = client.get(
        reverse("contacts:contact_merge", args=[ada_contact.pk]), {"other": same.pk}
    )

    assert response.context["candidates"] == [same]
    assert response.context["other"] == same


def test_merge_moves_history_and_lands_on_the_kept_contact(client, alice, acme, ada_contact, stage):
    other = ContactFactory(company=acme, owner=alice, first_name="A.", phone="555")
    deal = OpportunityFactory(owner=alice, company=acme, contact=other, stage=stage)
    TouchpointFactory(opportunity=None, contact=other, by=alice)
    client.force_login(alice)

    response = client.post(
        reverse("contacts:contact_merge", args=[ada_contact.pk]), {"other": other.pk}
    )

    assert response.status_code == 302
    assert not Contact.objects.filter(pk=other.pk).exists()
    deal.refresh_from_db()
    assert deal.contact_id == ada_contact.pk
    assert Touchpoint.objects.get().contact_id == ada_contact.pk


@pytest.mark.parametrize(("viewer", "status"), [("bob", 403), ("charlie", 404)])
def test_merge_needs_an_editable_contact(client, request, alice, acme, ada_contact, viewer, status):
    other = ContactFactory(company=acme, owner=alice)
    client.force_login(request.getfixturevalue(viewer))
    url = reverse("contacts:contact_merge", args=[ada_contact.pk])

    assert client.get(url).status_code == status
    assert client.post(url, {"other": other.pk}).status_code == status
    assert Contact.objects.count() == 2


def test_merge_without_a_choice_says_so(client, alice, ada_contact):
    client.force_login(alice)

    response = client.post(reverse("contacts:contact_merge", args=[ada_contact.pk]), {"other": "x"})

    assert response.status_code == 422
    assert "Choose the contact to merge into this one." in response.content.decode()
    assert Task.objects.count() == 0


# --- Cost of the forms and writes ---------------------------------------------------------

# session, user, the company, the owner choices
# The record's custom fields (their definitions): one query.
CREATE_FORM_QUERIES = 5
# session, user, the contact, the owner choices, its email twins
# The record's custom fields (their definitions): one query.
EDIT_FORM_QUERIES = 6
# session, user, the contact, the merge candidates
MERGE_FORM_QUERIES = 4
# session, user, the company, the contact, "taken at this company?", the twins elsewhere
EMAIL_CHECK_QUERIES = 6
# session, user, the company, the owner choices, savepoints and the checks, the INSERT
# The record's custom fields (their definitions): one query.
CREATE_QUERIES = 12
# session, user, the contact, the owner choices, the locked contact, the checks, the UPDATE
# The record's custom fields (their definitions): one query.
EDIT_QUERIES = 13
# session, user, the page's reads, both contacts locked and checked, one UPDATE per relation
# that refers to a contact (however many rows it moves), the buying teams both people are on
# (read, delete, set primary), the delete
MERGE_QUERIES = 24


@pytest.mark.parametrize("rows", [1, 20])
def test_forms_and_checks_cost_the_same_at_any_size(
    client, alice, acme, ada_contact, rows, django_assert_num_queries
):
    ContactFactory.create_batch(rows, company=acme, owner=alice)
    ContactFactory.create_batch(rows, company__owner=alice, email="ada@acme.example")
    client.force_login(alice)
    pages = [
        ("contacts:contact_create", [], {"company": acme.pk}, CREATE_FORM_QUERIES),
        ("contacts:contact_edit", [ada_contact.pk], {}, EDIT_FORM_QUERIES),
        ("contacts:contact_merge", [ada_contact.pk], {}, MERGE_FORM_QUERIES),
        (
            "contacts:contact_check_email",
            [],
            {"company": acme.pk, "contact": ada_contact.pk, "email": "ada@acme.example"},
            EMAIL_CHECK_QUERIES,
        ),
    ]

    for url_name, args, params, queries in pages:
        with django_assert_num_queries(queries):
            response = client.get(reverse(url_name, args=args), params)
        assert response.status_code == 200


@pytest.mark.parametrize("rows", [1, 20])
def test_writes_cost_the_same_at_any_size(
    client, alice, acme, ada_contact, stage, rows, django_assert_num_queries
):
    other = ContactFactory(company=acme, owner=alice, email="")
    for _ in range(rows):
        OpportunityFactory(owner=alice, company=acme, contact=other, stage=stage)
        TouchpointFactory(opportunity=None, contact=other, by=alice)
    client.force_login(alice)

    with django_assert_num_queries(CREATE_QUERIES):
        created = client.post(
            reverse("contacts:contact_create"),
            {"company": acme.pk, "first_name": "Grace", "email": "grace@acme.example"},
        )
    with django_assert_num_queries(EDIT_QUERIES):
        edited = client.post(
            reverse("contacts:contact_edit", args=[ada_contact.pk]),
            {"first_name": "Augusta", "email": "ada@acme.example"},
        )
    with django_assert_num_queries(MERGE_QUERIES):
        merged = client.post(
            reverse("contacts:contact_merge", args=[ada_contact.pk]), {"other": other.pk}
        )

    assert [created.status_code, edited.status_code, merged.status_code] == [302, 302, 302]
    assert ada_contact.opportunities.count() == rows
