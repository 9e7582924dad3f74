"""``__any_of``: the rows ``__in`` finds, with the values as one array on PostgreSQL."""

import pytest
from django.db import connection
from django.db.models.functions import Lower
from django.test.utils import CaptureQueriesContext

from contacts.models import Company
from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db


def test_any_of_finds_what_in_finds():
    acme, globex, _initech = (
        CompanyFactory(name=name, external_id=f"X-{name}") for name in ("Acme", "Globex", "Initech")
    )
    wanted = ["X-Acme", "X-Globex", "X-missing", None]
    found = Company.objects.filter(external_id__any_of=wanted)
    assert set(found) == set(Company.objects.filter(external_id__in=wanted)) == {acme, globex}
    assert set(Company.objects.filter(pk__any_of={acme.pk, globex.pk})) == {acme, globex}
    # Not on relations: Django gives foreign keys lookups of their own; use __in there.
    by_key = Company.objects.annotate(key=Lower("name")).filter(key__any_of=["acme"])
    assert list(by_key) == [acme]
    assert list(Company.objects.exclude(pk__any_of=[acme.pk, globex.pk])) == [_initech]


def test_any_of_nothing_finds_nothing():
    CompanyFactory()
    assert list(Company.objects.filter(external_id__any_of=[])) == []
    assert list(Company.objects.filter(pk__any_of=[None])) == []


def test_any_of_sends_one_array_on_postgresql():
    values = [f"X-{n}" for n in range(500)]
    with CaptureQueriesContext(connection) as queries:
        list(Company.objects.filter(external_id__any_of=values))
    sql = queries.captured_queries[-1]["sql"]
    if connection.vendor == "postgresql":
        assert "= ANY(" in sql
        assert " IN (" not in sql
    else:
        assert " IN (" in sql
