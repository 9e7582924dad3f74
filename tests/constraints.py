"""Helpers for tests that show the database itself refusing invalid rows."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction


@contextmanager
def refused_by(*constraints: str) -> Iterator[None]:
    """The write inside the block fails on one of ``constraints``; the database stays usable."""
    with pytest.raises(IntegrityError) as refusal, transaction.atomic():
        yield
    message = str(refusal.value)
    # PostgreSQL names every constraint; SQLite names a UNIQUE index only by its columns.
    assert any(name in message for name in constraints) or (
        connection.vendor == "sqlite" and message.startswith("UNIQUE constraint failed")
    ), message


def constraints_without_refusal_test(app_label: str, test_module: str) -> list[str]:
    """Constraints of ``app_label`` that ``test_module`` never shows refusing a row."""
    source = Path(test_module).read_text()
    return [
        constraint.name
        for model in apps.get_app_config(app_label).get_models()
        for constraint in model._meta.constraints
        if f'refused_by("{constraint.name}"' not in source
    ]
