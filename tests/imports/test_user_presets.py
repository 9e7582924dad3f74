"""The vendor presets for user lists: each maps a small file written from the vendor's
documented columns, and the users it makes are right.

The presets' loader (which recognises a file by its header) is the presets part's; here the
preset's mapping is applied as it describes itself: a field takes the first of its columns
the file has.
"""

import json
from pathlib import Path

import pytest

from accounts.models import Role, User
from crm.imports.kinds import FIELDS
from crm.imports.models import ImportKind
from crm.imports.options import ImportOptions
from tests.imports.importing import csv_source, run_import

PRESETS = Path(__file__).resolve().parents[2] / "crm" / "imports" / "presets"

FILES = {
    # Salesforce Field Reference, User: API names, as Data Loader writes them.
    "salesforce_users.json": (
        "Id,Username,FirstName,LastName,Name,Email,IsActive,ManagerId,UserRoleId\n"
        "0058d000002BossAAA,bea.boss@acme.example,Bea,Boss,Bea Boss,bea@acme.example,true,,\n"
        "0058d000002RepxAAA,ray.rep@acme.example,Ray,Rep,Ray Rep,ray@acme.example,true,"
        "0058d000002BossAAA,00E8d000000RoleAAA\n"
    ),
    # HubSpot Knowledge Base, Export users.
    "hubspot_users.json": (
        "User ID,First name,Last name,Email address,Last login date,Assigned teams,"
        "Assigned role,Permissions\n"
        "4101,Bea,Boss,bea@acme.example,2026-01-05,EMEA Sales,Sales Manager,Super Admin\n"
        "4102,Ray,Rep,ray@acme.example,,EMEA Sales,Sales Rep,\n"
    ),
    # Pipedrive API v1 Users fields.
    "pipedrive_users.json": (
        "id,name,email,active_flag,is_admin,role_id\n"
        "13816635,Bea Boss,bea@acme.example,true,1,\n"
        "13816636,Ray Rep,ray@acme.example,false,0,2\n"
    ),
}


def load(name: str) -> dict:
    return json.loads((PRESETS / name).read_text(encoding="utf-8"))


def mapping_for(preset: dict, header: list[str]) -> dict[str, str]:
    by_name = {column.casefold(): column for column in header}
    mapping = {}
    for field, columns in preset["mapping"].items():
        for column in [columns] if isinstance(columns, str) else columns:
            if column.casefold() in by_name:
                mapping[field] = by_name[column.casefold()]
                break
    return mapping


@pytest.mark.parametrize("name", sorted(FILES))
def test_each_users_preset_names_our_fields_and_recognises_its_file(name):
    preset = load(name)
    header = csv_source(FILES[name]).read()[0]

    assert preset["kind"] == ImportKind.USERS
    assert set(preset["mapping"]) <= {field.name for field in FIELDS[ImportKind.USERS]}
    assert {column.casefold() for column in preset["header"]} <= {
        column.casefold() for column in header
    }
    assert preset["source"]


@pytest.mark.parametrize("name", sorted(FILES))
def test_each_users_preset_imports_its_vendors_file(ada, name):
    preset = load(name)
    content = FILES[name]
    mapping = mapping_for(preset, csv_source(content).read()[0])

    result = run_import(
        ada, "users", content, mapping, options=ImportOptions(values=preset["values"])
    )

    assert (result.outcome.created, result.outcome.rejected) == (2, 0), result.reasons
    bea = User.objects.get(email="bea@acme.example")
    ray = User.objects.get(email="ray@acme.example")
    assert (bea.first_name, bea.last_name, ray.first_name, ray.last_name) == (
        "Bea",
        "Boss",
        "Ray",
        "Rep",
    )
    assert bea.external_id
    assert ray.external_id
    if name == "salesforce_users.json":
        assert ray.team.manager == bea
    if name == "hubspot_users.json":
        assert ray.team.name == bea.team.name == "EMEA Sales"
    if name == "pipedrive_users.json":
        assert (bea.role, ray.role, ray.is_active) == (Role.ADMIN, Role.REP, False)
