"""Creating a deal in the browser: the page, the board's dialog, and what each refuses."""

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from contacts.models import Company, Contact
from pipeline.board_changes import changes_since, current_version
from pipeline.models import Opportunity, StageKind
from tests.factories import CompanyFactory, ContactFactory, PipelineFactory, StageFactory
from tests.html import element, elements, options

HTMX = {"HTTP_HX_REQUEST": "true"}
DIALOG = {**HTMX, "HTTP_HX_TARGET": "board-dialog-content"}
URL = reverse("pipeline:new_deal")


@pytest.fixture
def board(db):
    pipeline = PipelineFactory(name="New business")
    return {
        "pipeline": pipeline,
        "qualification": StageFactory(pipeline=pipeline, name="Qualification", position=1),
        "offer": StageFactory(pipeline=pipeline, name="Offer", position=2, probability=50),
        "won": StageFactory(
            pipeline=pipeline, name="Won", position=3, probability=100, kind=StageKind.WON
        ),
    }


@pytest.fixture
def northwind(alice):
    return CompanyFactory(name="Northwind", domain="northwind.example", owner=alice)


@pytest.fixture
def ana(northwind):
    return ContactFactory(
        company=northwind, first_name="Ana", last_name="North", email="ana@northwind.example"
    )


def as_user(client, user):
    client.force_login(user)
    return client


def post_data(board, **fields):
    data = {
        "title": "Northwind rollout",
        "company": "",
        "company_name": "",
        "company_domain": "",
        "contact": "",
        "contact_name": "",
        "contact_email": "",
        "value": "12500.00",
        "currency": "EUR",
        "expected_close_date": "",
        "stage": str(board["qualification"].pk),
        "forecast_category": "pipeline",
    }
    data.update(fields)
    return data


def error_of(response, name):
    return element(response.content, id=f"id_{name}_error").text


def nothing_written():
    return (
        not Opportunity.objects.exists()
        and not Company.objects.filter(name="Globex").exists()
        and not Contact.objects.filter(first_name="Gina").exists()
    )


# --- the page ------------------------------------------------------------------------------


def test_the_page_offers_every_field_and_open_stages_by_pipeline(client, alice, board):
    response = as_user(client, alice).get(URL)

    assert response.status_code == 200
    form = element(response.content, "form", class_="new-deal-form")
    assert form.attrs["action"] == URL
    names = {field.attrs.get("name") for field in elements(response.content, "input")}
    assert {"title", "company", "company_name", "contact", "contact_name", "value"} <= names
    assert {"currency", "expected_close_date"} <= names
    group = element(response.content, "optgroup")
    assert group.attrs["label"] == "New business"
    stage_options = [option.text for option in options(response.content, name="stage")]
    assert stage_options == ["Qualification", "Offer"]
    categories = [option.text for option in options(response.content, name="forecast_category")]
    assert categories == ["Pipeline", "Best case", "Commit", "Omitted"]  # never Closed


def test_prefill_from_a_stage_and_a_contact_brings_the_contacts_company(client, alice, board, ana):
    query = f"?stage={board['offer'].pk}&contact={ana.pk}"

    response = as_user(client, alice).get(URL + query)

    selected = [
        option for option in options(response.content, name="stage") if "selected" in option.attrs
    ]
    assert [option.attrs["value"] for option in selected] == [str(board["offer"].pk)]
    assert element(response.content, "input", name="company").attrs["value"] == str(ana.company_id)
    assert element(response.content, "input", name="company_name").attrs["value"] == "Northwind"
    assert element(response.content, "input", name="contact_name").attrs["value"] == "Ana North"


def test_prefill_ignores_another_teams_company(client, charlie, board, northwind):
    response = as_user(client, charlie).get(f"{URL}?company={northwind.pk}")

    assert element(response.content, "input", name="company").attrs["value"] == ""
    assert "Northwind" not in response.content.decode()


@pytest.mark.parametrize(
    ("username", "owners"),
    [
        ("alice", {"alice"}),
        ("bob", {"bob"}),
        ("maria", {"maria", "alice", "bob"}),
        ("charlie", {"charlie"}),
        ("ada", {"ada", "alice", "bob", "maria", "charlie", "sam"}),
    ],
)
def test_the_owner_choices_follow_the_assignment_rule(
    request, client, board, alice, bob, maria, charlie, sam, ada, username, owners
):
    user = request.getfixturevalue(username)
    response = as_user(client, user).get(URL)

    offered = {option.attrs["value"] for option in options(response.content, name="owner")}
    assert offered == {str(pk) for pk in _user_ids(owners)}


