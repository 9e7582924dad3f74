"""Importing tasks and touchpoints: what each row is about, re-imports, rejections, and the
touch times staleness and speed-to-lead read."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from contacts.models import LeadStatus
from crm.imports.options import ImportOptions
from crm.imports.parsing import ImportFileError
from pipeline.jobs import flag_stale_deals
from pipeline.models import Opportunity, Task, Touchpoint
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    LeadFactory,
    OpportunityFactory,
    TaskFactory,
)
from tests.imports.importing import run_import

AT = dt.datetime(2025, 3, 18, 14, 5, tzinfo=dt.UTC)


@pytest.fixture
def records(alice, acme, pipeline):
    """What activity rows refer to: a deal, a contact, a lead of Alice's and Acme (C-1)."""
    stage = pipeline.stages.get(name="Prospecting")
    return {
        "deal": OpportunityFactory(
            title="Acme renewal", external_id="D-1", owner=alice, company=acme, stage=stage
        ),
        "contact": ContactFactory(
            first_name="Grace",
            last_name="Hopper",
            email="grace@acme.example",
            external_id="P-1",
            company=acme,
            owner=alice,
        ),
        "lead": LeadFactory(
            email="ada@engines.example",
            external_id="L-1",
            owner=alice,
            created_at=AT - dt.timedelta(days=30),
        ),
        "company": acme,
    }


# Linking each row to what it is about


@pytest.mark.parametrize(
    ("column", "value", "subject"),
    [
        ("deal", "D-1", "deal"),
        ("deal", "ACME  renewal", "deal"),
        ("contact", "P-1", "contact"),
        ("contact", "GRACE@acme.example", "contact"),
        ("contact", "grace hopper", "contact"),
        ("contact", "Grace Hopper (grace@acme.example)", "contact"),
        ("lead", "L-1", "lead"),
        ("lead", "ada@engines.example", "lead"),
        ("company", "C-1", "company"),
        ("company", "acme", "company"),
        ("related", "D-1", "deal"),
        ("related", "P-1", "contact"),
        ("related", "L-1", "lead"),
        ("related", "C-1", "company"),
        ("related_person", "L-1", "lead"),
        ("related_person", "P-1", "contact"),
    ],
)
def test_a_task_row_is_linked_by_each_kind_of_reference(alice, records, column, value, subject):
    content = f'title,due_at,{column}\nCall back,2025-03-20T09:00:00Z,"{value}"\n'

    result = run_import(alice, "tasks", content)

    assert result.reasons == {}
    task = Task.objects.get()
    model_field = "opportunity" if subject == "deal" else subject
    linked = {
        name: getattr(task, f"{name}_id") for name in ("opportunity", "contact", "lead", "company")
    }
    assert linked == {name: records[subject].pk if name == model_field else None for name in linked}


def test_references_that_find_nothing_or_too_much_are_row_errors(alice, records, acme):
    ContactFactory(first_name="Grace", last_name="Hopper", company=acme, owner=alice)
    OpportunityFactory(title="Twin", owner=alice, company=acme)
    OpportunityFactory(title="Twin", owner=alice, company=acme)
    content = """title,due_at,deal,contact,related,related_person
No deal,2025-03-20,Nowhere,,,
Two deals,2025-03-20,Twin,,,
Two Graces,2025-03-20,,Grace Hopper,,
Unknown id,2025-03-20,,,X-404,
A deal is no person,2025-03-20,,,,D-1
About nothing,2025-03-20,,,,
"""
    result = run_import(alice, "tasks", content)

    assert result.outcome.created == 0
    assert result.reasons == {
        2: ["deal: No deal “Nowhere” that you can see: import the deals first, or check it."],
        3: ["deal: 2 deals are titled “Twin”: give the deal's external id."],
        4: ["contact: 2 contacts have the name “Grace Hopper”: give the contact's external id."],
        5: [
            "related: No deal, company, contact or lead with the external id “X-404” "
            "that you can see."
        ],
        6: ["related_person: No contact or lead with the external id “D-1” that you can see."],
        7: ["related: Say which deal, contact, lead or company this is about: the row names none."],
    }


