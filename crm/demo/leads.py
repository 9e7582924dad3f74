"""Leads, the qualification criteria they are scored on, and the site's lead policy.

Every lead is internally consistent: its contact attempts are its touchpoints, its score is
the weight of the criteria it meets, and its status agrees with both.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from contacts.models import (
    AssignmentRule,
    Lead,
    LeadPolicy,
    LeadSource,
    LeadStatus,
    QualificationAnswer,
    QualificationCriterion,
)
from core.bulk_insert import reserve_ids
from crm.demo import activity
from crm.demo.clock import DAY, Clock, office_moment
from crm.demo.companies import (
    CompanyRef,
    ContactRef,
    company_name,
    email_at,
    person_name,
    phone_number,
    pick_country,
)
from crm.demo.names import JOB_TITLES
from crm.demo.people import People
from pipeline.models import TouchpointKind

QUALIFYING_SCORE = 60
CRITERIA = (
    (_("Budget: is money set aside for this purchase?"), _("Ask for the budget range."), 30),
    (_("Authority: are we talking to the person who decides?"), "", 25),
    (_("Need: does the problem we solve hurt today?"), _("Ask what it costs them now."), 25),
    (_("Timeline: do they plan to buy within six months?"), "", 20),
)
DISQUALIFIED_REASONS = (
    _("No budget this year"),
    _("Not a decision maker"),
    _("No need for our product"),
    _("Unreachable after repeated attempts"),
    _("Locked into a competitor's contract"),
    _("Company too small for our offer"),
)
FIRST_CALL = _("First call")
FOLLOW_UP = _("Follow up with %(name)s")
STATUS_WEIGHTS = {
    LeadStatus.NEW: 20,
    LeadStatus.CONTACTED: 30,
    LeadStatus.QUALIFIED: 15,
    LeadStatus.DISQUALIFIED: 20,
    LeadStatus.CONVERTED: 15,
}
# Days before the anchor a lead of each status was created, earliest and latest. Older
# statuses start earlier so that their touchpoints (a few days apart) all lie in the past.
CREATED_DAYS = {
    LeadStatus.NEW: (-30, -1),
    LeadStatus.CONTACTED: (-90, -20),
    LeadStatus.QUALIFIED: (-120, -25),
    LeadStatus.DISQUALIFIED: (-530, -20),
    LeadStatus.CONVERTED: (-530, -30),
}
SOURCE_WEIGHTS = {
    LeadSource.WEB: 30,
    LeadSource.OUTBOUND: 20,
    LeadSource.REFERRAL: 15,
    LeadSource.EVENT: 15,
    LeadSource.PARTNER: 10,
    LeadSource.IMPORT: 5,
    LeadSource.OTHER: 5,
}
_SOURCES = list(SOURCE_WEIGHTS)
_SOURCE_WEIGHTS = list(SOURCE_WEIGHTS.values())


@dataclass(frozen=True)
class ConvertedLead:
    """A converted lead, for the deal that its conversion opened."""

    lead: Lead
    company: CompanyRef
    contact: ContactRef
    # The day the deal was opened: after the conversion, in days from the anchor.
    deal_day: int


def create_qualification_setup() -> list[QualificationCriterion]:
    LeadPolicy.objects.update_or_create(
        pk=1,
        defaults={
            "qualification_threshold": QUALIFYING_SCORE,
            "max_contact_attempts": 5,
            "days_before_disqualification": 14,
            "assignment_rule": AssignmentRule.ROUND_ROBIN,
        },
    )
    return QualificationCriterion.objects.bulk_create(
        [
            QualificationCriterion(
                question=str(question), help_text=str(guidance), weight=weight, position=position
            )
            for position, (question, guidance, weight) in enumerate(CRITERIA)
        ]
    )


def _answers(rng: random.Random, status: str, count: int) -> list[bool]:
    """Which criteria (by position) the lead meets; only the answered ones are listed.

    The score they give agrees with the status: only qualified and converted leads reach
    the qualifying score.
    """
    weights = [weight for _question, _guidance, weight in CRITERIA]
    if status in (LeadStatus.QUALIFIED, LeadStatus.CONVERTED):
        answered, chance, qualifies = count, 0.8, True
    elif status == LeadStatus.DISQUALIFIED and rng.random() < 0.5:
        answered, chance, qualifies = count, 0.3, False
    elif status == LeadStatus.CONTACTED and rng.random() < 0.4:
        answered, chance, qualifies = rng.randint(1, count - 1), 0.6, False
    else:
        return []
    while True:
        met = [rng.random() < chance for _index in range(answered)]
        score = sum(weight for weight, yes in zip(weights, met, strict=False) if yes)
        if (score >= QUALIFYING_SCORE) == qualifies:
            return met


class _LeadBuilder:
    """Builds one lead with its touchpoints, answers and tasks, ready to bulk-create."""

    def __init__(
        self,
        rng: random.Random,
        clock: Clock,
        people: People,
        companies: list[CompanyRef],
        criteria: list[QualificationCriterion],
    ) -> None:
        self.rng, self.clock, self.people = rng, clock, people
        self.companies, self.criteria = companies, criteria
        self.with_contacts = [company for company in companies if company.contacts]
        self.domains: set[str] = set()
        self.emails: set[str] = set()
        self.log = activity.Activity(rng, clock)
        self.first_call, self.follow_up = str(FIRST_CALL), str(FOLLOW_UP)
        self.touchpoints: list[tuple] = []
        self.answers: list[QualificationAnswer] = []
        self.tasks: list[tuple] = []

    def build(self, pk: int, status: str) -> tuple[Lead, ConvertedLead | None]:
        rng = self.rng
        lead = Lead(pk=pk, status=status, source=rng.choices(_SOURCES, _SOURCE_WEIGHTS)[0])
        if status == LeadStatus.CONVERTED and not self.with_contacts:
            lead.status = status = LeadStatus.QUALIFIED  # nothing to convert into
        company: CompanyRef | None = None
        if status == LeadStatus.CONVERTED:
            company = rng.choice(self.with_contacts)
            contact = rng.choice(company.contacts)
            self._describe_existing(lead, company, contact)
        else:
            self._describe_prospect(lead, status)
        offset = self.people.utc_offsets.get(lead.owner_id, 0)
        day = rng.randint(*CREATED_DAYS[LeadStatus(status)])
        created = office_moment(rng, day, offset)
        lead.created_at = self.clock.moment(created)
        last = self._touch(lead, status, day, offset) or created
        self._score(lead, status)
        if status == LeadStatus.DISQUALIFIED:
            lead.disqualified_reason = str(rng.choice(DISQUALIFIED_REASONS))
        self._plan_tasks(lead, status, created, last, offset)
        if company is None:
            return lead, None
        converted_day = (last // DAY) + rng.randint(1, 3)
        lead.converted_at = self.clock.moment(office_moment(rng, converted_day, offset))
        lead.converted_company_id = company.pk
        lead.converted_contact_id = contact.pk
        return lead, ConvertedLead(lead, company, contact, converted_day + 1)

    def _describe_existing(self, lead: Lead, company: CompanyRef, contact: ContactRef) -> None:
        lead.first_name, lead.last_name, lead.email = (
            contact.first_name,
            contact.last_name,
            contact.email,
        )
        lead.company_name, lead.company_domain = company.name, company.domain
        lead.country, lead.region = company.country.code, self.rng.choice(company.country.regions)
        lead.phone = phone_number(self.rng, company.country)
        lead.job_title = self.rng.choice(JOB_TITLES)
        lead.owner_id = company.owner_id

    def _describe_prospect(self, lead: Lead, status: str) -> None:
        rng = self.rng
        country = pick_country(rng)
        names = company_name(rng, country, self.domains)
        lead.first_name, lead.last_name = person_name(rng, country.locale)
        lead.email = email_at(lead.first_name, lead.last_name, names.domain, self.emails)
        lead.phone = phone_number(rng, country)
        lead.company_name, lead.company_domain = names.name, names.domain
        lead.job_title = rng.choice(JOB_TITLES)
        lead.country, lead.region = country.code, rng.choice(country.regions)
        if status == LeadStatus.NEW and rng.random() < 0.3:
            lead.owner_id = None  # waits in the managers' queue for assignment
        else:
            lead.owner_id = self.people.pick_seller(rng, country.team).pk

    def _touch(self, lead: Lead, status: str, day: int, offset: int) -> int | None:
        """Log the lead's contact attempts, a few days apart; return the last one's moment."""
        rng = self.rng
        attempts = 0 if status == LeadStatus.NEW else rng.randint(1, 5)
        moments = []
        for _attempt in range(attempts):
            day += rng.randint(1, 3)
            moments.append(office_moment(rng, day, offset))
        for number, moment in enumerate(moments):
            # Nobody meets a lead before reaching them: attempts open with a call or an email.
            kind = rng.choice((TouchpointKind.CALL, TouchpointKind.EMAIL))
            if number and rng.random() < 0.2:
                kind = TouchpointKind.MEETING
            self.touchpoints.append(
                self.log.touchpoint(
                    at=moment, by_id=lead.owner_id, kind=kind, subject=activity.about_lead(lead.pk)
                )
            )
        lead.contact_attempts = attempts
        if moments:
            lead.first_touch_at = self.clock.moment(moments[0])
            lead.last_touch_at = self.clock.moment(moments[-1])
            return moments[-1]
        return None

    def _score(self, lead: Lead, status: str) -> None:
        met = _answers(self.rng, status, len(self.criteria))
        lead.score = sum(c.weight for c, yes in zip(self.criteria, met, strict=False) if yes)
        self.answers.extend(
            QualificationAnswer(lead=lead, criterion=c, is_met=yes, answered_by_id=lead.owner_id)
            for c, yes in zip(self.criteria, met, strict=False)
        )

    def _plan_tasks(self, lead: Lead, status: str, created: int, last: int, offset: int) -> None:
        rng = self.rng
        if lead.owner_id is None:
            return
        if status in (LeadStatus.DISQUALIFIED, LeadStatus.CONVERTED):
            if rng.random() < 0.5:
                self.tasks.append(
                    self.log.done_task(
                        earliest=created,
                        latest=last,
                        assignee_id=lead.owner_id,
                        subject=activity.about_lead(lead.pk),
                    )
                )
            return
        chance, due_days = {
            LeadStatus.NEW: (0.4, (-3, 3)),
            LeadStatus.CONTACTED: (0.5, (-10, 10)),
            LeadStatus.QUALIFIED: (0.6, (-5, 14)),
        }[LeadStatus(status)]
        if rng.random() < chance:
            title = self.first_call if status == LeadStatus.NEW else self.follow_up
            due = office_moment(rng, rng.randint(*due_days), offset)
            self.tasks.append(
                self.log.open_task(
                    earliest=max(created, last),
                    due=max(due, created + DAY),
                    assignee_id=lead.owner_id,
                    title=title % {"name": lead.first_name},
                    subject=activity.about_lead(lead.pk),
                )
            )


def create_leads(
    rng: random.Random,
    clock: Clock,
    people: People,
    companies: list[CompanyRef],
    criteria: list[QualificationCriterion],
    *,
    count: int,
) -> list[ConvertedLead]:
    """Create ``count`` leads with their activity; return the converted ones."""
    builder = _LeadBuilder(rng, clock, people, companies, criteria)
    statuses, weights = zip(*STATUS_WEIGHTS.items(), strict=True)
    # Ids first, so that touchpoints and tasks can name their lead while it is being built.
    built = [
        builder.build(pk, rng.choices(statuses, weights)[0]) for pk in reserve_ids(Lead, count)
    ]
    Lead.objects.bulk_create([lead for lead, _converted in built])
    activity.touchpoint_writer().write(builder.touchpoints)
    QualificationAnswer.objects.bulk_create(builder.answers)
    activity.task_writer().write(builder.tasks)
    return [conversion for _lead, conversion in built if conversion is not None]
