"""A new deal with, if need be, a new company and a new contact: the create form's write.

Line items, if any, go on the new deal in the same transaction (``add_line_items``).

The company and contact pickers (``contacts/pickers.py``) may name records that do not exist
yet. They are created here with the contacts services, so their rules and duplicate checks
apply (a new company's domain that a visible company has, a new contact's email its company
has), and in the deal's transaction: a deal refused leaves no company or contact behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from contacts.models import Company, Contact
from contacts.pickers import split_name
from contacts.services.companies import DuplicateCompanyDomain, create_company
from contacts.services.people import create_contact
from pipeline.models import Opportunity
from pipeline.services.line_items import LineItemInput, add_line_items
from pipeline.services.opportunities import create_opportunity

# The new records' errors, under the create form's field names.
_COMPANY_FIELDS = {"domain": "company_domain"}
_CONTACT_FIELDS = {"email": "contact_email", "company": "company"}


@dataclass(frozen=True)
class NewCompany:
    name: str
    domain: str = ""


@dataclass(frozen=True)
class NewContact:
    name: str  # "First Last"
    email: str = ""


def _renamed(error: ValidationError, names: dict[str, str], default: str) -> ValidationError:
    if not hasattr(error, "error_dict"):
        return ValidationError({default: error.messages})
    return ValidationError(
        {names.get(name, default): messages for name, messages in error.message_dict.items()}
    )


def _new_company(by: User, new: NewCompany) -> Company:
    try:
        return create_company(by=by, fields={"name": new.name, "domain": new.domain})
    except DuplicateCompanyDomain as duplicate:
        names = ", ".join(company.name for company in duplicate.duplicates)
        message = _("%(companies)s already has this domain: pick it instead.") % {
            "companies": names
        }
        raise ValidationError({"company_domain": message}) from None
    except ValidationError as error:
        raise _renamed(error, _COMPANY_FIELDS, "company") from None


def _new_contact(by: User, new: NewContact, company: Company | None) -> Contact:
    first_name, last_name = split_name(new.name)
    fields: dict[str, object] = {
        "first_name": first_name,
        "last_name": last_name,
        "email": new.email,
    }
    if company is not None:
        fields["company"] = company
    try:
        return create_contact(by=by, fields=fields)
    except ValidationError as error:
        raise _renamed(error, _CONTACT_FIELDS, "contact") from None


@transaction.atomic
def create_opportunity_with_new_records(
    *,
    by: User,
    new_company: NewCompany | None = None,
    new_contact: NewContact | None = None,
    line_items: Sequence[LineItemInput] = (),
    **deal: Any,
) -> Opportunity:
    """``create_opportunity(by=by, **deal)``, after creating ``new_company`` (the deal's
    company) and ``new_contact`` (its contact, at the deal's company), owned by ``by``.

    Errors name the create form's fields: ``company`` and ``company_domain`` for the new
    company, ``contact`` and ``contact_email`` for the new contact, then whatever
    ``create_opportunity`` names, then ``line_items.<n>.<field>`` (``line_items.<field>``
    for one) for ``line_items``, put on the new deal by ``add_line_items``: its value is then
    their sum. Nothing is written on any refusal.
    """
    if new_company is not None:
        deal["company"] = _new_company(by, new_company)
    if new_contact is not None:
        deal["contact"] = _new_contact(by, new_contact, deal.get("company"))
    opportunity = create_opportunity(by=by, **deal)
    if line_items:
        add_line_items(
            by=by,
            opportunity_id=opportunity.pk,
            version=None,
            items=line_items,
            prefix="line_items.",
        )
        opportunity.refresh_from_db()
    return opportunity
