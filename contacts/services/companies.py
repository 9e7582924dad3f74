"""Writes for companies: create, edit and merge, with duplicate detection by domain.

Shared by the company pages, the API and CSV import; the permission rules and errors are
those of ``contacts.services.people``. A company's domain is stored normalised (lower
case, no scheme, ``www.``, port or path): it is how one company is recognised twice. A new
domain that a company the actor can see already has raises ``DuplicateCompanyDomain``
unless the caller says to create it anyway; the page offers "open existing" and "create
anyway", the API answers with the field error.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.core.validators import DomainNameValidator
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.assignment import apply_owner
from accounts.models import User
from contacts.extensions import run_merge_handlers
from contacts.models import Company, Contact, Lead, RecordKind
from contacts.services.duplicates import hold_duplicate_keys, normalise_domain
from contacts.services.people import (
    absorb_contact,
    clean_text_fields,
    editable_record,
    finish_merge,
    reject_unknown_fields,
    save_checked,
)
from contacts.services.record_values import apply_custom_values
from core.countries import normalise_country

COMPANY_FIELDS = frozenset(
    {"name", "domain", "industry", "country", "region", "owner", "external_id", "custom_fields"}
)
TEXT_FIELDS = ("name", "domain", "industry", "country", "region", "external_id")
FILLABLE_FIELDS = ("domain", "industry", "country", "region", "external_id")
_valid_domain = DomainNameValidator()


class DuplicateCompanyDomain(ValidationError):
    """A company the actor can see already has this domain; ``duplicates`` lists them."""

    def __init__(self, duplicates: list[Company]) -> None:
        super().__init__(
            {"domain": _("A company with this domain already exists.")}, code="duplicate"
        )
        self.duplicates = duplicates


def visible_domain_twins(
    user: User, domain: str, *, exclude_pk: int | None = None
) -> QuerySet[Company]:
    """Companies ``user`` can see whose domain is ``domain`` once normalised."""
    domain = normalise_domain(domain)
    if not domain:
        return Company.objects.none()
    twins = Company.objects.visible_to(user).filter(domain=domain).select_related("owner")
    if exclude_pk is not None:
        twins = twins.exclude(pk=exclude_pk)
    return twins.order_by("name", "pk")


def _check_unique(company: Company) -> None:
    others = Company.objects.exclude(pk=company.pk) if company.pk else Company.objects.all()
    if company.external_id and others.filter(external_id=company.external_id).exists():
        raise ValidationError({"external_id": _("Another company already has this external id.")})


def _save(company: Company, *, update_fields: list[str] | None = None) -> None:
    save_checked(company, _check_unique, update_fields=update_fields)


def _apply(
    by: User, company: Company, fields: Mapping[str, object], *, allow_duplicate_domain: bool
) -> list[str]:
    """Check ``fields`` and set them on ``company``; returns the names that changed."""
    reject_unknown_fields(fields, COMPANY_FIELDS)
    custom_changed = apply_custom_values(RecordKind.COMPANY, company, fields)
    before = {name: getattr(company, name) for name in TEXT_FIELDS}
    before["owner"] = company.owner_id
    clean_text_fields(company, fields, TEXT_FIELDS)
    errors: dict[str, str] = {}
    if "domain" in fields and company.domain:
        company.domain = normalise_domain(company.domain)
        try:
            _valid_domain(company.domain)
        except ValidationError:
            errors["domain"] = _("Enter a domain such as example.com.")
    company.country = normalise_country(company.country)
    if errors:
        raise ValidationError(errors)
    apply_owner(by, company, fields)
    try:
        company.full_clean(exclude=["owner"], validate_constraints=False)
    except ValidationError as error:
        raise ValidationError(error.message_dict) from None
    _check_unique(company)
    domain_changed = company.domain != before["domain"]
    if company.domain and domain_changed and not allow_duplicate_domain:
        # Serialise writers of one domain until commit, so that two people adding the same
        # company at once cannot both find no duplicate.
        hold_duplicate_keys([f"company-domain:{company.domain}"])
        duplicates = list(visible_domain_twins(by, company.domain, exclude_pk=company.pk))
        if duplicates:
            raise DuplicateCompanyDomain(duplicates)
    after = {name: getattr(company, name) for name in TEXT_FIELDS}
    after["owner"] = company.owner_id
    changed = [name for name in after if after[name] != before[name]]
    return [*changed, "custom_fields"] if custom_changed else changed


@transaction.atomic
def create_company(
    *, by: User, fields: Mapping[str, object], allow_duplicate_domain: bool = False
) -> Company:
    """A new company owned by ``by`` unless ``owner`` says else.

    Raises ``DuplicateCompanyDomain`` when a visible company has the domain already, unless
    ``allow_duplicate_domain`` (the user looked at the duplicates and chose to go on).
    """
    company = Company(owner=by)
    _apply(by, company, fields, allow_duplicate_domain=allow_duplicate_domain)
    _save(company)
    return company


def _editable_company(by: User, company_id: int, *, lock: bool = False) -> Company:
    denied = _("Only the company's owner or their manager may change it.")
    return editable_record(Company, by, company_id, lock=lock, denied=denied)


@transaction.atomic
def update_company(
    *,
    by: User,
    company_id: int,
    fields: Mapping[str, object],
    allow_duplicate_domain: bool = False,
) -> Company:
    """Change the given fields of a company ``by`` may edit; the others stay as they are."""
    company = _editable_company(by, company_id, lock=True)
    changed = _apply(by, company, fields, allow_duplicate_domain=allow_duplicate_domain)
    if changed:
        _save(company, update_fields=[*changed, "updated_at"])
    return company


@transaction.atomic
def merge_companies(*, by: User, keep_id: int, merge_id: int) -> Company:
    """Merge the company ``merge_id`` into ``keep_id``, both editable by ``by``.

    The merged company's contacts, deals and converted leads move to the kept company. A
    moved contact whose email the kept company already has is merged into that contact (its
    deals, touchpoints and tasks follow), since a company holds one contact per email. The
    kept company takes the merged one's details where its own are blank; the merged company
    is then deleted. All of it or nothing.
    """
    if keep_id == merge_id:
        raise ValidationError({"merge_id": _("Choose another company to merge.")})
    # Companies, then their contacts, locked in primary-key order: no deadlock between merges.
    locked = {pk: _editable_company(by, pk, lock=True) for pk in sorted((keep_id, merge_id))}
    keep, merge = locked[keep_id], locked[merge_id]
    people = list(
        Contact.objects.select_for_update().filter(company__in=[keep.pk, merge.pk]).order_by("pk")
    )
    kept_by_email = {
        person.email.lower(): person for person in people if person.company_id == keep.pk
    }
    for person in people:
        twin = kept_by_email.get(person.email.lower()) if person.email else None
        if person.company_id == merge.pk and twin is not None:
            absorb_contact(twin, person)
    # The remaining contacts and converted leads, one UPDATE each; the apps above contacts
    # move their own rows (pipeline the deals) in their merge handlers.
    now = timezone.now()
    Contact.objects.filter(company_id=merge.pk).update(company_id=keep.pk, updated_at=now)
    Lead.objects.filter(converted_company_id=merge.pk).update(
        converted_company_id=keep.pk, updated_at=now
    )
    run_merge_handlers(Company, merged_id=merge.pk, kept_id=keep.pk)
    finish_merge(keep, merge, FILLABLE_FIELDS)
    return keep
