"""The custom-field type system: coercion to stored JSON, display, fit checks, filters."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.custom_fields.definitions import make_key, parse_choice_lines
from core.custom_fields.kinds import Choice, FieldKind, coerce, csv_value, fits, to_python

SIZES = [Choice("s", "Small"), Choice("m", "Medium"), Choice("l", "Large")]


@pytest.mark.parametrize(
    ("kind", "raw", "stored"),
    [
        (FieldKind.TEXT, "  two   words ", "two words"),
        (FieldKind.NUMBER, "12.50", "12.5"),
        (FieldKind.NUMBER, 3, "3"),
        (FieldKind.NUMBER, Decimal("1E+3"), "1000"),
        (FieldKind.MONEY, "1234.56", "1234.56"),
        (FieldKind.DATE, "2026-03-31", "2026-03-31"),
        (FieldKind.DATE, dt.date(2026, 1, 2), "2026-01-02"),
        (FieldKind.BOOLEAN, "yes", True),
        (FieldKind.BOOLEAN, False, False),
        (FieldKind.CHOICE, "m", "m"),
        (FieldKind.CHOICES, ["l", "s"], ["s", "l"]),
        (FieldKind.CHOICES, "l, s", ["s", "l"]),
        (FieldKind.TEXT, "", None),
        (FieldKind.NUMBER, None, None),
        (FieldKind.CHOICES, [], None),
        (FieldKind.BOOLEAN, "", None),
    ],
)
def test_values_are_stored_as_json_that_reads_back(kind, raw, stored):
    assert coerce(kind, raw, SIZES) == stored


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        (FieldKind.NUMBER, "twelve"),
        (FieldKind.NUMBER, "NaN"),
        (FieldKind.NUMBER, True),
        (FieldKind.MONEY, "1.0000001"),
        (FieldKind.NUMBER, "1" * 20),
        (FieldKind.DATE, "31/13/2026"),
        (FieldKind.BOOLEAN, "maybe"),
        (FieldKind.CHOICE, "xl"),
        (FieldKind.CHOICES, ["s", "xl"]),
        (FieldKind.TEXT, "x" * 1001),
        (FieldKind.TEXT, {"a": 1}),
    ],
)
def test_bad_values_are_refused(kind, raw):
    with pytest.raises(ValidationError):
        coerce(kind, raw, SIZES)


def test_money_is_decimal_never_float():
    assert to_python(FieldKind.MONEY, coerce(FieldKind.MONEY, "0.1", ())) == Decimal("0.1")
    assert coerce(FieldKind.MONEY, 0.1, ()) == "0.1"


def test_fits_tells_which_stored_values_survive_a_change_of_kind():
    assert fits(FieldKind.NUMBER, "12")
    assert not fits(FieldKind.NUMBER, "twelve")
    assert fits(FieldKind.DATE, "2026-01-02")
    assert not fits(FieldKind.CHOICE, "xl", SIZES)
    assert fits(FieldKind.TEXT, "12.5")


def test_csv_cells_read_back_through_coerce():
    for kind, stored in [(FieldKind.BOOLEAN, True), (FieldKind.CHOICES, ["s", "l"])]:
        assert coerce(kind, csv_value(kind, stored), SIZES) == stored


def test_keys_are_identifiers_and_unique():
    assert make_key("Contract end (date)", []) == "contract_end_date"
    assert make_key("Budget", ["budget"]) == "budget_2"
    assert make_key("2nd opinion", []) == "field_2nd_opinion"
    assert make_key("   ", []) == "field"


def test_choice_lines_keep_given_keys_and_make_new_ones():
    choices = parse_choice_lines("s | Tiny\nExtra large\n\n")
    assert choices == [Choice("s", "Tiny"), Choice("extra_large", "Extra large")]