def test_a_polymorphic_id_held_by_two_kinds_asks_for_a_narrower_column(alice, records, acme):
    ContactFactory(external_id="D-1", company=acme, owner=alice)

    result = run_import(alice, "tasks", "title,due_at,related\nCall,2025-03-20,D-1\n")

    assert result.reasons == {
        2: ["related: The id “D-1” is held by a deal and a contact: map the column to one."]
    }


def test_records_of_another_team_are_not_found(charlie, records):
    result = run_import(
        charlie, "touchpoints", "kind,at,deal,company\ncall,2025-03-18T10:00:00Z,D-1,\n"
    )

    assert result.reasons == {
        2: ["deal: No deal “D-1” that you can see: import the deals first, or check it."]
    }
    assert not Touchpoint.objects.exists()


# Tasks


def test_tasks_import_with_owner_done_state_and_times(alice, bob, maria, records):
    content = """external_id,title,notes,due_at,done,done_at,owner,deal,created_at
T-1,Send proposal,Include the discount,2025-03-20T09:00:00Z,no,,bob,D-1,2025-03-01T08:00:00Z
T-2,Call Grace,,2025-03-10T09:00:00Z,yes,2025-03-11T16:30:00Z,,D-1,
T-3,Book the demo,,2025-03-12T09:00:00Z,yes,,,D-1,
T-4,Ask for budget,,,,,,D-1,2025-02-01T10:00:00Z
"""
    result = run_import(maria, "tasks", content)

    assert result.reasons == {}
    tasks = {task.external_id: task for task in Task.objects.all()}
    assert (tasks["T-1"].assignee, tasks["T-1"].done_at, tasks["T-1"].notes) == (
        bob,
        None,
        "Include the discount",
    )
    assert tasks["T-1"].created_at == dt.datetime(2025, 3, 1, 8, tzinfo=dt.UTC)
    assert tasks["T-1"].created_by == maria
    assert tasks["T-2"].done_at == dt.datetime(2025, 3, 11, 16, 30, tzinfo=dt.UTC)
    # Done without a time: done when it was due.
    assert tasks["T-3"].done_at == dt.datetime(2025, 3, 12, 9, tzinfo=dt.UTC)
    # No due date (other CRMs allow it): due when it was created.
    assert tasks["T-4"].due_at == dt.datetime(2025, 2, 1, 10, tzinfo=dt.UTC)
    assert tasks["T-4"].assignee == maria


def test_vendor_words_for_done_go_through_the_value_mapping(alice, records):
    content = """title,due_at,done,deal
Finished,2025-03-10,Completed,D-1
Open,2025-03-10,Not Started,D-1
Odd,2025-03-10,Perhaps,D-1
"""
    options = ImportOptions(values={"done": {"Completed": "yes", "Not Started": "no"}})

    result = run_import(alice, "tasks", content, options=options)

    assert result.reasons == {4: ["done: “Perhaps” is neither yes nor no."]}
    done = dict(Task.objects.values_list("title", "done_at"))
    assert done["Finished"] is not None
    assert done["Open"] is None


def test_task_rows_that_contradict_themselves_are_rejected(alice, records):
    content = """title,due_at,done,done_at,deal
Not done but done,2025-03-10,no,2025-03-11T10:00:00Z,D-1
Done tomorrow,2025-03-10,,2099-01-01T10:00:00Z,D-1
,2025-03-10,,,D-1
"""
    result = run_import(alice, "tasks", content)

    assert result.reasons == {
        2: ["done: The row says not done, yet gives a done time."],
        3: ["done_at: A task cannot have been done in the future."],
        4: ["title: Title is required."],
    }
    assert not Task.objects.exists()


def test_reimporting_tasks_updates_them_instead_of_duplicating(alice, records):
    header = "external_id,title,due_at,done,deal\n"
    first = header + "T-1,Send proposal,2025-03-20T09:00:00Z,no,D-1\n"
    again = header + "T-1,Send revised proposal,2025-03-22T09:00:00Z,yes,D-1\n"
    run_import(alice, "tasks", first)

    result = run_import(alice, "tasks", again)

    assert (result.outcome.created, result.outcome.updated) == (0, 1)
    task = Task.objects.get()
    assert task.title == "Send revised proposal"
    assert task.due_at == dt.datetime(2025, 3, 22, 9, tzinfo=dt.UTC)
    assert task.done_at == task.due_at


