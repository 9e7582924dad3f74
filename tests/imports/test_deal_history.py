"""Deals imported with their times: the stages they entered, when, and what they ended as."""

import datetime as dt

from contacts.models import Company, Contact, Lead
from forecasting.models import PipelineSnapshot
from pipeline.models import ForecastCategory, Opportunity, OpportunityStatus, StageChange
from tests.factories import ContactFactory
from tests.imports.importing import run_import

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def moves(deal: Opportunity) -> list[tuple[str | None, str, dt.datetime]]:
    return [
        (change.from_stage.name if change.from_stage else None, change.to_stage.name, change.at)
        for change in StageChange.objects.filter(opportunity=deal)
        .select_related("from_stage", "to_stage")
        .order_by("at", "pk")
    ]


def test_a_deal_that_entered_its_stage_after_its_creation_started_in_the_first_stage(
    alice, acme, pipeline
):
    content = """external_id,title,company,stage,created_at,stage_entered_at,last_touch_at
D-1,Renewal,Acme,Proposal,2025-01-10 09:00,2025-02-03 14:30,2025-02-20
"""
    result = run_import(alice, "deals", content)

    assert result.rejections == []
    deal = Opportunity.objects.get(external_id="D-1")
    assert (deal.created_at, deal.stage_entered_at, deal.last_touch_at) == (
        at("2025-01-10 09:00"),
        at("2025-02-03 14:30"),
        at("2025-02-20 00:00"),
    )
    assert (deal.status, deal.closed_at) == (OpportunityStatus.OPEN, None)
    assert moves(deal) == [
        (None, "Prospecting", at("2025-01-10 09:00")),
        ("Prospecting", "Proposal", at("2025-02-03 14:30")),
    ]


def test_a_deal_created_in_its_stage_has_one_entry_at_its_creation(alice, acme, pipeline):
    run_import(alice, "deals", "title,company,stage,created_at\nNew,Acme,Proposal,2025-01-10\n")

    deal = Opportunity.objects.get()
    assert deal.stage_entered_at == at("2025-01-10 00:00")
    assert moves(deal) == [(None, "Proposal", at("2025-01-10 00:00"))]


def test_a_won_deal_named_with_its_last_open_stage_is_won_and_keeps_that_stage_in_history(
    alice, acme, pipeline
):
    # Pipedrive writes the stage a won deal was in, its status and its won time.
    content = """title,company,stage,status,created_at,stage_entered_at,won_at
Big one,Acme,Proposal,Won,2025-01-10 09:00,2025-02-03 14:30,2025-03-14 16:00
"""
    result = run_import(alice, "deals", content)

    assert result.rejections == []
    deal = Opportunity.objects.get()
    assert (deal.stage.name, deal.status, deal.forecast_category) == (
        "Won",
        OpportunityStatus.WON,
        ForecastCategory.CLOSED,
    )
    assert deal.closed_at == deal.stage_entered_at == at("2025-03-14 16:00")
    assert moves(deal) == [
        (None, "Prospecting", at("2025-01-10 09:00")),
        ("Prospecting", "Proposal", at("2025-02-03 14:30")),
        ("Proposal", "Won", at("2025-03-14 16:00")),
    ]


def test_a_lost_deal_without_a_reason_is_lost_with_reason_not_recorded(alice, acme, pipeline):
    content = "title,company,stage,created_at,closed_at\nGone,Acme,Lost,2025-01-10,2025-04-02\n"

    result = run_import(alice, "deals", content)

    assert result.rejections == []
    deal = Opportunity.objects.get()
    assert (deal.status, deal.lost_reason, deal.closed_at) == (
        OpportunityStatus.LOST,
        "Not recorded",
        at("2025-04-02 00:00"),
    )
    assert moves(deal) == [
        (None, "Prospecting", at("2025-01-10 00:00")),
        ("Prospecting", "Lost", at("2025-04-02 00:00")),
    ]


