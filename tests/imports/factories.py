"""Factories for the import app's models (the admin tests build rows of every model)."""

import factory

from crm.imports.models import (
    ColumnMapping,
    ImportChunk,
    ImportJob,
    ImportKind,
    ImportRejection,
    ImportStatus,
    RejectedRow,
)
from tests.factories import UserFactory


class ImportJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportJob

    kind = ImportKind.DEALS
    status = ImportStatus.DONE
    file_name = factory.Sequence(lambda n: f"deals-{n}.csv")
    encoding = "utf-8-sig"
    delimiter = ","
    header = ["Title", "Company"]
    mapping = {"title": "Title", "company": "Company"}
    rows_total = 10
    rows_done = 10
    created_by = factory.SubFactory(UserFactory)


class ImportChunkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportChunk

    job = factory.SubFactory(ImportJobFactory)
    index = 0
    data = b"Title,Company\nRenewal,Acme\n"


class ImportRejectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportRejection

    job = factory.SubFactory(ImportJobFactory)
    line = factory.Sequence(lambda n: n + 2)
    field = "value"
    message = "“x” is not a number."


class RejectedRowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RejectedRow

    job = factory.SubFactory(ImportJobFactory)
    line = factory.Sequence(lambda n: n + 2)
    cells = factory.LazyAttribute(lambda row: [f"Deal on line {row.line}", "Acme"])


class ColumnMappingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ColumnMapping

    user = factory.SubFactory(UserFactory)
    kind = ImportKind.DEALS
    header_signature = factory.Sequence(lambda n: f"{n:064x}")
    mapping = {"title": "Title"}