def test_a_task_of_a_record_one_may_not_change_is_not_overwritten(bob, alice, records):
    TaskFactory(external_id="T-9", title="Alice's own", assignee=alice, opportunity=records["deal"])

    result = run_import(bob, "tasks", "external_id,title,due_at,deal\nT-9,Bob's,2025-03-20,D-1\n")

    assert result.reasons == {
        2: ["external_id: The external id “T-9” belongs to a record you may not change."]
    }
    assert Task.objects.get().title == "Alice's own"


def test_an_owner_the_importer_may_not_assign_is_a_row_error(alice, charlie, records):
    result = run_import(alice, "tasks", "title,due_at,owner,deal\nCall,2025-03-20,charlie,D-1\n")

    assert result.reasons == {2: ["owner: No active user “charlie” you may make the owner."]}


def test_an_import_of_company_tasks_is_seen_by_the_companys_team_only(alice, bob, charlie, records):
    run_import(alice, "tasks", "title,due_at,company\nTender,2025-03-20,Acme\n")

    task = Task.objects.get()
    assert task.company == records["company"]
    assert Task.objects.visible_to(bob).filter(pk=task.pk).exists()
    assert not Task.objects.visible_to(charlie).filter(pk=task.pk).exists()


# Touchpoints


def test_touchpoints_import_with_kinds_outcomes_subject_and_summary(alice, bob, maria, records):
    content = """external_id,kind,at,subject,summary,outcome,owner,contact,deal
A-1,Call,2025-03-18T14:05:00Z,Pricing,Went through the tiers,Connected,bob,grace@acme.example,D-1
A-2,E-mail,2025-03-19T08:00:00Z,,Sent the offer,,,,D-1
A-3,Lunch,2025-03-20T12:00:00Z,Lunch with Grace,,,,P-1,
A-4,Fax,2025-03-20T12:00:00Z,,,,,P-1,
A-5,note,2025-03-20T12:00:00Z,,,Great,,P-1,
"""
    options = ImportOptions(values={"kind": {"E-mail": "email", "Lunch": "meeting"}})

    result = run_import(maria, "touchpoints", content, options=options)

    assert result.reasons == {
        5: [
            "kind: “Fax” is not one of: call, email, meeting, note. "
            "Map the file's value to one of them."
        ],
        6: [
            "outcome: “Great” is not one of: connected, no_answer, voicemail, replied, "
            "meeting_booked, not_interested. Map the file's value to one of them."
        ],
    }
    touchpoints = {t.external_id: t for t in Touchpoint.objects.all()}
    call = touchpoints["A-1"]
    assert (call.kind, call.outcome, call.by, call.at) == ("call", "connected", bob, AT)
    assert call.summary == "Pricing\n\nWent through the tiers"
    assert (call.contact, call.opportunity) == (records["contact"], records["deal"])
    assert (touchpoints["A-2"].kind, touchpoints["A-2"].by) == ("email", maria)
    assert (touchpoints["A-3"].kind, touchpoints["A-3"].summary) == ("meeting", "Lunch with Grace")


def test_a_file_of_one_kind_gets_its_kind_from_the_value_mapping(alice, records):
    options = ImportOptions(values={"kind": {"*": "call"}})

    result = run_import(
        alice, "touchpoints", "at,deal\n2025-03-18T14:05:00Z,D-1\n", options=options
    )
    without = run_import(alice, "touchpoints", "at,deal\n2025-03-18T14:05:00Z,D-1\n")

    assert result.reasons == {}
    assert Touchpoint.objects.get().kind == "call"
    assert without.reasons == {2: ["kind: Kind is required: call, email, meeting or note."]}


def test_planned_activities_are_not_touchpoints(alice, records):
    content = """kind,at,done,deal
call,2025-03-18T14:05:00Z,no,D-1
call,2099-03-18T14:05:00Z,,D-1
call,2025-03-18T14:05:00Z,yes,D-1
"""
    result = run_import(alice, "touchpoints", content)

    assert result.reasons == {
        2: ["done: Not done yet: a planned activity is a task; import it as a task."],
        3: [
            "at: 2099-03-18T14:05:00+00:00 is in the future: a planned activity is a task; "
            "import it as a task."
        ],
    }
    assert Touchpoint.objects.count() == 1


