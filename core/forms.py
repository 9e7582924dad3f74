"""Forms as every page styles them: Bootstrap classes, and fields in error marked.

A service's ``ValidationError`` names fields the way the model does; ``add_service_errors``
puts each message on the form's field of that name, or at the top when the form does not
show it (a rep is not offered the owner field, yet a service may refuse the owner).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on ``form``: on the field it names, if the form has
    it, else for the whole form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def mark_invalid_fields(
    form: forms.Form, *, describe: bool = False, describe_help_text: bool = False
) -> None:
    """Give every field in error Bootstrap's ``is-invalid`` class.

    With ``describe``, the field also points screen readers at its message
    (``<id>_error``) and, with ``describe_help_text``, at its help text
    (``<id>_helptext``); only forms whose templates render those ids ask for them.
    """
    for name in form.errors:
        if name not in form.fields:
            continue
        attrs = form.fields[name].widget.attrs
        css = attrs.get("class", "")
        if "is-invalid" not in css.split():
            attrs["class"] = f"{css} is-invalid".strip()
        if describe:
            described_by = [f"{form[name].auto_id}_error"]
            if describe_help_text and form.fields[name].help_text:
                described_by.append(f"{form[name].auto_id}_helptext")
            attrs["aria-describedby"] = " ".join(described_by)


class StyledForm(forms.Form):
    """Bootstrap classes on every widget; a field in error is marked ``is-invalid``.

    ``compact`` gives the small controls of side panels. ``describes_errors`` and
    ``describes_help_text`` point a field in error at its message (``<id>_error``) and help
    text (``<id>_helptext``) for screen readers: only forms whose templates render those
    ids say so. A class set on a widget where the field is declared is kept.
    """

    compact: ClassVar[bool] = False
    describes_errors: ClassVar[bool] = True
    describes_help_text: ClassVar[bool] = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style_fields()

    def style_fields(self) -> None:
        """Give every widget its Bootstrap class; call again after adding fields."""
        size = " form-select-sm" if self.compact else ""
        control_size = " form-control-sm" if self.compact else ""
        for field in self.fields.values():
            widget = field.widget
            if isinstance(
                widget, forms.CheckboxInput | forms.RadioSelect | forms.CheckboxSelectMultiple
            ):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", f"form-select{size}")
            elif not widget.is_hidden:
                widget.attrs.setdefault("class", f"form-control{control_size}")

    def add_error(self, field: str | None, error: Any) -> None:
        # Every error passes here: the form's own validation and the services' (added later).
        super().add_error(field, error)
        mark_invalid_fields(
            self, describe=self.describes_errors, describe_help_text=self.describes_help_text
        )

    def add_service_error(self, error: ValidationError) -> None:
        add_service_errors(self, error)
