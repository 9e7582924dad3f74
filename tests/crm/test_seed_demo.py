"""seed_demo: the demo data is complete, internally consistent and reproducible."""

import datetime as dt
import itertools
from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Max, Min, Sum

from accounts.models import Role, Team, User
from contacts.models import (
    Company,
    Contact,
    Lead,
    LeadPolicy,
    LeadStatus,
    QualificationAnswer,
    QualificationCriterion,
    RecordField,
    RecordKind,
)
from core.custom_fields.kinds import fits
from crm.demo.people import DEMO_PASSWORD, ROSTER
from forecasting.models import PipelineSnapshot, Quota
from pipeline.models import (
    POSITION_GAP,
    BuyingRole,
    DealContact,
    DealField,
    LineItem,
    Opportunity,
    OpportunityStatus,
    Pipeline,
    Product,
    ProductPrice,
    StageChange,
    StageKind,
    Task,
    Touchpoint,
)
from tests.factories import UserFactory

TODAY = "2025-06-15"
ANCHOR = dt.datetime(2025, 6, 15, tzinfo=dt.UTC)
HISTORY_START = ANCHOR - dt.timedelta(days=548)
DEALS = 200


def seed(**options) -> str:
    """Seed as on a throwaway database: tests run with DEBUG off, as production does."""
    out = StringIO()
    options.setdefault("allow_published_passwords", True)
    call_command("seed_demo", deals=DEALS, today=TODAY, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def output(db) -> str:
    return seed(seed=7)


def fingerprint() -> list[tuple]:
    deals = Opportunity.objects.order_by("pk").annotate(moves=Count("stage_changes"))
    leads = Lead.objects.order_by("pk")
    return [
        *deals.values_list(
            "title",
            "value",
            "currency",
            "stage__name",
            "owner__username",
            "status",
            "stage_entered_at",
            "moves",
        ),
        *leads.values_list("last_name", "company_name", "status", "score", "contact_attempts"),
        *deals.values_list("custom_fields", flat=True),
        *LineItem.objects.order_by("pk").values_list(
            "opportunity__title", "product__code", "quantity", "unit_price", "discount"
        ),
        *DealContact.objects.order_by("pk").values_list(
            "opportunity__title", "contact__email", "role__name", "is_primary"
        ),
        *Company.objects.order_by("pk").values_list("custom_fields", flat=True),
        (Touchpoint.objects.count(), Task.objects.count()),
    ]


def test_seed_creates_the_documented_people_pipelines_and_records(output):
    assert User.objects.count() == 16
    admin = User.objects.get(username="admin")
    assert admin.role == Role.ADMIN
    assert admin.is_staff
    assert Team.objects.count() == 3
    for team in Team.objects.all():
        assert team.manager.role == Role.MANAGER
        assert team.manager.team == team
        assert team.members.filter(role=Role.REP).count() == 4
    assert {user.time_zone for user in User.objects.all()} == {
        "UTC",
        "Europe/Berlin",
        "Europe/Rome",
        "Asia/Jakarta",
    }

    stages = {
        pipeline.name: [(s.name, s.kind, s.probability) for s in pipeline.stages.all()]
        for pipeline in Pipeline.objects.prefetch_related("stages")
    }
    assert stages == {
        "New business": [
            ("Contact", StageKind.OPEN, 10),
            ("Qualification", StageKind.OPEN, 20),
            ("Needs analysis", StageKind.OPEN, 40),
            ("Offer", StageKind.OPEN, 60),
            ("Negotiation", StageKind.OPEN, 80),
            ("Won", StageKind.WON, 100),
            ("Lost", StageKind.LOST, 0),
        ],
        "Renewals": [
            ("Upcoming", StageKind.OPEN, 70),
            ("In discussion", StageKind.OPEN, 85),
            ("Renewed", StageKind.WON, 100),
            ("Churned", StageKind.LOST, 0),
        ],
    }
    assert Company.objects.count() == 300
    assert Contact.objects.count() == 600
    assert not Company.objects.filter(contacts__isnull=True).exists()
    assert Lead.objects.count() == 400
    assert Opportunity.objects.count() == DEALS
    assert LeadPolicy.objects.filter(pk=1).exists()
    assert QualificationCriterion.objects.aggregate(total=Sum("weight"))["total"] == 100


def test_deals_are_spread_over_sellers_pipelines_and_currencies(output):
    owners = Opportunity.objects.values("owner").distinct().count()
    assert owners >= 12
    assert Opportunity.objects.values("pipeline").distinct().count() == 2
    currencies = Counter(Opportunity.objects.values_list("currency", flat=True))
    assert set(currencies) == {"EUR", "USD", "GBP"}
    assert currencies.most_common(1)[0][0] == "EUR"
    assert not Opportunity.objects.filter(value__lte=0).exists()
    statuses = set(Opportunity.objects.values_list("status", flat=True))
    assert statuses == set(OpportunityStatus.values)
    overdue_close = Opportunity.objects.open().filter(expected_close_date__lt=ANCHOR.date())
    assert overdue_close.exists()


def test_every_deal_history_is_chained_and_ends_in_the_current_stage(output):
    deals = Opportunity.objects.select_related("stage").prefetch_related("stage_changes")
    pipeline_of_stage = dict(
        Pipeline.objects.values_list("stages__pk", "pk")  # stage pk -> pipeline pk
    )
    for deal in deals:
        changes = sorted(deal.stage_changes.all(), key=lambda change: (change.at, change.pk))
        assert changes[0].from_stage_id is None, deal
        assert deal.created_at <= changes[0].at
        for previous, change in itertools.pairwise(changes):
            assert change.from_stage_id == previous.to_stage_id, deal
            assert change.at > previous.at, deal
        assert changes[-1].to_stage_id == deal.stage_id, deal
        assert deal.stage_entered_at == changes[-1].at, deal
        assert {pipeline_of_stage[c.to_stage_id] for c in changes} == {deal.pipeline_id}
        assert changes[0].at >= HISTORY_START
        assert changes[-1].at < ANCHOR
        assert deal.version == len(changes)
        assert deal.status == deal.stage.kind, deal
        if deal.status == OpportunityStatus.OPEN:
            assert deal.closed_at is None
        else:
            assert deal.closed_at == changes[-1].at
        assert bool(deal.lost_reason) == (deal.status == OpportunityStatus.LOST)


def test_deals_meet_the_entry_criteria_of_every_stage_they_entered(output):
    deals = Opportunity.objects.prefetch_related("stage_changes__to_stage")
    for deal in deals:
        for change in deal.stage_changes.all():
            stage = change.to_stage
            if "contact" in stage.entry_fields:
                assert deal.contact_id is not None, deal
            if "expected_close_date" in stage.entry_fields:
                assert deal.expected_close_date is not None, deal
            assert set(stage.entry_checklist) <= set(deal.checklist_done), deal


def test_every_record_lies_in_the_eighteen_months_before_today(output):
    for model, field in [
        (StageChange, "at"),
        (Touchpoint, "at"),
        (Opportunity, "created_at"),
        (Lead, "created_at"),
        (Task, "created_at"),
        (Company, "created_at"),
    ]:
        bounds = model.objects.aggregate(first=Min(field), last=Max(field))
        assert bounds["first"] >= HISTORY_START, model
        assert bounds["last"] < ANCHOR, model


def test_positions_are_sparse_and_distinct_within_each_stage(output):
    positions = list(Opportunity.objects.values_list("stage", "position"))
    assert all(position % POSITION_GAP == 0 and position > 0 for _stage, position in positions)
    assert len(set(positions)) == len(positions)


def test_every_demo_user_signs_in_with_the_demo_password(output, rf):
    # A request, as the login page passes one: the login throttle counts per address.
    sign_in = rf.post("/accounts/login/")
    for person in ROSTER:
        assert authenticate(sign_in, username=person.username, password=DEMO_PASSWORD)
    assert authenticate(sign_in, username="maria", password="wrong-password") is None


def test_open_tasks_due_before_today_are_overdue_since_their_due_date(output):
    open_tasks = Task.objects.filter(done_at__isnull=True)
    overdue = open_tasks.filter(due_at__lt=ANCHOR)
    assert overdue.filter(opportunity__isnull=False).exists()
    for task in overdue:
        assert task.overdue_since == task.due_at.astimezone(dt.UTC).date()
    upcoming = open_tasks.filter(due_at__gte=ANCHOR)
    assert upcoming.exists()
    assert not upcoming.filter(overdue_since__isnull=False).exists()
    done = Task.objects.filter(done_at__isnull=False)
    assert done.exists()
    for task in done:
        assert task.overdue_since is None
        assert task.created_at <= task.done_at < ANCHOR
    for task in Task.objects.filter(opportunity__isnull=False).select_related("opportunity"):
        assert task.created_at >= task.opportunity.created_at


def test_open_deals_are_stale_exactly_when_past_their_stage_rotting_days(output):
    deals = Opportunity.objects.select_related("stage").annotate(latest=Max("touchpoints__at"))
    stale = fresh = 0
    for deal in deals:
        assert deal.last_touch_at == deal.latest, deal
        if deal.status != OpportunityStatus.OPEN:
            assert deal.stale_since is None
            continue
        assert deal.last_touch_at >= deal.stage_entered_at, deal
        limit = deal.stage_entered_at + dt.timedelta(days=deal.stage.rotting_days)
        if limit < ANCHOR:
            stale += 1
            assert deal.stale_since == limit.astimezone(dt.UTC).date(), deal
            # Untouched since entering: stale by time in stage and by time without contact.
            assert deal.last_touch_at == deal.stage_entered_at
        else:
            fresh += 1
            assert deal.stale_since is None, deal
    assert stale > 0
    assert fresh > stale


def test_leads_agree_with_their_touchpoints_answers_and_status(output):
    threshold = LeadPolicy.current().qualification_threshold
    leads = Lead.objects.annotate(
        touches=Count("touchpoints"), first=Min("touchpoints__at"), last=Max("touchpoints__at")
    ).select_related("converted_contact")
    met = dict(
        QualificationAnswer.objects.filter(is_met=True)
        .values("lead")
        .annotate(score=Sum("criterion__weight"))
        .values_list("lead", "score")
    )
    assert set(leads.values_list("status", flat=True)) == set(LeadStatus.values)
    assert leads.filter(owner__isnull=True, status=LeadStatus.NEW).exists()
    for lead in leads:
        assert lead.contact_attempts == lead.touches, lead
        assert lead.first_touch_at == lead.first, lead
        assert lead.last_touch_at == lead.last, lead
        assert lead.first_touch_at is None or lead.first_touch_at >= lead.created_at
        assert lead.score == met.get(lead.pk, 0), lead
        if lead.status == LeadStatus.NEW:
            assert lead.contact_attempts == 0
        qualifies = lead.status in (LeadStatus.QUALIFIED, LeadStatus.CONVERTED)
        assert (lead.score >= threshold) == qualifies, lead
        assert bool(lead.disqualified_reason) == (lead.status == LeadStatus.DISQUALIFIED)
        if lead.status == LeadStatus.CONVERTED:
            assert lead.converted_at >= lead.last_touch_at
            assert lead.converted_contact.company_id == lead.converted_company_id
        else:
            assert lead.converted_at is None
            assert lead.converted_company_id is None
    answered = QualificationAnswer.objects.values("lead").distinct().count()
    assert 0 < answered < Lead.objects.count()


def test_deals_opened_by_a_conversion_follow_their_lead(output):
    deals = Opportunity.objects.filter(lead__isnull=False).select_related("lead")
    assert deals.exists()
    for deal in deals:
        assert deal.lead.status == LeadStatus.CONVERTED
        assert deal.company_id == deal.lead.converted_company_id
        assert deal.contact_id == deal.lead.converted_contact_id
        assert deal.created_at > deal.lead.converted_at


def test_touchpoints_cover_deals_leads_and_contacts(output):
    assert Touchpoint.objects.filter(opportunity__isnull=False).count() >= 2 * DEALS
    assert Touchpoint.objects.filter(lead__isnull=False).exists()
    assert Touchpoint.objects.filter(contact__isnull=False).exists()


def test_snapshots_cover_each_month_start_and_the_last_35_nights_to_today(output):
    nights = sorted(set(PipelineSnapshot.objects.values_list("taken_on", flat=True)))
    # Every month start from the first deal's to May 2025, then every night from 11 May
    # 2025 (35 nights back) to today.
    month_starts = [night for night in nights if night < dt.date(2025, 5, 11)]
    # No deal of this seed was open on 1 January 2024: February's is the first night.
    assert month_starts == [dt.date(2024, month, 1) for month in range(2, 13)] + [
        dt.date(2025, month, 1) for month in range(1, 6)
    ]
    assert nights[len(month_starts) :] == [
        dt.date(2025, 5, 11) + dt.timedelta(days=offset) for offset in range(36)
    ]
    # Tonight's copies today's open deals, as the nightly job does.
    tonight = PipelineSnapshot.objects.filter(taken_on=dt.date(2025, 6, 15))
    assert tonight.count() == Opportunity.objects.filter(status=OpportunityStatus.OPEN).count()


def test_quotas_cover_each_rep_and_team_every_quarter_of_the_history(output):
    # Live since 2023-12-15: whole quarters from Q1 2024 to today's Q2 2025, and Q3 ahead.
    starts = sorted(set(Quota.objects.values_list("period_start", flat=True)))
    assert starts[0] == dt.date(2024, 1, 1)
    assert starts[-1] == dt.date(2025, 7, 1)
    assert len(starts) == 7
    reps = User.objects.filter(role=Role.REP)
    assert Quota.objects.filter(user__in=reps).count() == 12 * 7
    assert Quota.objects.count() == (12 + 3) * 7
    for team in Team.objects.all():
        for start in starts:
            quota = Quota.objects.get(team=team, period_start=start)
            members = Quota.objects.filter(user__team=team, period_start=start)
            assert quota.amount == members.aggregate(total=Sum("amount"))["total"]
            assert quota.period_end == members.first().period_end


def test_same_seed_and_day_give_the_same_data_and_another_seed_does_not(db):
    seed(seed=7)
    first = fingerprint()
    seed(seed=7, flush=True)
    assert fingerprint() == first
    seed(seed=8, flush=True)
    assert fingerprint() != first
    assert Opportunity.objects.count() == DEALS


def test_progress_summary_and_logins_are_printed(output):
    assert f"deals {DEALS}/{DEALS} (100%)" in output
    for person in ROSTER:
        assert f"  {person.username} " in output
    assert DEMO_PASSWORD in output


def test_if_empty_skips_a_database_with_data_but_prints_the_logins(output):
    deals = fingerprint()
    skipped = seed(seed=99, if_empty=True)
    assert "skipped" in skipped
    assert "maria" in skipped
    assert DEMO_PASSWORD in skipped
    assert fingerprint() == deals


def test_if_empty_seeds_an_empty_database(db):
    seed(if_empty=True)
    assert Opportunity.objects.count() == DEALS


def test_refuses_a_database_with_data_and_writes_nothing(db):
    UserFactory(username="someone")
    with pytest.raises(CommandError, match="--flush"):
        seed()
    assert User.objects.count() == 1
    assert not Opportunity.objects.exists()


def test_refuses_if_empty_together_with_flush(db):
    with pytest.raises(CommandError, match="contradict"):
        seed(if_empty=True, flush=True)


def test_refuses_a_malformed_today(db):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command(
            "seed_demo",
            deals=1,
            today="15/06/2025",
            allow_published_passwords=True,
            stdout=StringIO(),
        )
    assert not User.objects.exists()


def test_with_debug_off_refuses_to_create_users_with_the_published_password(db, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError) as refusal:
        call_command("seed_demo", deals=DEALS, today=TODAY, stdout=StringIO())

    message = str(refusal.value)
    assert "DEBUG is off" in message
    assert "'admin'" in message
    assert repr(DEMO_PASSWORD) in message
    assert "--allow-published-passwords" in message
    assert not User.objects.exists()
    assert not Opportunity.objects.exists()


def test_with_debug_off_flush_is_refused_too_and_deletes_nothing(db, settings):
    settings.DEBUG = False
    UserFactory(username="someone")

    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("seed_demo", deals=DEALS, today=TODAY, flush=True, stdout=StringIO())

    assert list(User.objects.values_list("username", flat=True)) == ["someone"]


def test_with_debug_off_seeds_when_told_explicitly(db, settings):
    settings.DEBUG = False

    seed(allow_published_passwords=True)

    assert User.objects.get(username="admin").is_superuser
    assert Opportunity.objects.count() == DEALS


def test_with_debug_on_seeds_without_the_flag_as_make_run_does(db, settings):
    settings.DEBUG = True

    output = seed(allow_published_passwords=False, if_empty=True)

    assert User.objects.get(username="admin").check_password(DEMO_PASSWORD)
    assert Opportunity.objects.count() == DEALS
    assert f"every password is {DEMO_PASSWORD!r}" in output


def test_with_debug_off_if_empty_on_a_seeded_database_just_prints_the_logins(db, settings):
    seed()
    settings.DEBUG = False

    output = seed(allow_published_passwords=False, if_empty=True)

    assert "seeding skipped" in output
    assert Opportunity.objects.count() == DEALS


def test_each_deals_contact_is_the_primary_of_its_buying_team(output):
    with_contact = Opportunity.objects.filter(contact__isnull=False)
    primaries = DealContact.objects.filter(is_primary=True)

    assert with_contact.exists()
    assert set(with_contact.values_list("pk", "contact_id")) == set(
        primaries.values_list("opportunity_id", "contact_id")
    )


def test_a_flushed_database_gets_the_buying_roles_back(db):
    seed(seed=7, flush=True)

    assert BuyingRole.objects.filter(decides=True).count() == 2
    assert BuyingRole.objects.count() == 6


def test_the_catalogue_prices_every_product_in_every_demo_currency(output):
    currencies = set(Opportunity.objects.values_list("currency", flat=True))

    assert Product.objects.filter(is_active=True).count() == 12
    for product in Product.objects.prefetch_related("prices"):
        assert {price.currency for price in product.prices.all()} == currencies, product
    assert not ProductPrice.objects.filter(unit_price__lte=0).exists()


def test_a_deal_with_line_items_is_worth_their_total_at_the_catalogue_price(output):
    prices = {(p.product_id, p.currency): p.unit_price for p in ProductPrice.objects.all()}
    deals = Opportunity.objects.filter(line_items__isnull=False).distinct()

    assert deals.count() > DEALS / 2
    for deal in deals.prefetch_related("line_items"):
        items = list(deal.line_items.all())
        assert deal.value == sum(item.total for item in items), deal
        assert [item.position for item in items] == list(range(1, len(items) + 1)), deal
        for item in items:
            assert item.unit_price == prices[item.product_id, deal.currency], deal
            assert item.created_at == deal.created_at


def test_every_primary_member_is_the_deals_contact_and_the_team_works_there(output):
    members = DealContact.objects.select_related("opportunity", "contact")
    teams = Counter(members.values_list("opportunity_id", flat=True))

    assert max(teams.values()) >= 3
    assert sum(1 for size in teams.values() if size >= 2) > len(teams) / 2
    for member in members:
        deal = member.opportunity
        if member.is_primary:
            assert member.contact_id == deal.contact_id, member
        else:
            assert member.contact_id != deal.contact_id, member
            assert member.contact.company_id == deal.company_id, member
    primaries = Counter(members.filter(is_primary=True).values_list("opportunity", flat=True))
    assert set(primaries.values()) == {1}
    assert not members.filter(role__isnull=True).exists()


def test_most_deals_past_the_middle_of_their_pipeline_have_a_decision_maker(output):
    def reached_past_middle(deal) -> bool:
        stages = list(deal.pipeline.stages.order_by("position"))
        open_count = sum(1 for stage in stages if stage.kind == StageKind.OPEN)
        reached = {change.to_stage.position for change in deal.stage_changes.all()}
        won = next(stage.position for stage in stages if stage.kind == StageKind.WON)
        furthest = max(position for position in reached if position <= won)
        return furthest >= (open_count + 1) // 2

    deals = (
        Opportunity.objects.filter(contact__isnull=False)
        .select_related("pipeline")
        .prefetch_related("stage_changes__to_stage")
    )
    deciding = set(
        DealContact.objects.filter(role__decides=True).values_list("opportunity", flat=True)
    )
    past, early = [], []
    for deal in deals:
        (past if reached_past_middle(deal) else early).append(deal.pk in deciding)

    assert past
    assert early
    assert sum(past) / len(past) > 0.7
    assert sum(early) / len(early) < 0.5


def test_custom_values_fit_their_fields_on_deals_and_companies(output):
    deal_fields = {field.key: field for field in DealField.objects.all()}
    company_fields = {
        field.key: field for field in RecordField.objects.filter(record=RecordKind.COMPANY)
    }

    assert len(deal_fields) >= 2
    assert len(company_fields) >= 2
    for model, fields in [(Opportunity, deal_fields), (Company, company_fields)]:
        used = Counter()
        for values in model.objects.values_list("custom_fields", flat=True):
            assert set(values) <= set(fields), model
            for key, stored in values.items():
                assert fits(fields[key].kind, stored, fields[key].choice_list), (key, stored)
                used[key] += 1
        assert set(used) == set(fields), model