def test_reimporting_touchpoints_updates_them_instead_of_duplicating(alice, records):
    run_import(
        alice, "touchpoints", "external_id,kind,at,deal\nA-1,call,2025-03-18T14:05:00Z,D-1\n"
    )

    result = run_import(
        alice,
        "touchpoints",
        "external_id,kind,at,summary,deal\n"
        "A-1,meeting,2025-03-18T15:00:00Z,Moved to a meeting,D-1\n",
    )

    assert (result.outcome.created, result.outcome.updated) == (0, 1)
    touchpoint = Touchpoint.objects.get()
    assert (touchpoint.kind, touchpoint.summary) == ("meeting", "Moved to a meeting")


# The touch times staleness and speed-to-lead read


def test_imported_touchpoints_move_the_deals_last_touch_to_the_latest(alice, records):
    deal = records["deal"]
    version_on_the_board = deal.version
    content = """kind,at,deal
call,2025-03-18T14:05:00Z,D-1
email,2025-04-02T09:00:00Z,D-1
note,2025-03-01T09:00:00Z,D-1
"""
    run_import(alice, "touchpoints", content)

    deal.refresh_from_db()
    assert deal.last_touch_at == dt.datetime(2025, 4, 2, 9, tzinfo=dt.UTC)
    # A touch is not an edit: a board holding the card's version still moves it.
    assert deal.version == version_on_the_board


def test_older_imported_touchpoints_never_move_the_last_touch_backwards(alice, records):
    deal = records["deal"]
    recent = timezone.now() - dt.timedelta(days=1)
    before = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    Opportunity.objects.filter(pk=deal.pk).update(last_touch_at=recent, updated_at=before)

    run_import(alice, "touchpoints", "kind,at,deal\ncall,2025-03-18T14:05:00Z,D-1\n")

    deal.refresh_from_db()
    assert deal.last_touch_at == recent
    # Nothing moved, so the deal is not rewritten and boards do not refresh its card.
    assert deal.updated_at == before


def test_imported_touches_set_the_leads_first_and_last_touch_and_attempts(alice, records):
    lead = records["lead"]
    content = """external_id,kind,at,lead
A-1,call,2025-03-18T14:05:00Z,L-1
A-2,email,2025-03-25T09:00:00Z,L-1
A-3,meeting,2025-04-01T10:00:00Z,L-1
A-4,note,2025-05-01T10:00:00Z,L-1
"""
    run_import(alice, "touchpoints", content)
    # A re-import counts no attempt twice.
    run_import(alice, "touchpoints", content)

    lead.refresh_from_db()
    assert lead.first_touch_at == AT
    # A note reaches nobody: it is not a touch.
    assert lead.last_touch_at == dt.datetime(2025, 4, 1, 10, tzinfo=dt.UTC)
    assert lead.contact_attempts == 2
    assert lead.status == LeadStatus.CONTACTED


def test_a_touch_before_the_lead_existed_counts_from_its_creation(alice, records):
    lead = records["lead"]

    run_import(alice, "touchpoints", "kind,at,lead\ncall,2024-01-01T10:00:00Z,L-1\n")

    lead.refresh_from_db()
    assert lead.first_touch_at == lead.created_at


def test_a_company_touchpoint_is_seen_on_the_companys_side_only(alice, bob, charlie, records):
    company = CompanyFactory(name="Globex", owner=alice)

    run_import(alice, "touchpoints", "kind,at,company\nmeeting,2025-03-18T14:05:00Z,Globex\n")

    touchpoint = Touchpoint.objects.get()
    assert touchpoint.company == company
    assert Touchpoint.objects.visible_to(bob).filter(pk=touchpoint.pk).exists()
    assert not Touchpoint.objects.visible_to(charlie).filter(pk=touchpoint.pk).exists()


