"""``manage.py import_csv``: the same import for scripts, with progress and a clear exit."""

import io

import pytest
from django.core.management import CommandError, call_command

from pipeline.models import Opportunity

CONTENT = """Ref;Deal;Account;Amount;Close
D-1;Renewal;Acme;1.234,56;31.12.2026
D-2;Pilot;Nowhere;10;2026-01-05
"""


@pytest.fixture
def deals_file(tmp_path):
    path = tmp_path / "deals.csv"
    path.write_text(CONTENT, encoding="utf-8")
    return path


def import_csv(*args: str) -> tuple[str, str]:
    """Run the command; an import with rejected rows (exit status 2) is no error here."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_csv", *args, stdout=out, stderr=err)
    except CommandError as error:
        if error.returncode != 2:
            raise
    return out.getvalue(), err.getvalue()


MAP = [
    "--map", "external_id=Ref",
    "--map", "title=Deal",
    "--map", "company=Account",
    "--map", "value=Amount",
    "--map", "expected_close_date=Close",
]  # fmt: skip


def test_command_imports_with_mapped_columns_and_lists_rejected_rows(
    alice, acme, pipeline, deals_file
):
    out, err = import_csv("deals", str(deals_file), *MAP, "--user", "alice")

    assert "2 / 2 rows (100%)" in out
    assert "Imported 2 rows: 1 created, 0 updated, 1 rejected." in out
    assert err.strip() == (
        "line 3 (company): No company “Nowhere” that you can see: import it first, "
        "or check the name."
    )
    deal = Opportunity.objects.get()
    assert (deal.external_id, deal.owner, str(deal.value)) == ("D-1", alice, "1234.56")


def test_command_run_twice_updates(alice, acme, pipeline, deals_file):
    import_csv("deals", str(deals_file), *MAP, "--user", "alice")

    out, _err = import_csv("deals", str(deals_file), *MAP, "--user", "alice")

    assert "0 created, 1 updated, 1 rejected" in out
    assert Opportunity.objects.count() == 1


def test_command_dry_run_writes_nothing(alice, acme, pipeline, deals_file):
    out, _err = import_csv("deals", str(deals_file), *MAP, "--user", "alice", "--dry-run")

    assert "Would import 2 rows: 1 created" in out
    assert not Opportunity.objects.exists()


def test_command_refuses_a_file_in_another_encoding_and_writes_nothing(
    alice, acme, pipeline, tmp_path
):
    path = tmp_path / "deals.csv"
    path.write_bytes("title,company\nKäse,Acme\n".encode("cp1252"))

    with pytest.raises(
        CommandError, match=r"Line 2: the file is not valid UTF-8.*Nothing was imported"
    ):
        import_csv("deals", str(path), "--user", "alice")

    assert not Opportunity.objects.exists()


def test_command_reads_the_encoding_it_is_given(alice, acme, pipeline, tmp_path):
    path = tmp_path / "deals.csv"
    path.write_bytes("title,company\nKäse,Acme\n".encode("cp1252"))

    import_csv("deals", str(path), "--user", "alice", "--encoding", "cp1252")

    assert Opportunity.objects.get().title == "Käse"


def test_command_names_a_missing_required_column(alice, pipeline, deals_file):
    with pytest.raises(CommandError, match=r"No column for the required field.*Title"):
        import_csv("deals", str(deals_file), "--map", "company=Account", "--user", "alice")


def test_command_names_the_columns_of_which_one_is_needed(alice, pipeline, deals_file):
    with pytest.raises(CommandError, match=r"at least one of: Company, Contact"):
        import_csv("deals", str(deals_file), "--map", "title=Deal", "--user", "alice")


def test_command_refuses_an_unknown_user(db, deals_file):
    with pytest.raises(CommandError, match="No active user 'nobody'"):
        import_csv("deals", str(deals_file), "--user", "nobody")
