"""A column the file has and the CRM does not: an admin makes it a custom field and maps it.

From the mapping page, in one step: the kind's records get a text custom field named after
the column, the column is mapped to it, and the choices already made on the page are kept.
Text, because any cell fits it; the admin may change the kind later on the custom field
settings page, which checks the imported values fit.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from contacts.services.custom_fields import define_record_field
from core.custom_fields.forms import custom_field_name
from core.custom_fields.kinds import FieldKind
from core.custom_fields.models import CustomFieldDefinition
from core.custom_fields.services import FieldSpec, check_admin
from crm.imports.kinds import CUSTOM_FIELD_PREFIX, CUSTOM_FIELD_RECORDS, fields_of
from crm.imports.models import ImportJob, ImportKind, ImportStatus
from pipeline.services.custom_fields import define_deal_field

LABEL_MAX_LENGTH = 100


def can_add_fields(kind: str) -> bool:
    """Whether the kind's records take custom fields."""
    return kind == ImportKind.DEALS or kind in CUSTOM_FIELD_RECORDS


@transaction.atomic
def add_column_field(
    *, by: User, job_id: int, column: str, mapping: Mapping[str, str]
) -> ImportJob:
    """Define a text field named after ``column`` and map the column to it; admins only.

    ``mapping``: the choices on the page (field -> column), saved with the new one; choices
    naming no field or no column of the file are dropped, and required fields are checked
    when the mapping is submitted, not here. Raises ImportJob.DoesNotExist (not the user's
    import), PermissionDenied (not an admin), ValidationError (keyed "column") when the
    kind has no custom fields, the column is not the file's or already mapped, or a field
    of that name exists.
    """
    check_admin(by)
    job = ImportJob.objects.editable_by(by).select_for_update().get(pk=job_id)
    if job.status not in {ImportStatus.UPLOADED, ImportStatus.PREVIEWED}:
        raise ValidationError(_("This import has already started."))
    if not can_add_fields(job.kind):
        raise ValidationError(
            {"column": _("%(kind)s have no custom fields.") % {"kind": job.get_kind_display()}}
        )
    fields = fields_of(job.kind)
    known = {field.name for field in fields}
    chosen = {
        name: value
        for name, value in mapping.items()
        if name in known and value and value in job.header
    }
    if column not in job.header:
        raise ValidationError(
            {"column": _("The file has no column “%(column)s”.") % {"column": column}}
        )
    if column in chosen.values():
        raise ValidationError(
            {"column": _("The column “%(column)s” is mapped already.") % {"column": column}}
        )
    label = " ".join(column.split())[:LABEL_MAX_LENGTH]
    taken = {
        str(field.label).casefold()
        for field in fields
        if field.name.startswith(CUSTOM_FIELD_PREFIX)
    }
    if label.casefold() in taken:
        raise ValidationError(
            {
                "column": _(
                    "There is a field “%(label)s” already; choose it for the column instead."
                )
                % {"label": label}
            }
        )
    spec = FieldSpec(
        label=label,
        kind=FieldKind.TEXT,
        help_text=_("Added from the import of %(file)s.") % {"file": job.file_name[:200]},
    )
    definition: CustomFieldDefinition
    if job.kind == ImportKind.DEALS:
        definition = define_deal_field(by=by, spec=spec)
    else:
        definition = define_record_field(by=by, record=CUSTOM_FIELD_RECORDS[job.kind], spec=spec)
    chosen[custom_field_name(definition.key)] = column
    job.mapping = chosen
    job.save(update_fields=["mapping"])
    return job