def _user_ids(usernames):
    from accounts.models import User

    return set(User.objects.filter(username__in=usernames).values_list("pk", flat=True))


def test_a_deal_created_on_the_page_opens_its_page(client, alice, board, northwind, ana):
    response = as_user(client, alice).post(
        URL,
        post_data(
            board,
            company=str(northwind.pk),
            company_name="Northwind",
            contact=str(ana.pk),
            contact_name="Ana North",
            forecast_category="commit",
            expected_close_date="2027-01-31",
        ),
    )

    deal = Opportunity.objects.get()
    assert response.status_code == 303
    assert response["Location"] == reverse("pipeline:deal_detail", args=[deal.pk])
    assert (deal.company, deal.contact, deal.owner, deal.stage) == (
        northwind,
        ana,
        alice,
        board["qualification"],
    )
    assert (deal.value, deal.forecast_category) == (Decimal("12500.00"), "commit")


def test_a_typed_name_is_resolved_on_submit_without_javascript(client, alice, board, ana):
    response = as_user(client, alice).post(
        URL, post_data(board, company_name="northwind", contact_name="ana north")
    )

    assert response.status_code == 303
    deal = Opportunity.objects.get()
    assert (deal.company_id, deal.contact) == (ana.company_id, ana)


def test_a_contact_alone_gives_the_deal_its_company(client, alice, board, ana):
    response = as_user(client, alice).post(
        URL, post_data(board, contact=str(ana.pk), contact_name="Ana North")
    )

    assert response.status_code == 303
    assert Opportunity.objects.get().company_id == ana.company_id


def test_new_company_and_contact_are_created_with_the_deal(client, alice, board):
    response = as_user(client, alice).post(
        URL,
        post_data(
            board,
            company_name="Globex",
            company_domain="globex.example",
            contact_name="Gina Globe",
            contact_email="gina@globex.example",
        ),
    )

    assert response.status_code == 303
    deal = Opportunity.objects.get()
    assert (deal.company.name, deal.company.domain, deal.company.owner) == (
        "Globex",
        "globex.example",
        alice,
    )
    assert (deal.contact.first_name, deal.contact.last_name, deal.contact.company) == (
        "Gina",
        "Globe",
        deal.company,
    )


def test_a_new_company_with_a_domain_already_known_is_refused(client, alice, board, northwind):
    response = as_user(client, alice).post(
        URL,
        post_data(
            board,
            company_name="Globex",
            company_domain="www.northwind.example",
            contact_name="Gina Globe",
        ),
    )

    assert response.status_code == 422
    assert "Northwind already has this domain" in error_of(response, "company_domain")
    assert nothing_written()


def test_a_new_contact_with_an_email_the_company_has_is_refused(client, alice, board, ana):
    response = as_user(client, alice).post(
        URL,
        post_data(
            board,
            company=str(ana.company_id),
            company_name="Northwind",
            contact_name="Gina Twin",
            contact_email="ANA@northwind.example",
        ),
    )

    assert response.status_code == 422
    assert error_of(response, "contact_email") == (
        "This company already has a contact with this email."
    )
    assert not Opportunity.objects.exists()
    assert not Contact.objects.filter(first_name="Gina").exists()


def test_a_deal_fails_after_its_new_company_and_nothing_is_left(client, alice, board):
    # Given a valid new company and contact, when the deal itself is refused (a stage that
    # needs an expected close date), then neither the company nor the contact remains.
    board["qualification"].entry_fields = ["expected_close_date"]
    board["qualification"].save()

    response = as_user(client, alice).post(
        URL, post_data(board, company_name="Globex", contact_name="Gina Globe")
    )

    assert response.status_code == 422
    assert "Qualification needs: Expected close date." in error_of(response, "stage")
    assert error_of(response, "expected_close_date") == "Qualification needs this."
    assert nothing_written()


def test_neither_company_nor_contact_is_refused_naming_company(client, alice, board):
    response = as_user(client, alice).post(URL, post_data(board))

    assert response.status_code == 422
    assert error_of(response, "company_name") == (
        "A deal needs a company or a contact; choose at least one."
    )
    assert nothing_written()


