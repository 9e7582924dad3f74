"""The abstract definition of a custom field; apps make it concrete for their records."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.currencies import validate_currency
from core.custom_fields.kinds import Choice, FieldKind, parse_choices
from core.custom_fields.kinds import display as display_value
from core.custom_fields.kinds import form_field as kind_form_field


class CustomFieldDefinition(models.Model):
    """A typed field admins add to one kind of record.

    ``key`` is fixed when the field is created (records store their values by it), so a
    new label changes nothing stored. An archived field is hidden from forms, lists and
    the API but keeps its values, and its key, should it be restored.
    """

    key = models.SlugField(_("key"), max_length=50)
    label = models.CharField(_("label"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=FieldKind)
    help_text = models.CharField(_("help text"), max_length=300, blank=True)
    # For choice kinds: [{"key": "...", "label": "..."}], in the order forms offer them.
    choices = models.JSONField(_("choices"), default=list, blank=True)
    # For money: the currency its amounts are in.
    currency = models.CharField(
        _("currency"), max_length=3, blank=True, validators=[validate_currency]
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.label

    @property
    def choice_list(self) -> list[Choice]:
        return parse_choices(self.choices)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def record_model(self) -> type[models.Model]:
        """The model whose records hold this field's values."""
        raise NotImplementedError

    def display(self, stored: object) -> str:
        return display_value(self.kind, stored, self.choice_list, self.currency)

    def form_field(self, *, required: bool = False) -> Any:
        return kind_form_field(
            self.kind,
            label=self.label,
            help_text=self.help_text,
            choices=self.choice_list,
            required=required,
        )
