"""Writes for contacts, the people at a company: create, edit and merge.

Shared by the contact pages, the API and CSV import. Who may do what:

- Create a contact: anyone who can see the company it belongs to. The owner is the actor,
  or, for a manager, a member of a team they manage; an admin may give it to anyone.
- Edit or merge: whoever may edit the contact (``Contact.objects.editable_by``).

A record the actor cannot see raises its model's ``DoesNotExist`` (a 404); a visible one
they may not change raises ``PermissionDenied`` (a 403); bad input raises
``ValidationError`` keyed by the field it is about, and nothing is written.

An email is unique per company, case-insensitively (a database constraint). The services
check it first so that the error names the email field; the constraint still decides when
two requests race.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.assignment import apply_owner
from accounts.models import User
from contacts.extensions import run_merge_handlers
from contacts.models import Company, Contact, Lead, RecordKind
from contacts.services.record_values import apply_custom_values
from core.custom_fields.values import filled_from

# A model whose queryset has ``visible_to`` and ``editable_by`` (accounts.visibility).
Owned = TypeVar("Owned", bound=models.Model)

CONTACT_FIELDS = frozenset(
    {
        "company",
        "first_name",
        "last_name",
        "email",
        "phone",
        "job_title",
        "owner",
        "external_id",
        "custom_fields",
    }
)
TEXT_FIELDS = ("first_name", "last_name", "email", "phone", "job_title", "external_id")
EMAIL_TAKEN_MESSAGE = gettext_lazy("This company already has a contact with this email.")
# What a merge copies from the merged contact when the kept one has nothing there.
FILLABLE_FIELDS = ("last_name", "email", "phone", "job_title", "external_id")


def reject_unknown_fields(fields: Mapping[str, object], known: frozenset[str]) -> None:
    unknown = sorted(set(fields) - known)
    if unknown:
        raise ValidationError({name: _("There is no such field.") for name in unknown})


def clean_text_fields(
    record: models.Model, fields: Mapping[str, object], names: tuple[str, ...]
) -> None:
    """Copy the text fields present in ``fields`` onto ``record``, stripped; name any non-text."""
    errors: dict[str, str] = {}
    for name in names:
        if name not in fields:
            continue
        value = fields[name]
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors[name] = _("Enter text.")
            continue
        setattr(record, name, value.strip())
    if errors:
        raise ValidationError(errors)


def finish_merge(
    keep: Company | Contact, merge: Company | Contact, fillable: tuple[str, ...]
) -> None:
    """The last step of merging two records once everything pointing at ``merge`` points at
    ``keep``: ``keep`` takes ``merge``'s ``fillable`` details and custom values where its own
    are blank, and ``merge`` is deleted.

    ``merge`` is deleted before ``keep`` is saved, so a unique email or external id is never
    on both rows at once.
    """
    filled = [name for name in fillable if not getattr(keep, name) and getattr(merge, name)]
    for name in filled:
        setattr(keep, name, getattr(merge, name))
    values = filled_from(keep.custom_fields, merge.custom_fields)
    if values != keep.custom_fields:
        keep.custom_fields = values
        filled.append("custom_fields")
    merge.delete()
    if filled:
        keep.save(update_fields=[*filled, "updated_at"])


def visible_email_twins(user: User, email: str, *, exclude_pk: int | None = None):
    """Visible contacts with this email at any company: the duplicates a user is warned of."""
    email = email.strip()
    if not email:
        return Contact.objects.none()
    twins = Contact.objects.visible_to(user).filter(email__iexact=email).select_related("company")
    if exclude_pk is not None:
        twins = twins.exclude(pk=exclude_pk)
    return twins.order_by("company__name", "pk")


def email_taken(company_id: int, email: str, *, exclude_pk: int | None = None) -> bool:
    """Whether the company has a contact with this email: all its contacts count, seen or not."""
    email = email.strip()
    if not email:
        return False
    taken = Contact.objects.filter(company_id=company_id, email__iexact=email)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    return taken.exists()


def _check_unique(contact: Contact) -> None:
    """The uniqueness rules as field errors, before the database refuses the row."""
    errors: dict[str, str] = {}
    if email_taken(contact.company_id, contact.email, exclude_pk=contact.pk):
        errors["email"] = str(EMAIL_TAKEN_MESSAGE)
    others = Contact.objects.exclude(pk=contact.pk) if contact.pk else Contact.objects.all()
    if contact.external_id and others.filter(external_id=contact.external_id).exists():
        errors["external_id"] = _("Another contact already has this external id.")
    if errors:
        raise ValidationError(errors)


def _validate(contact: Contact) -> None:
    try:
        # Relations are checked against what the actor may see, not merely that they exist.
        contact.full_clean(exclude=["company", "owner"], validate_constraints=False)
    except ValidationError as error:
        raise ValidationError(error.message_dict) from None
    _check_unique(contact)


def save_checked(
    record: Owned,
    check_unique: Callable[[Owned], None],
    *,
    update_fields: list[str] | None = None,
) -> None:
    """Save ``record``; if a unique constraint refuses it, raise ``check_unique``'s field error.

    The services check uniqueness before saving, but another request may save the same email
    or external id in between: the constraint decides, and the error still names the field.
    """
    try:
        with transaction.atomic():
            record.save(update_fields=update_fields)
    except IntegrityError:
        check_unique(record)
        raise


def _save(contact: Contact, *, update_fields: list[str] | None = None) -> None:
    save_checked(contact, _check_unique, update_fields=update_fields)


def _apply(by: User, contact: Contact, fields: Mapping[str, object]) -> list[str]:
    """Check ``fields`` and set them on ``contact``; returns the names that changed."""
    reject_unknown_fields(fields, CONTACT_FIELDS)
    custom_changed = apply_custom_values(RecordKind.CONTACT, contact, fields)
    before = {name: getattr(contact, name) for name in TEXT_FIELDS}
    before.update(company=contact.company_id, owner=contact.owner_id)
    clean_text_fields(contact, fields, TEXT_FIELDS)
    if "company" in fields:
        value = fields["company"]
        pk = value.pk if isinstance(value, Company) else value
        company = (
            Company.objects.visible_to(by).filter(pk=pk).first() if isinstance(pk, int) else None
        )
        if company is None:
            raise ValidationError({"company": _("Choose a company you can see.")})
        contact.company = company
    elif contact.company_id is None:
        raise ValidationError({"company": _("Say which company this person works for.")})
    apply_owner(by, contact, fields)
    _validate(contact)
    after = {name: getattr(contact, name) for name in TEXT_FIELDS}
    after.update(company=contact.company_id, owner=contact.owner_id)
    changed = [name for name in after if after[name] != before[name]]
    return [*changed, "custom_fields"] if custom_changed else changed


@transaction.atomic
def create_contact(*, by: User, fields: Mapping[str, object]) -> Contact:
    """A new contact at a company ``by`` can see, owned by ``by`` unless ``owner`` says else.

    ``fields`` holds model field names; ``company`` and ``owner`` may be instances or
    primary keys.
    """
    contact = Contact(owner=by)
    _apply(by, contact, fields)
    _save(contact)
    return contact


def editable_record(model: type[Owned], by: User, pk: int, *, lock: bool, denied: str) -> Owned:
    """The record if ``by`` may change it: DoesNotExist if they cannot see it (a 404), else
    PermissionDenied with ``denied`` (a 403). ``lock`` holds the row until commit."""
    records = model.objects.visible_to(by)  # type: ignore[attr-defined]
    if lock:
        # Only the record's row: visibility may join the owner, whose row is not changed.
        records = records.select_for_update(of=("self",))
    record = records.get(pk=pk)
    if not model.objects.editable_by(by).filter(pk=record.pk).exists():  # type: ignore[attr-defined]
        raise PermissionDenied(denied)
    return record


def _editable_contact(by: User, contact_id: int, *, lock: bool = False) -> Contact:
    denied = _("Only the contact's owner or their manager may change it.")
    return editable_record(Contact, by, contact_id, lock=lock, denied=denied)


@transaction.atomic
def update_contact(*, by: User, contact_id: int, fields: Mapping[str, object]) -> Contact:
    """Change the given fields of a contact ``by`` may edit; the others stay as they are."""
    contact = _editable_contact(by, contact_id, lock=True)
    changed = _apply(by, contact, fields)
    if changed:
        _save(contact, update_fields=[*changed, "updated_at"])
    return contact


def absorb_contact(keep: Contact, merge: Contact) -> None:
    """Move everything about ``merge`` onto ``keep``, fill ``keep``'s blanks, delete ``merge``.

    Converted leads that became ``merge`` now name ``keep``; the apps above contacts move
    their own rows (deals, touchpoints, tasks) in their merge handlers. The caller has
    checked permissions and holds both rows locked.
    """
    Lead.objects.filter(converted_contact_id=merge.pk).update(
        converted_contact_id=keep.pk, updated_at=timezone.now()
    )
    run_merge_handlers(Contact, merged_id=merge.pk, kept_id=keep.pk)
    finish_merge(keep, merge, FILLABLE_FIELDS)


@transaction.atomic
def merge_contacts(*, by: User, keep_id: int, merge_id: int) -> Contact:
    """Merge the contact ``merge_id`` into ``keep_id``, both of one company and editable by ``by``.

    Deals, touchpoints, tasks and converted leads of the merged contact move to the kept
    one, which also takes the merged contact's details where its own are blank; the merged
    contact is then deleted. All of it or nothing.
    """
    if keep_id == merge_id:
        raise ValidationError({"merge_id": _("Choose another contact to merge.")})
    # Both rows locked in primary-key order, so two merges of the same pair cannot deadlock.
    locked = {pk: _editable_contact(by, pk, lock=True) for pk in sorted((keep_id, merge_id))}
    keep, merge = locked[keep_id], locked[merge_id]
    if keep.company_id != merge.company_id:
        raise ValidationError(
            {"merge_id": _("Only contacts of the same company can be merged; merge the companies.")}
        )
    absorb_contact(keep, merge)
    return keep