def test_two_companies_of_the_typed_name_ask_to_pick_one(client, alice, bob, board):
    CompanyFactory(name="Initech", owner=alice)
    CompanyFactory(name="Initech", owner=bob)

    response = as_user(client, alice).post(URL, post_data(board, company_name="Initech"))

    assert response.status_code == 422
    assert error_of(response, "company_name") == (
        "Several companies are called “Initech”: pick one from the list."
    )
    assert not Opportunity.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "This field is required."),
        ("value", "-5", "Ensure this value is greater than or equal to 0."),
        ("currency", "EURO", "Ensure this value has at most 3 characters (it has 4)."),
        ("currency", "XYZ", "“XYZ” is not an ISO 4217 currency code; use one such as EUR or USD."),
        ("expected_close_date", "soon", "Enter a valid date."),
        (
            "forecast_category",
            "closed",
            "Select a valid choice. closed is not one of the available choices.",
        ),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    client, alice, board, northwind, field, value, message
):
    data = post_data(board, company=str(northwind.pk), company_name="Northwind")

    response = as_user(client, alice).post(URL, {**data, field: value})

    assert response.status_code == 422
    assert error_of(response, field) == message
    assert not Opportunity.objects.exists()


def test_a_stage_of_an_inactive_pipeline_or_a_closed_stage_is_refused(
    client, alice, board, northwind
):
    data = post_data(
        board, company=str(northwind.pk), company_name="Northwind", stage=str(board["won"].pk)
    )

    response = as_user(client, alice).post(URL, data)

    assert response.status_code == 422
    assert "stage" in response.context["form"].errors
    assert not Opportunity.objects.exists()


def test_a_rep_cannot_give_the_deal_to_a_teammate(client, alice, bob, board, northwind):
    data = post_data(board, company=str(northwind.pk), company_name="Northwind", owner=bob.pk)

    response = as_user(client, alice).post(URL, data)

    assert response.status_code == 422
    assert "owner" in response.context["form"].errors
    assert not Opportunity.objects.exists()


def test_a_manager_creates_a_deal_for_a_rep_of_the_team(client, maria, alice, board, northwind):
    data = post_data(board, company=str(northwind.pk), company_name="Northwind", owner=alice.pk)

    response = as_user(client, maria).post(URL, data)

    assert response.status_code == 303
    assert Opportunity.objects.get().owner == alice


def test_a_teammate_may_create_a_deal_at_the_reps_company(client, bob, board, northwind):
    data = post_data(board, company=str(northwind.pk), company_name="Northwind")

    assert as_user(client, bob).post(URL, data).status_code == 303
    assert Opportunity.objects.get().owner == bob


def test_another_team_cannot_create_a_deal_at_the_company(client, charlie, board, northwind):
    data = post_data(board, company=str(northwind.pk), company_name="")

    response = as_user(client, charlie).post(URL, data)

    assert response.status_code == 422
    assert error_of(response, "company_name") == "Choose a company you can see."
    assert not Opportunity.objects.exists()


def test_signed_out_the_page_asks_to_sign_in(client, board):
    response = client.get(URL)

    assert response.status_code == 302
    assert reverse("login") in response["Location"]


# --- the board's dialog ---------------------------------------------------------------------


def test_the_board_offers_new_deal_at_the_top_and_in_open_columns_only(client, alice, board):
    response = as_user(client, alice).get(reverse("pipeline:board", args=[board["pipeline"].pk]))

    top = element(response.content, "a", class_="board-new-deal")
    assert top.attrs["href"] == f"{URL}?pipeline={board['pipeline'].pk}"
    assert top.attrs["hx-target"] == "#board-dialog-content"
    column_links = {
        link.attrs["href"] for link in elements(response.content, "a", class_="board-column-add")
    }
    assert column_links == {
        f"{URL}?stage={board['qualification'].pk}",
        f"{URL}?stage={board['offer'].pk}",
    }  # fmt: skip


def test_the_dialog_is_the_form_alone_posting_back_through_htmx(client, alice, board):
    response = as_user(client, alice).get(f"{URL}?stage={board['offer'].pk}", **DIALOG)

    assert response.status_code == 200
    assert not elements(response.content, "html")
    form = element(response.content, "form", class_="new-deal-form")
    assert (form.attrs["hx-post"], form.attrs["hx-target"]) == (
        f"{URL}?stage={board['offer'].pk}",
        "#board-dialog-content",
    )
    assert element(response.content, "input", name="in_dialog").attrs["value"] == "1"
    stages = options(response.content, name="stage")
    assert [option.text for option in stages if "selected" in option.attrs] == ["Offer"]