def test_salesforce_is_won_and_is_closed_decide_the_status(alice, acme, pipeline):
    # A Salesforce opportunity export: StageName, IsClosed, IsWon, CreatedDate, CloseDate.
    content = """title,company,stage,is_closed,is_won,created_at,expected_close_date
Won one,Acme,Proposal,true,true,2025-01-10T09:00:00.000Z,2025-03-01
Lost one,Acme,Proposal,true,false,2025-01-11T09:00:00.000Z,2025-03-02
Open one,Acme,Proposal,false,false,2025-01-12T09:00:00.000Z,2030-01-01
"""
    result = run_import(alice, "deals", content)

    assert result.rejections == []
    deals = {deal.title: deal for deal in Opportunity.objects.select_related("stage")}
    # A closed opportunity's CloseDate is the day it closed.
    assert (deals["Won one"].stage.name, deals["Won one"].closed_at) == (
        "Won",
        at("2025-03-01 00:00"),
    )
    assert (deals["Lost one"].stage.name, deals["Lost one"].lost_reason) == (
        "Lost",
        "Not recorded",
    )
    assert deals["Lost one"].closed_at == at("2025-03-02 00:00")
    assert (deals["Open one"].status, deals["Open one"].closed_at) == ("open", None)
    assert deals["Open one"].expected_close_date == dt.date(2030, 1, 1)


def test_rows_that_contradict_themselves_are_rejected_naming_the_field(alice, acme, pipeline):
    content = """title,company,stage,status,is_won,is_closed
Won but lost,Acme,Proposal,won,no,yes
Open in won,Acme,Won,open,,
Lost in won,Acme,Won,lost,,
Not closed but won,Acme,Proposal,,yes,no
"""
    result = run_import(alice, "deals", content)

    assert result.outcome.created == 0
    assert result.reasons == {
        2: ["status: The status is Won, but Won and Closed say Lost."],
        3: ["status: The stage “Won” is a Won stage, but the status is Open."],
        4: ["status: The stage “Won” is a Won stage, but the status is Lost."],
        5: ["is_won: A deal that is not closed cannot be won."],
    }


def test_a_status_in_any_case_or_the_users_language_is_read(alice, acme, pipeline):
    result = run_import(alice, "deals", "title,company,status\nA,Acme,WON\nB,Acme,Lost\nC,Acme,x\n")

    assert dict(Opportunity.objects.values_list("title", "status")) == {"A": "won", "B": "lost"}
    assert result.reasons == {4: ["status: “x” is not a deal status; use one of: open, won, lost."]}


def test_a_moment_in_the_future_is_a_row_error_naming_the_field(alice, acme, pipeline):
    tomorrow = (dt.datetime.now(UTC) + dt.timedelta(days=1)).date().isoformat()
    content = f"""title,company,stage,created_at,closed_at,last_touch_at
Early,Acme,Won,2025-01-10,{tomorrow},
Touched,Acme,Proposal,2025-01-10,,{tomorrow}
"""
    result = run_import(alice, "deals", content)

    assert result.outcome.created == 0
    assert {line: reasons[0].split(":")[0] for line, reasons in result.reasons.items()} == {
        2: "closed_at",
        3: "last_touch_at",
    }
    assert "is in the future" in result.reasons[2][0]


def test_a_time_before_the_creation_is_moved_up_to_it_not_refused(alice, acme, pipeline):
    # Salesforce: CreatedDate has a time, CloseDate only a day, read at midnight.
    content = """title,company,stage,created_at,closed_at,stage_entered_at
Same day,Acme,Won,2025-01-10 14:05,2025-01-10,
Entered before,Acme,Proposal,2025-01-10 14:05,,2024-12-01
"""
    result = run_import(alice, "deals", content)

    assert result.rejections == []
    same_day = Opportunity.objects.get(title="Same day")
    assert same_day.closed_at == same_day.created_at == at("2025-01-10 14:05")
    assert moves(same_day) == [(None, "Won", at("2025-01-10 14:05"))]
    entered = Opportunity.objects.get(title="Entered before")
    assert entered.stage_entered_at == at("2025-01-10 14:05")
    assert moves(entered) == [(None, "Proposal", at("2025-01-10 14:05"))]


HISTORY = """external_id,title,company,stage,status,created_at,stage_entered_at,won_at
D-1,Renewal,Acme,Proposal,open,2025-01-10,2025-02-03,
D-2,Big one,Acme,Proposal,won,2025-01-10,2025-02-03,2025-03-14
"""


def test_reimporting_the_same_history_writes_no_new_stage_change(alice, acme, pipeline):
    run_import(alice, "deals", HISTORY)
    before = list(StageChange.objects.values_list("pk", flat=True))

    result = run_import(alice, "deals", HISTORY)

    assert (result.outcome.updated, result.rejections) == (2, [])
    assert list(StageChange.objects.values_list("pk", flat=True)) == before
    won = Opportunity.objects.get(external_id="D-2")
    assert (won.stage.name, won.closed_at) == ("Won", at("2025-03-14 00:00"))


