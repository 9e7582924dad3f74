"""The database itself refuses invalid imports, file chunks and remembered column mappings."""

import pytest

from crm.imports.models import (
    ColumnMapping,
    ImportChunk,
    ImportJob,
    ImportKind,
    ImportStatus,
    RejectedRow,
)
from tests.constraints import constraints_without_refusal_test, refused_by
from tests.imports.factories import ColumnMappingFactory, ImportChunkFactory, ImportJobFactory

SIGNATURE = "a" * 64


def test_every_imports_constraint_has_a_refusal_test():
    assert constraints_without_refusal_test("imports", __file__) == []


# ImportJob


@pytest.mark.django_db
def test_unknown_import_kind_is_refused(alice):
    with refused_by("import_kind_valid"):
        ImportJobFactory(created_by=alice, kind="videos")


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ImportKind.values)
def test_every_import_kind_is_accepted(alice, kind):
    job = ImportJobFactory(created_by=alice, kind=kind)

    assert ImportJob.objects.get(pk=job.pk).kind == kind


@pytest.mark.django_db
def test_unknown_import_status_is_refused(alice):
    with refused_by("import_status_valid"):
        ImportJobFactory(created_by=alice, status="paused")


@pytest.mark.django_db
@pytest.mark.parametrize("status", ImportStatus.values)
def test_every_import_status_is_accepted(alice, status):
    job = ImportJobFactory(created_by=alice, status=status)

    assert ImportJob.objects.get(pk=job.pk).status == status


# RejectedRow


@pytest.mark.django_db
def test_one_line_of_one_import_keeps_its_cells_once(alice):
    job = ImportJobFactory(created_by=alice)
    RejectedRow.objects.create(job=job, line=7, cells=["Acme", "3/18/2017"])

    with refused_by("import_rejected_row_unique"):
        RejectedRow.objects.create(job=job, line=7, cells=["Acme", "18/3/2017"])


@pytest.mark.django_db
def test_the_same_line_of_two_imports_is_accepted(alice):
    first, second = ImportJobFactory(created_by=alice), ImportJobFactory(created_by=alice)
    RejectedRow.objects.create(job=first, line=7, cells=["Acme"])
    RejectedRow.objects.create(job=second, line=7, cells=["Acme"])

    assert RejectedRow.objects.filter(line=7).count() == 2


# ImportChunk


@pytest.mark.django_db
def test_two_chunks_with_one_index_in_one_import_are_refused(alice):
    job = ImportJobFactory(created_by=alice)
    ImportChunkFactory(job=job, index=0)

    with refused_by("import_chunk_unique"):
        ImportChunkFactory(job=job, index=0)


@pytest.mark.django_db
def test_chunks_with_other_indexes_or_of_other_imports_are_accepted(alice):
    job = ImportJobFactory(created_by=alice)
    other = ImportJobFactory(created_by=alice)
    ImportChunkFactory(job=job, index=0)
    ImportChunkFactory(job=job, index=1)
    ImportChunkFactory(job=other, index=0)

    assert ImportChunk.objects.count() == 3


# ColumnMapping


@pytest.mark.django_db
def test_a_second_mapping_for_one_user_kind_and_header_is_refused(alice):
    ColumnMappingFactory(user=alice, kind=ImportKind.DEALS, header_signature=SIGNATURE)

    with refused_by("column_mapping_unique"):
        ColumnMappingFactory(user=alice, kind=ImportKind.DEALS, header_signature=SIGNATURE)


@pytest.mark.django_db
def test_mappings_differing_in_user_kind_or_header_are_accepted(alice, bob):
    ColumnMappingFactory(user=alice, kind=ImportKind.DEALS, header_signature=SIGNATURE)
    ColumnMappingFactory(user=bob, kind=ImportKind.DEALS, header_signature=SIGNATURE)
    ColumnMappingFactory(user=alice, kind=ImportKind.LEADS, header_signature=SIGNATURE)
    ColumnMappingFactory(user=alice, kind=ImportKind.DEALS, header_signature="b" * 64)

    assert ColumnMapping.objects.count() == 4
