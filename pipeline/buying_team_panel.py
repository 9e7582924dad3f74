"""What the deal panel's buying-team section shows: members, roles, and whom to add.

Every list is one query whatever its length: the members (with contact and role), the
active roles and the contacts offered for adding (only for someone who may change the
deal). ``contact_choices`` is the picker's list: visible contacts not yet on the team, the
deal's company first, narrowed by a search text; the contacts search widget can take its
place as long as it sends the chosen contact's id as ``contact``.
"""

from __future__ import annotations

from functools import cached_property

from django.db.models import Case, IntegerField, Q, Value, When

from accounts.models import User
from contacts.models import Contact
from core.lists import search_q
from pipeline.models import BuyingRole, DealContact, Opportunity
from pipeline.services.claims import may_edit_deal

# The picker offers this many contacts; typing narrows them.
CONTACT_CHOICES = 20


def contact_choices(user: User, deal: Opportunity, search: str = "") -> list[Contact]:
    """Visible contacts who could join the deal's team: its company's first, then by name."""
    terms = " ".join(search.split()[:5])
    contacts = (
        Contact.objects.visible_to(user)
        .exclude(deal_roles__opportunity=deal)
        .filter(search_q(terms, ("first_name", "last_name", "email", "company__name")))
        .select_related("company")
    )
    own_company = Case(
        When(company_id=deal.company_id, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return list(
        contacts.annotate(own_company=own_company).order_by(
            "own_company", "first_name", "last_name", "pk"
        )[:CONTACT_CHOICES]
    )


class BuyingTeamSection:
    """The section's data, read lazily: a view that does not show it pays nothing."""

    def __init__(self, user: User, deal: Opportunity) -> None:
        self.user, self.deal = user, deal

    @cached_property
    def members(self) -> list[DealContact]:
        return list(
            DealContact.objects.visible_to(self.user)
            .filter(opportunity=self.deal)
            .select_related("contact", "contact__company", "role")
            .order_by("-is_primary", "pk")
        )

    @property
    def has_decision_maker(self) -> bool:
        return any(member.role is not None and member.role.decides for member in self.members)

    @cached_property
    def can_change(self) -> bool:
        return may_edit_deal(self.user, self.deal)

    @cached_property
    def roles(self) -> list[BuyingRole]:
        """Active roles, plus retired ones members still have (so their select shows them)."""
        in_use = {member.role_id for member in self.members if member.role_id is not None}
        return list(BuyingRole.objects.filter(Q(is_active=True) | Q(pk__in=in_use)))

    @cached_property
    def contact_choices(self) -> list[Contact]:
        return contact_choices(self.user, self.deal)
