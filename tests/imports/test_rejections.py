"""Bad rows are reported with their line and reason while the good ones import; a bad file,
a bad mapping or a crash writes nothing at all."""

from unittest import mock

import pytest

from contacts.models import Company, Contact
from crm.imports.parsing import ImportFileError
from crm.imports.runner import import_csv
from crm.imports.writers import DealWriter
from pipeline.models import Opportunity, StageChange
from tests.factories import ContactFactory
from tests.imports.importing import csv_source, run_import


def test_bad_rows_are_reported_by_line_and_field_while_good_rows_import(alice, acme, pipeline):
    content = """external_id,title,company,value,expected_close_date,stage,currency
D-1,Good,Acme,100,2026-12-31,Proposal,eur
D-2,Bad value,Acme,lots,2026-12-31,,
D-3,,Acme,,,,
D-4,Unknown company,Nowhere Inc,,,,
D-5,Bad stage,Acme,,,Negotiation,
D-6,Bad date,Acme,,31/12/26x,,
D-1,Same id again,Acme,,,,
D-8,Lost without reason,Acme,,,Lost,
D-9,Also good,Acme,"1.000,50",,,
"""
    result = run_import(alice, "deals", content)

    # A lost deal without a reason is imported (its reason "Not recorded"): no export has one.
    assert (result.outcome.rows, result.outcome.created, result.outcome.rejected) == (9, 3, 6)
    assert set(Opportunity.objects.values_list("external_id", flat=True)) == {
        "D-1",
        "D-8",
        "D-9",
    }
    assert result.reasons == {
        3: ["value: “lots” is not a number."],
        4: ["title: Title is required."],
        5: [
            "company: No company “Nowhere Inc” that you can see: import it first, "
            "or check the name."
        ],
        6: ["stage: No stage “Negotiation” in an active pipeline."],
        7: [
            "expected_close_date: “31/12/26x” is not a date: "
            "use 2026-03-31, 31.03.2026 or 31/03/2026."
        ],
        8: ["external_id: The external id “D-1” is also on line 2; give each record once."],
    }


def test_a_row_with_several_bad_cells_is_one_rejected_row_with_every_reason(alice, acme, pipeline):
    result = run_import(alice, "deals", "title,company,value,currency\nX,Acme,-5,euro\n")

    assert result.outcome.rejected == 1
    assert result.reasons == {
        2: [
            "value: Value cannot be negative.",
            "currency: “euro” is not an ISO 4217 currency code; use one such as EUR or USD.",
        ]
    }


def test_a_contact_email_already_at_the_company_is_a_rejected_row_not_an_error(alice, acme):
    ContactFactory(company=acme, owner=alice, email="ada@acme.example")
    content = """first_name,email,company
Ada,ADA@acme.example,Acme
Grace,grace@acme.example,Acme
Grace,Grace@Acme.example,Acme
"""
    result = run_import(alice, "contacts", content)

    assert (result.outcome.created, result.outcome.rejected) == (1, 2)
    assert sorted(result.reasons) == [2, 4]
    assert "already has a contact with the email" in result.reasons[2][0]
    assert Contact.objects.count() == 2


def test_a_missing_required_column_is_a_clear_error_and_writes_nothing(alice, acme, pipeline):
    with pytest.raises(ImportFileError, match=r"No column for the required field.*Title"):
        run_import(alice, "deals", "company,value\nAcme,100\n")

    assert not Opportunity.objects.exists()


def test_a_mapping_to_a_column_the_file_lacks_names_it(alice, acme, pipeline):
    with pytest.raises(ImportFileError, match="no column “Deal name” for title"):
        run_import(
            alice, "deals", "title,company\nX,Acme\n", {"title": "Deal name", "company": "company"}
        )


def test_a_bad_byte_after_the_first_batches_rolls_back_what_they_wrote(alice, acme, pipeline):
    good = "".join(f"Deal {n},Acme\n" for n in range(5))
    content = ("title,company\n" + good).encode() + "Bär,Acme\n".encode("cp1252")

    with pytest.raises(ImportFileError, match="Line 7: the file is not valid UTF-8"):
        run_import(alice, "deals", content, batch_size=2)

    assert not Opportunity.objects.exists()
    assert not StageChange.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty"),
        (b"\n\n", "must name the columns"),
        (b"title;company\nX;Acme\n", None),
    ],
    ids=["empty", "blank-header", "semicolons-read-as-commas"],
)
def test_an_unusable_file_writes_nothing(alice, acme, pipeline, content, message):
    source = csv_source(content, delimiter=",")
    with pytest.raises(ImportFileError) as error:
        import_csv(
            by=alice,
            kind="deals",
            source=source,
            mapping={"title": "title", "company": "company"},
            on_rejections=list,
        )

    assert message is None or message in str(error.value)
    assert not Opportunity.objects.exists()


def test_a_crash_after_the_first_batch_leaves_nothing_written(alice, acme, pipeline):
    content = "title,company\n" + "".join(f"Deal {n},Acme\n" for n in range(6))
    real_write = DealWriter.write
    calls = []

    def write_then_crash(writer, plan):
        calls.append(len(plan.accepted))
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return real_write(writer, plan)

    with (
        mock.patch.object(DealWriter, "write", write_then_crash),
        pytest.raises(RuntimeError, match="worker killed"),
    ):
        run_import(alice, "deals", content, batch_size=3)

    assert calls == [3, 3]
    assert not Opportunity.objects.exists()
    assert not StageChange.objects.exists()


def test_a_dry_run_reports_everything_and_writes_nothing(alice, acme, pipeline):
    result = run_import(alice, "deals", "title,company\nGood,Acme\nBad,Nowhere\n", dry_run=True)

    assert (result.outcome.created, result.outcome.rejected) == (1, 1)
    assert not Opportunity.objects.exists()


def test_an_unknown_owner_rejects_the_row(alice, acme):
    result = run_import(alice, "companies", "name,owner\nGlobex,nobody@example.com\n")

    assert result.reasons == {
        2: ["owner: No active user “nobody@example.com” you may make the owner."]
    }
    assert Company.objects.count() == 1