def test_a_deal_created_in_the_dialog_lands_on_top_of_its_column(client, alice, board, northwind):
    offer = board["offer"]
    data = post_data(board, company=str(northwind.pk), company_name="Northwind", in_dialog="1")
    data["stage"] = str(offer.pk)

    response = as_user(client, alice).post(f"{URL}?stage={offer.pk}", data, **HTMX)

    deal = Opportunity.objects.get()
    assert response.status_code == 200
    assert response["HX-Reswap"] == "none"
    assert json.loads(response["HX-Trigger-After-Settle"]) == {
        "dealCreated": {"id": deal.pk, "stage": offer.pk}
    }
    cards = element(
        response.content, "div", **{"hx-swap-oob": f"afterbegin:#column-{offer.pk}-cards"}
    )
    assert cards.tag == "div"
    card = element(response.content, "li", id=f"deal-{deal.pk}")
    assert card.attrs["data-stage-id"] == str(offer.pk)
    header = element(response.content, "header", id=f"column-{offer.pk}-header")
    assert header.attrs["hx-swap-oob"] == "true"
    assert element(response.content, "span", class_="board-column-count").text.startswith("1")
    assert "12,500 EUR" in element(response.content, "div", class_="board-column-total").text
    assert "created" in element(response.content, "div", class_="board-status-message").text


def test_an_error_in_the_dialog_stays_in_the_dialog(client, alice, board):
    response = as_user(client, alice).post(URL, post_data(board, title="", in_dialog="1"), **HTMX)

    assert response.status_code == 422
    assert (response["HX-Retarget"], response["HX-Reswap"]) == (
        "#board-dialog-content",
        "innerHTML",
    )
    assert element(response.content, "form", class_="new-deal-form")
    assert error_of(response, "title") == "This field is required."
    assert not Opportunity.objects.exists()


def test_a_teammates_board_sees_the_new_deal_and_another_team_does_not(
    client, alice, bob, charlie, board, northwind
):
    since = current_version()
    data = post_data(board, company=str(northwind.pk), company_name="Northwind", in_dialog="1")

    as_user(client, alice).post(URL, data, **HTMX)

    [deal] = Opportunity.objects.all()
    assert changes_since(bob, board["pipeline"].pk, since).deal_ids == [deal.pk]
    assert changes_since(charlie, board["pipeline"].pk, since).deal_ids == []


# --- query counts --------------------------------------------------------------------------

# session, user, the open stages, the active custom fields, the products the rows offer, the
# owner choices.
PAGE_QUERIES = 6
# ... and the prefilled contact (its company joined).
PREFILLED_PAGE_QUERIES = 7
# Fixed, whatever the column holds: session, user, stages, the form's custom fields, the
# products the rows offer, the company; create_opportunity's checks (the company's and
# owner's visibility, the stage's required custom fields, read once, the model's
# constraints one savepoint each), the column's lock and top place, the deal and its
# StageChange; then the card, the board's stages and the column's header. PostgreSQL also
# locks the column (SQLite locks the file).
# With the new deal and its stage history read for the rollups and their zones
# (PostgreSQL: the owner's lock).
DIALOG_CREATE_QUERIES = 47 + 2 * (connection.vendor == "postgresql")


def bulk_rows(user, stage, count):
    """``count`` companies with a contact and an open deal each, owned by ``user``."""
    start = Company.objects.count()
    companies = Company.objects.bulk_create(
        Company(name=f"Company {start + n}", owner=user) for n in range(count)
    )
    contacts = Contact.objects.bulk_create(
        Contact(company=company, first_name="Person", last_name=str(n), owner=user)
        for n, company in enumerate(companies)
    )
    Opportunity.objects.bulk_create(
        Opportunity(
            title=f"Deal {start + n}",
            company=company,
            contact=contact,
            owner=user,
            pipeline=stage.pipeline,
            stage=stage,
            value=Decimal(100),
            currency="EUR",
            position=(start + n + 1) * 65536,
        )
        for n, (company, contact) in enumerate(zip(companies, contacts, strict=True))
    )
    return contacts