def test_a_broken_file_writes_no_activity_at_all(alice, records):
    content = b"kind,at,deal\ncall,2025-03-18T14:05:00Z,D-1\n\xff\xfe,broken,\n"

    with pytest.raises(ImportFileError):
        run_import(alice, "touchpoints", content, batch_size=1)

    assert not Touchpoint.objects.exists()
    records["deal"].refresh_from_db()
    assert records["deal"].last_touch_at is None


@pytest.mark.parametrize(("touched", "stale"), [(True, False), (False, True)])
def test_the_nightly_job_reads_imported_touches_when_it_flags_stale_deals(
    alice, records, touched, stale
):
    # Given a deal recorded long ago that entered a 14-day stage ten days before the night
    deal = records["deal"]
    deal.stage.rotting_days = 14
    deal.stage.save(update_fields=["rotting_days"])
    Opportunity.objects.filter(pk=deal.pk).update(
        created_at=dt.datetime(2025, 1, 2, tzinfo=dt.UTC),
        stage_entered_at=dt.datetime(2025, 3, 10, tzinfo=dt.UTC),
    )
    # When its calls come in from the old CRM (or do not)
    if touched:
        run_import(alice, "touchpoints", "kind,at,deal\ncall,2025-03-18T10:00:00Z,D-1\n")

    # Then the job on 20 March flags it only if nobody touched it
    flag_stale_deals(dt.date(2025, 3, 20))

    deal.refresh_from_db()
    assert (deal.stale_since is not None) is stale


# Cost: a batch reads what it names in a fixed number of queries, whatever its size


def activity_rows(count, alice, acme, stage):
    lines = []
    for n in range(count):
        OpportunityFactory(title=f"Deal {n}", owner=alice, company=acme, stage=stage)
        ContactFactory(email=f"person{n}@acme.example", company=acme, owner=alice)
        LeadFactory(email=f"lead{n}@example.com", owner=alice)
        lines.append(
            f"A-{n},call,2025-03-18T14:05:00Z,bob,Deal {n},person{n}@acme.example,"
            f"lead{n}@example.com,Acme"
        )
    return "external_id,kind,at,owner,deal,contact,lead,company\n" + "\n".join(lines) + "\n"


@pytest.mark.parametrize("rows", [3, 30])
def test_a_batch_of_touchpoints_costs_the_same_at_any_size(
    maria, bob, alice, acme, pipeline, rows, django_assert_num_queries
):
    content = activity_rows(rows, alice, acme, pipeline.stages.get(name="Prospecting"))

    # savepoint, which external ids exist (a probe: a batch of new records needs no more), owners,
    # companies by id and by name, deals by id and title, contacts by id and email, leads
    # by id and email, the INSERT, the deals' and the leads' touch UPDATEs, the activity
    # rollups' read of the new touchpoints and of the kept zones (none here), release;
    # PostgreSQL also takes the one author's shared advisory lock on their rollups
    with django_assert_num_queries(ACTIVITY_BATCH_QUERIES):
        result = run_import(maria, "touchpoints", content)

    assert (result.outcome.created, result.rejections) == (rows, [])


ACTIVITY_BATCH_QUERIES = 17 + (connection.vendor == "postgresql")


def test_activity_dates_are_read_as_their_whole_column_says(alice, records):
    # Month-first throughout: the 18th and the 20th leave no doubt.
    content = """kind,at,deal
call,3/18/2025 14:05,D-1
call,3/20/2025 09:00,D-1
"""
    result = run_import(alice, "touchpoints", content)

    assert result.reasons == {}
    assert sorted(Touchpoint.objects.values_list("at", flat=True)) == [
        AT,
        dt.datetime(2025, 3, 20, 9, tzinfo=dt.UTC),
    ]


def test_a_bad_activity_row_reports_every_problem_at_once(alice, records):
    content = "kind,at,owner,deal,company\nfax,2099-01-01T10:00:00Z,nobody,Nowhere,Nothing Inc\n"

    result = run_import(alice, "touchpoints", content)

    assert sorted(reason.split(":")[0] for reason in result.reasons[2]) == [
        "at",
        "company",
        "deal",
        "kind",
        "owner",
    ]
    assert not Touchpoint.objects.exists()