def test_a_reimport_that_closes_a_deal_adds_the_close_to_its_history(alice, acme, pipeline):
    run_import(alice, "deals", HISTORY)

    run_import(alice, "deals", "external_id,title,company,status,lost_at\nD-1,,,lost,2025-05-02\n")

    deal = Opportunity.objects.get(external_id="D-1")
    assert (deal.status, deal.lost_reason) == ("lost", "Not recorded")
    assert moves(deal)[-1] == ("Proposal", "Lost", at("2025-05-02 00:00"))
    assert len(moves(deal)) == 3


def test_a_deal_without_a_company_is_with_its_contact_and_the_contacts_company(
    alice, acme, pipeline
):
    # Every contact is at a company (contacts.Contact.company is required), so a deal given
    # only its contact is with that company too; a deal given neither is a row error.
    ContactFactory(company=acme, owner=alice, email="ada@acme.example", external_id="P-2")
    content = """title,company,contact
Through Ada,,P-2
Nobody,,
"""
    result = run_import(alice, "deals", content)

    deal = Opportunity.objects.get(title="Through Ada")
    assert (deal.company, deal.contact.email) == (acme, "ada@acme.example")
    assert result.reasons == {
        3: ["company: A deal needs a company or a contact; give at least one."]
    }


def test_companies_contacts_and_leads_keep_their_creation_time(alice, acme):
    run_import(alice, "companies", "name,created_at\nGlobex,2024-06-01 08:00\n")
    run_import(alice, "contacts", "first_name,company,created_at\nAda,Acme,2024-07-01\n")
    tomorrow = (dt.datetime.now(UTC) + dt.timedelta(days=1)).date().isoformat()
    result = run_import(alice, "leads", f"last_name,created_at\nOld,2024-08-01\nLater,{tomorrow}\n")

    assert Company.objects.get(name="Globex").created_at == at("2024-06-01 08:00")
    assert Contact.objects.get(first_name="Ada").created_at == at("2024-07-01 00:00")
    assert Lead.objects.get(last_name="Old").created_at == at("2024-08-01 00:00")
    assert list(result.reasons) == [3]
    assert result.reasons[3][0].startswith("created_at: ")


def test_deals_imported_without_times_get_no_past_snapshots(alice, acme, pipeline):
    run_import(alice, "deals", "title,company,stage\nToday,Acme,Proposal\n")

    assert not PipelineSnapshot.objects.exists()
    assert StageChange.objects.get().to_stage.name == "Proposal"


def test_a_reimport_that_moves_a_deal_enters_the_new_stage_no_earlier_than_the_last_move(
    alice, acme, pipeline
):
    run_import(alice, "deals", HISTORY)

    # The file says D-1 reached Won before it entered Proposal on 3 February: the move is
    # kept after that entry, never before it.
    content = "external_id,title,company,stage,stage_entered_at\nD-1,,,Won,2025-01-20\n"
    result = run_import(alice, "deals", content)

    assert result.rejections == []
    deal = Opportunity.objects.get(external_id="D-1")
    assert (deal.status, deal.closed_at) == ("won", at("2025-02-03 00:00"))
    assert moves(deal)[-2:] == [
        ("Prospecting", "Proposal", at("2025-02-03 00:00")),
        ("Proposal", "Won", at("2025-02-03 00:00")),
    ]


def test_a_reimport_may_move_a_deals_creation_earlier_but_not_past_its_history(
    alice, acme, pipeline
):
    # A first import without times dates the deal now; the next file gives its real creation.
    run_import(alice, "deals", "external_id,title,company\nD-1,Renewal,Acme\n")
    first_entry = StageChange.objects.get().at

    run_import(alice, "deals", "external_id,title,company,created_at\nD-1,,,2025-01-10\n")
    assert Opportunity.objects.get().created_at == at("2025-01-10 00:00")

    # A later creation would leave the recorded entries before it: the earlier one stays.
    run_import(alice, "deals", "external_id,title,company,created_at\nD-1,,,2025-03-01\n")
    assert Opportunity.objects.get().created_at == at("2025-01-10 00:00")
    assert StageChange.objects.get().at == first_entry
