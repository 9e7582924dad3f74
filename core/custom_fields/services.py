"""The writes every app's custom-field definitions share: define, change, reorder, archive.

Each takes the ``scope``: the definitions sharing keys and an order with this one (all deal
fields; the company fields, the contact fields...). Callers check who may do it and run
these in their transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.currencies import validate_currency
from core.custom_fields.definitions import check_change, check_choices, make_key
from core.custom_fields.kinds import Choice, FieldKind
from core.custom_fields.models import CustomFieldDefinition

Definition = TypeVar("Definition", bound=CustomFieldDefinition)


@dataclass(frozen=True)
class FieldSpec:
    """What an admin says about a field; the key is not among it (it never changes)."""

    label: str
    kind: str
    help_text: str = ""
    choices: Sequence[Choice] = field(default_factory=tuple)
    currency: str = ""


def apply_spec(definition: CustomFieldDefinition, spec: FieldSpec) -> None:
    """Check ``spec`` and set it on the in-memory ``definition``; ValidationError by field.

    A change of kind, or a removed choice, is refused while stored values would not fit.
    """
    errors: dict[str, str] = {}
    label = " ".join(spec.label.split())
    if not label:
        errors["label"] = _("Give the field a label.")
    elif len(label) > 100:
        errors["label"] = _("Keep the label under 100 characters.")
    if spec.kind not in FieldKind.values:
        errors["kind"] = _("Choose a kind of field.")
    currency = spec.currency.strip().upper()
    if spec.kind == FieldKind.MONEY:
        try:
            validate_currency(currency)
        except ValidationError:
            errors["currency"] = _("Give the currency as a three-letter ISO code.")
    else:
        currency = ""
    stored_choices: list[dict[str, str]] = []
    try:
        stored_choices = check_choices(spec.kind, spec.choices)
    except ValidationError as error:
        errors.update({name: messages[0] for name, messages in error.message_dict.items()})
    if len(spec.help_text) > 300:
        errors["help_text"] = _("Keep the help text under 300 characters.")
    if not errors:
        try:
            check_change(definition, kind=spec.kind, choices=spec.choices)
        except ValidationError as error:
            errors.update({name: messages[0] for name, messages in error.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    definition.label, definition.kind = label, spec.kind
    definition.help_text = spec.help_text.strip()
    definition.choices, definition.currency = stored_choices, currency


def save_new(definition: Definition, scope: QuerySet[Definition]) -> Definition:
    """Give a new definition its key (from its label, unique in ``scope``) and the last place.

    Precondition: ``scope`` is locked against a concurrent define (the caller's advisory or
    row lock); the unique constraint on the key is the last word either way.
    """
    definition.key = make_key(definition.label, scope.values_list("key", flat=True))
    last = scope.aggregate(last=Max("position"))["last"]
    definition.position = 0 if last is None else last + 1
    definition.save()
    return definition


def reorder(scope: QuerySet[Definition], keys: Sequence[str]) -> None:
    """Put ``scope``'s fields in the order of ``keys``; every key of the scope, once."""
    current = {definition.key: definition for definition in scope}
    if sorted(keys) != sorted(current):
        raise ValidationError({"order": _("Give every field once, in the new order.")})
    changed = []
    for position, key in enumerate(keys):
        definition = current[key]
        if definition.position != position:
            definition.position = position
            changed.append(definition)
    if changed:
        type(changed[0]).objects.bulk_update(changed, ["position"])  # type: ignore[attr-defined]


def set_archived(definition: CustomFieldDefinition, *, archived: bool) -> None:
    """Archive (hide, keeping values) or restore a field."""
    if archived == definition.is_archived:
        return
    definition.archived_at = timezone.now() if archived else None
    definition.save(update_fields=["archived_at"])


def check_admin(by: object) -> None:
    """Only admins define fields (the user model says who is one: ``is_admin``)."""
    if not getattr(by, "is_admin", False):
        raise PermissionDenied(_("Only admins may change custom fields."))
