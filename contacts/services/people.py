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

from collections.abc import Mapping
from typing import cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Team, User
from contacts.models import Company, Contact

CONTACT_FIELDS = frozenset(
    {"company", "first_name", "last_name", "email", "phone", "job_title", "owner", "external_id"}
)
TEXT_FIELDS = ("first_name", "last_name", "email", "phone", "job_title", "external_id")
EMAIL_TAKEN_MESSAGE = gettext_lazy("This company already has a contact with this email.")
# What a merge copies from the merged contact when the kept one has nothing there.
FILLABLE_FIELDS = ("last_name", "email", "phone", "job_title", "external_id")


def assignable_owners(by: User) -> QuerySet[User]:
    """Active users ``by`` may give a company or contact to: themselves, their teams, anyone."""
    users = User.objects.filter(is_active=True)
    if by.is_admin:
        return users
    if by.is_manager:
        managed = Team.objects.filter(manager=by).values("pk")
        return users.filter(pk=by.pk) | users.filter(team__in=managed)
    return users.filter(pk=by.pk)


def check_owner(by: User, value: object) -> User:
    """The user named by ``value`` (a User or a primary key), if ``by`` may give records to them."""
    pk = value.pk if isinstance(value, User) else value
    owner = assignable_owners(by).filter(pk=pk).first() if isinstance(pk, int) else None
    if owner is None:
        raise ValidationError({"owner": _("Choose yourself or a member of a team you manage.")})
    return owner


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


def repoint_references(model: type[models.Model], *, from_pk: int, to_pk: int) -> None:
    """Point every row that refers to ``from_pk`` of ``model`` at ``to_pk`` instead.

    Found through the model's reverse relations, so rows of apps that build on contacts (deals,
    touchpoints and tasks in pipeline) move without contacts importing those apps, and a
    relation added later moves too. One UPDATE per relation, whatever the number of rows;
    rows with an ``updated_at`` get a new one, which is what open boards poll for.
    """
    now = timezone.now()
    for relation in model._meta.get_fields(include_hidden=True):
        if not (relation.auto_created and not relation.concrete and relation.one_to_many):
            continue
        related_model = cast(type[models.Model], relation.related_model)
        field_name = relation.field.name  # type: ignore[union-attr]
        changes: dict[str, object] = {field_name: to_pk}
        if any(field.name == "updated_at" for field in related_model._meta.concrete_fields):
            changes["updated_at"] = now
        related_model._base_manager.filter(**{field_name: from_pk}).update(**changes)


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


def _save(contact: Contact, *, update_fields: list[str] | None = None) -> None:
    try:
        with transaction.atomic():
            contact.save(update_fields=update_fields)
    except IntegrityError:
        # Another request saved the same email or external id after our check: say which.
        _check_unique(contact)
        raise


def _apply(by: User, contact: Contact, fields: Mapping[str, object]) -> list[str]:
    """Check ``fields`` and set them on ``contact``; returns the names that changed."""
    reject_unknown_fields(fields, CONTACT_FIELDS)
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
    if "owner" in fields:
        owner = fields["owner"]
        if (owner.pk if isinstance(owner, User) else owner) != contact.owner_id:
            contact.owner = check_owner(by, owner)
    _validate(contact)
    after = {name: getattr(contact, name) for name in TEXT_FIELDS}
    after.update(company=contact.company_id, owner=contact.owner_id)
    return [name for name in after if after[name] != before[name]]


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


def _editable_contact(by: User, contact_id: int, *, lock: bool = False) -> Contact:
    contacts = Contact.objects.visible_to(by)
    if lock:
        contacts = contacts.select_for_update(of=("self",))
    contact = contacts.get(pk=contact_id)
    if not Contact.objects.editable_by(by).filter(pk=contact.pk).exists():
        raise PermissionDenied(_("Only the contact's owner or their manager may change it."))
    return contact


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

    The caller has checked permissions and holds both rows locked. ``merge`` is deleted
    before ``keep`` takes its email or external id, so the unique constraints never see both.
    """
    repoint_references(Contact, from_pk=merge.pk, to_pk=keep.pk)
    filled = [name for name in FILLABLE_FIELDS if not getattr(keep, name) and getattr(merge, name)]
    for name in filled:
        setattr(keep, name, getattr(merge, name))
    merge.delete()
    if filled:
        keep.save(update_fields=[*filled, "updated_at"])


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