@pytest.mark.parametrize("headers", [{}, DIALOG], ids=["page", "dialog"])
def test_the_form_costs_the_same_at_10_and_1000_rows(
    client, alice, board, headers, django_assert_num_queries
):
    contact = bulk_rows(alice, board["qualification"], 10)[0]
    as_user(client, alice)

    with django_assert_num_queries(PAGE_QUERIES):
        client.get(URL, **headers)
    with django_assert_num_queries(PREFILLED_PAGE_QUERIES):
        client.get(f"{URL}?contact={contact.pk}", **headers)

    bulk_rows(alice, board["qualification"], 990)
    with django_assert_num_queries(PAGE_QUERIES):
        client.get(URL, **headers)
    with django_assert_num_queries(PREFILLED_PAGE_QUERIES):
        response = client.get(f"{URL}?contact={contact.pk}", **headers)
    assert element(response.content, "input", name="contact").attrs["value"] == str(contact.pk)


def test_creating_in_the_dialog_costs_the_same_at_10_and_1000_deals_in_the_column(
    client, alice, board, northwind, django_assert_num_queries
):
    stage = board["qualification"]
    bulk_rows(alice, stage, 10)
    as_user(client, alice)
    data = post_data(board, company=str(northwind.pk), company_name="Northwind", in_dialog="1")

    with django_assert_num_queries(DIALOG_CREATE_QUERIES):
        client.post(URL, data, **HTMX)

    bulk_rows(alice, stage, 990)
    with django_assert_num_queries(DIALOG_CREATE_QUERIES):
        response = client.post(URL, data, **HTMX)
    count = element(response.content, "span", class_="board-column-count").text
    assert count.startswith("1002")


# --- from a company's and a contact's page -------------------------------------------------


@pytest.mark.parametrize("username", ["alice", "bob", "maria", "ada"])
def test_company_and_contact_pages_offer_a_prefilled_new_deal(
    request, client, board, ana, username
):
    as_user(client, request.getfixturevalue(username))

    company_page = client.get(reverse("contacts:company_detail", args=[ana.company_id]))
    contact_page = client.get(reverse("contacts:contact_detail", args=[ana.pk]))

    company_link = element(company_page.content, "a", class_="record-new-deal")
    contact_link = element(contact_page.content, "a", class_="record-new-deal")
    assert company_link.attrs["href"] == f"{URL}?company={ana.company_id}"
    assert contact_link.attrs["href"] == f"{URL}?contact={ana.pk}"
    assert company_link.text.strip() == "New deal"


def test_the_deal_list_offers_a_new_deal(client, alice, board):
    response = as_user(client, alice).get(reverse("pipeline:deal_list"))

    assert element(response.content, "a", class_="deal-list-new").attrs["href"] == URL


# --- the entry checklist ---------------------------------------------------------------------


@pytest.fixture
def checklist_stage(board):
    board["offer"].entry_checklist = ["Budget confirmed", "Pain points documented"]
    board["offer"].save(update_fields=["entry_checklist"])
    return board["offer"]


def test_the_form_shows_the_chosen_stages_checklist_only(client, alice, board, checklist_stage):
    client = as_user(client, alice)

    offer = client.get(URL, {"stage": checklist_stage.pk})
    qualification = client.get(URL, {"stage": board["qualification"].pk})

    labels = [label.text for label in elements(offer.content, "label", class_="form-check-label")]
    assert labels == ["Budget confirmed", "Pain points documented"]
    assert not elements(qualification.content, "input", name="checklist_done")


def test_a_deal_with_its_checklist_ticked_enters_that_stage(
    client, alice, board, checklist_stage, northwind
):
    data = post_data(
        board,
        company=str(northwind.pk),
        company_name=northwind.name,
        stage=str(checklist_stage.pk),
        checklist_done=["Budget confirmed", "Pain points documented"],
    )

    response = as_user(client, alice).post(URL, data)

    deal = Opportunity.objects.get()
    assert (response.status_code, response.url) == (303, f"/deals/{deal.pk}/")
    assert deal.stage == checklist_stage
    assert deal.checklist_done == ["Budget confirmed", "Pain points documented"]


def test_an_unticked_checklist_item_is_refused_at_the_checklist(
    client, alice, board, checklist_stage, northwind
):
    data = post_data(
        board,
        company=str(northwind.pk),
        company_name=northwind.name,
        stage=str(checklist_stage.pk),
        checklist_done=["Budget confirmed"],
    )

    response = as_user(client, alice).post(URL, data)

    assert response.status_code == 422
    assert error_of(response, "checklist_done") == "Offer needs every item ticked."
    assert "Checklist: Pain points documented" in error_of(response, "stage")
    assert not Opportunity.objects.exists()
