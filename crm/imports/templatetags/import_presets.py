"""``{{ job.preset|preset_label }}``: the name of the vendor export an upload was recognised as."""

from __future__ import annotations

from django import template

from crm.imports.presets import preset_named

register = template.Library()


@register.filter
def preset_label(name: str) -> str:
    preset = preset_named(name) if name else None
    # A preset file removed since the upload still leaves its name to show.
    return preset.label if preset else name
