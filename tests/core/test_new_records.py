"""RecordMaker builds the records Model(**values) would, each with defaults of its own."""

import datetime as dt

import pytest
from django.db.models.signals import post_init

from core.new_records import RecordMaker
from pipeline.models import Opportunity

pytestmark = pytest.mark.django_db

WHEN = dt.datetime(2025, 3, 18, 9, 30, tzinfo=dt.UTC)


def field_values(record) -> dict:
    return {field.attname: getattr(record, field.attname) for field in record._meta.fields}


def test_a_made_record_equals_one_built_by_the_model(alice):
    values = {"created_at": WHEN, "created_by": alice, "currency": "CHF", "stage_id": 7}
    made = RecordMaker(Opportunity)(**values)
    built = Opportunity(**values)

    # stage_entered_at defaults to the time of building: the only field allowed to differ.
    made_values, built_values = field_values(made), field_values(built)
    assert made.stage_entered_at - built.stage_entered_at < dt.timedelta(seconds=5)
    del made_values["stage_entered_at"], built_values["stage_entered_at"]
    assert made_values == built_values
    assert (made.created_by_id, made.currency, made.status, made.version) == (
        alice.pk,
        "CHF",
        "open",
        1,
    )
    assert made._state.adding
    assert made.pk is None


def test_a_related_record_is_kept_and_mutable_defaults_are_not_shared(alice):
    make = RecordMaker(Opportunity)

    first, second = make(created_by=alice), make(created_by=alice)
    first.checklist_done.append("signed")
    first.custom_fields["tier"] = "gold"

    assert (second.checklist_done, second.custom_fields) == ([], {})
    assert first.created_by is alice


def test_a_model_with_init_receivers_is_built_through_init(alice):
    seen = []

    def note(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(note, sender=Opportunity)
    try:
        made = RecordMaker(Opportunity)(created_by=alice)
    finally:
        post_init.disconnect(note, sender=Opportunity)

    assert seen == [made]
