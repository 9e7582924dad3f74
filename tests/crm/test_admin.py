"""The Django admin: every model has one, every page renders, lists cost the same at any size.

Ada signs in as a superuser here (the admin is for admins; staff without permissions are
turned away). Changelists are measured with few and with many rows: the query count must not
change, so no column fetches its related row one by one.
"""

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from itertools import count

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.db.models import Model
from django.forms import MultiWidget
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import (
    ApiToken,
    Notification,
    NotificationKind,
    Role,
    Team,
    Territory,
    User,
)
from accounts.services.tokens import issue_api_token
from contacts.models import (
    Company,
    Contact,
    Lead,
    LeadPolicy,
    QualificationAnswer,
    QualificationCriterion,
    RecordField,
)
from crm.imports.models import (
    ColumnMapping,
    ImportChunk,
    ImportJob,
    ImportRejection,
    RejectedRow,
)
from crm.models import DigestDelivery, JobRun, JobRunStep, RunStatus
from crm.webhooks.models import Webhook, WebhookDelivery, WebhookEvent
from forecasting.models import (
    DealDay,
    ForecastAdjustment,
    FunnelStage,
    MovementTally,
    ObservedFill,
    ObservedPeriod,
    OpeningTally,
    PeriodKind,
    PipelineSnapshot,
    Quota,
    ReportZone,
    SnapshotReading,
    StayMonth,
    TaskDoneDay,
    TouchpointDay,
    WonCycleMonth,
)
from pipeline.models import (
    AlertKind,
    BoardChange,
    BuyingRole,
    ClosedColumnTally,
    DealChange,
    DealContact,
    DealField,
    LineItem,
    OpenColumnTally,
    Opportunity,
    Pipeline,
    Product,
    ProductPrice,
    Stage,
    StageAlert,
    StageChange,
    Task,
    Touchpoint,
)
from tests.factories import (
    BuyingRoleFactory,
    CompanyFactory,
    ContactFactory,
    DealChangeFactory,
    DealContactFactory,
    LeadFactory,
    LineItemFactory,
    OpportunityFactory,
    ProductFactory,
    ProductPriceFactory,
    QualificationCriterionFactory,
    QuotaFactory,
    StageFactory,
    TaskFactory,
    TeamFactory,
    TouchpointFactory,
    UserFactory,
)
from tests.imports.factories import (
    ColumnMappingFactory,
    ImportChunkFactory,
    ImportJobFactory,
    ImportRejectionFactory,
    RejectedRowFactory,
)

CRM_MODELS = [
    model
    for label in ("accounts", "contacts", "pipeline", "forecasting", "imports", "webhooks", "crm")
    for model in apps.get_app_config(label).get_models()
]
READ_ONLY_MODELS = {
    StageChange,
    # Custom fields are defined in Settings, whose rules the admin's forms would skip.
    RecordField,
    DealField,
    DealChange,
    LineItem,
    DealContact,
    PipelineSnapshot,
    ForecastAdjustment,
    # Rollups are derived from the deals, recounted by the nightly run.
    ReportZone,
    DealDay,
    WonCycleMonth,
    FunnelStage,
    StayMonth,
    # Stored counts of ended periods, dropped when history is rewritten.
    ObservedPeriod,
    ObservedFill,
    TouchpointDay,
    TaskDoneDay,
    # Stored readings of past nights' snapshots, dropped when what they read changes.
    SnapshotReading,
    MovementTally,
    OpeningTally,
    # The board's column tallies, kept by triggers on the deals.
    OpenColumnTally,
    ClosedColumnTally,
    # The board's change sequence, written by triggers on the deals.
    BoardChange,
    ImportJob,
    ImportChunk,
    ImportRejection,
    RejectedRow,
    ColumnMapping,
    Webhook,
    WebhookDelivery,
    StageAlert,
    JobRun,
    JobRunStep,
    DigestDelivery,
}
# A key is shown once, to its owner: tokens are made on the profile page only.
NOT_ADDED_IN_ADMIN = {ApiToken}
PINNED_OPPORTUNITY_CHANGELIST_QUERIES = 9
_serial = count()


def admin_url(model: type[Model], view: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def model_id(model: type[Model]) -> str:
    return model.__name__


# One more row of each model: every relation a changelist shows points at a row of its own,
# so a column that fetched related rows one at a time would cost a query per row.


def new_deal(stage: Stage | None = None) -> Opportunity:
    owner = UserFactory()
    return OpportunityFactory(
        owner=owner,
        stage=stage or StageFactory(),
        contact=ContactFactory(company__owner=owner),
    )


def new_deal_day() -> DealDay:
    deal = new_deal()
    return DealDay.objects.create(
        zone=f"Etc/GMT-{DealDay.objects.count() % 12}",
        day=dt.date(2026, 11, 3),
        owner=deal.owner,
        pipeline=deal.pipeline,
        currency="EUR",
        created_count=1,
    )


def new_won_cycle() -> WonCycleMonth:
    deal = new_deal()
    return WonCycleMonth.objects.create(
        zone="UTC", month=dt.date(2026, 11, 1), owner=deal.owner, pipeline=deal.pipeline, days=3
    )


def new_funnel_stage() -> FunnelStage:
    deal = new_deal()
    return FunnelStage.objects.create(
        zone="UTC",
        period=PeriodKind.QUARTER,
        start=dt.date(2026, 10, 1),
        owner=deal.owner,
        pipeline=deal.pipeline,
        stage=deal.stage,
        entered=1,
    )


def new_stay_month() -> StayMonth:
    deal = new_deal()
    return StayMonth.objects.create(
        zone="UTC",
        month=dt.date(2026, 11, 1),
        owner=deal.owner,
        pipeline=deal.pipeline,
        stage=deal.stage,
        days=3,
        finished=1,
    )


def new_observed_period() -> ObservedPeriod:
    deal = new_deal()
    return ObservedPeriod.objects.create(
        zone="UTC",
        kind="quarter",
        start=dt.date(2026, 4, 1),
        owner=deal.owner,
        pipeline=deal.pipeline,
        stage=deal.stage,
        bucket=0,
        observed=3,
        reached_won=1,
    )


def new_snapshot_reading() -> SnapshotReading:
    night = dt.date(2026, 10, 1) + dt.timedelta(days=SnapshotReading.objects.count())
    return SnapshotReading.objects.create(
        kind="opening",
        first_night=night,
        second_night=night,
        period_start=dt.date(2026, 10, 1),
        period_end=dt.date(2026, 12, 31),
    )


def new_opening_tally() -> OpeningTally:
    deal = new_deal()
    return OpeningTally.objects.create(
        reading=new_snapshot_reading(),
        owner=deal.owner,
        pipeline=deal.pipeline,
        stage=deal.stage,
        currency="EUR",
        probability=40,
        total=Decimal("1000.00"),
    )


def new_movement_tally() -> MovementTally:
    deal = new_deal()
    return MovementTally.objects.create(
        reading=new_snapshot_reading(),
        owner=deal.owner,
        pipeline=deal.pipeline,
        currency="EUR",
        deals=2,
        value=Decimal("1000.00"),
    )


def new_observed_fill() -> ObservedFill:
    return ObservedFill.objects.create(
        zone="UTC", kind="quarter", start=dt.date(2026, 4, 1), owner=UserFactory()
    )


def new_touchpoint_day() -> TouchpointDay:
    return TouchpointDay.objects.create(
        zone=f"Etc/GMT-{TouchpointDay.objects.count() % 12}",
        day=dt.date(2026, 11, 3),
        person=UserFactory(),
        kind="call",
        count=2,
    )


def new_task_done_day() -> TaskDoneDay:
    return TaskDoneDay.objects.create(
        zone=f"Etc/GMT-{TaskDoneDay.objects.count() % 12}",
        day=dt.date(2026, 11, 3),
        person=UserFactory(),
        done=1,
    )


def new_report_zone() -> ReportZone:
    return ReportZone.objects.create(name=f"Etc/GMT+{ReportZone.objects.count()}")


def new_snapshot(deal: Opportunity | None = None) -> PipelineSnapshot:
    deal = deal or new_deal()
    return PipelineSnapshot.objects.create(
        taken_on=dt.date(2026, 11, 3),
        opportunity=deal,
        pipeline=deal.pipeline,
        stage=deal.stage,
        owner=deal.owner,
        value=deal.value,
        currency=deal.currency,
        probability=deal.stage.probability,
        forecast_category=deal.forecast_category,
    )


def new_subject() -> dict[str, Model | None]:
    """A lead, a contact or a deal in turn, so each kind of subject is listed."""
    kind = next(_serial) % 3
    return {
        "lead": LeadFactory() if kind == 0 else None,
        "contact": ContactFactory() if kind == 1 else None,
        "opportunity": new_deal() if kind == 2 else None,
    }


def new_team() -> Team:
    team = TeamFactory(manager=UserFactory())
    UserFactory(team=team)
    return team


def new_answer() -> QualificationAnswer:
    return QualificationAnswer.objects.create(
        lead=LeadFactory(),
        criterion=QualificationCriterionFactory(),
        is_met=True,
        answered_by=UserFactory(),
    )


def new_deal_contact() -> DealContact:
    deal = new_deal()
    return DealContactFactory(
        opportunity=deal,
        contact=deal.contact,
        role=BuyingRoleFactory(name=f"Role {next(_serial)}"),
        is_primary=True,
    )


def new_pipeline() -> Pipeline:
    return StageFactory().pipeline


def new_stage_change() -> StageChange:
    deal = new_deal()
    return StageChange.objects.create(
        opportunity=deal,
        from_stage=StageFactory(),
        to_stage=deal.stage,
        by=UserFactory(),
    )


def new_notification() -> Notification:
    return Notification.objects.create(
        recipient=UserFactory(),
        kind=NotificationKind.STALE_DEAL,
        message="Deal went stale",
        dedupe_key="stale",
    )


def new_quota() -> Quota:
    if next(_serial) % 2:
        return QuotaFactory(user=UserFactory())
    return QuotaFactory(user=None, team=TeamFactory())


def new_api_token() -> ApiToken:
    user = UserFactory()
    return issue_api_token(user=user, name=f"Script {next(_serial)}", by=user).token


def new_webhook() -> Webhook:
    return Webhook.objects.create(
        url=f"https://hooks{next(_serial)}.example.com/crm",
        events=[WebhookEvent.DEAL_WON],
        created_by=UserFactory(),
    )


def new_delivery() -> WebhookDelivery:
    return WebhookDelivery.objects.create(
        webhook=new_webhook(), event=WebhookEvent.DEAL_WON, payload={"event": "deal.won"}
    )


NEW_ROW: dict[type[Model], Callable[[], Model]] = {
    User: lambda: UserFactory(team=TeamFactory()),
    Team: new_team,
    Territory: lambda: Territory.objects.create(
        team=TeamFactory(), country="DE", region=f"Region {next(_serial)}"
    ),
    Notification: new_notification,
    Company: lambda: CompanyFactory(),
    Contact: lambda: ContactFactory(),
    Lead: lambda: LeadFactory(),
    QualificationCriterion: lambda: QualificationCriterionFactory(),
    QualificationAnswer: new_answer,
    LeadPolicy: LeadPolicy.current,
    Pipeline: new_pipeline,
    Stage: lambda: StageFactory(),
    Opportunity: new_deal,
    StageChange: new_stage_change,
    DealChange: lambda: DealChangeFactory(opportunity=new_deal(), by=UserFactory()),
    Product: lambda: ProductFactory(),
    ProductPrice: lambda: ProductPriceFactory(),
    LineItem: lambda: LineItemFactory(opportunity=new_deal()),
    BuyingRole: lambda: BuyingRoleFactory(),
    RecordField: lambda: RecordField.objects.create(
        record="company", key=f"segment_{RecordField.objects.count()}", label="Segment", kind="text"
    ),
    DealField: lambda: DealField.objects.create(
        key=f"budget_{DealField.objects.count()}", label="Budget", kind="number"
    ),
    DealContact: new_deal_contact,
    Touchpoint: lambda: TouchpointFactory(by=UserFactory(), **new_subject()),
    Task: lambda: TaskFactory(assignee=UserFactory(), **new_subject()),
    Quota: new_quota,
    PipelineSnapshot: new_snapshot,
    ReportZone: new_report_zone,
    DealDay: new_deal_day,
    WonCycleMonth: new_won_cycle,
    FunnelStage: new_funnel_stage,
    StayMonth: new_stay_month,
    ObservedPeriod: new_observed_period,
    ObservedFill: new_observed_fill,
    SnapshotReading: new_snapshot_reading,
    MovementTally: new_movement_tally,
    OpenColumnTally: lambda: OpenColumnTally.objects.create(
        stage=StageFactory(), owner=UserFactory(), currency="EUR", deals=2, value=Decimal("50.00")
    ),
    ClosedColumnTally: lambda: ClosedColumnTally.objects.create(
        stage=StageFactory(),
        closed_on=dt.date(2026, 11, 23),
        owner=UserFactory(),
        currency="EUR",
        deals=1,
        value=Decimal("20.00"),
    ),
    BoardChange: lambda: BoardChange.objects.filter(
        opportunity=OpportunityFactory(owner=UserFactory())
    ).get(),
    OpeningTally: new_opening_tally,
    TouchpointDay: new_touchpoint_day,
    TaskDoneDay: new_task_done_day,
    ForecastAdjustment: lambda: ForecastAdjustment.objects.create(
        adjusted_by=UserFactory(),
        rep=UserFactory(),
        period="2026-Q3",
        category="commit",
        currency="EUR",
        previous_amount=Decimal("100.00"),
        amount=Decimal("90.00"),
    ),
    ImportJob: lambda: ImportJobFactory(),
    ImportChunk: lambda: ImportChunkFactory(),
    ImportRejection: lambda: ImportRejectionFactory(),
    RejectedRow: lambda: RejectedRowFactory(),
    ColumnMapping: lambda: ColumnMappingFactory(),
    ApiToken: new_api_token,
    Webhook: new_webhook,
    WebhookDelivery: new_delivery,
    StageAlert: lambda: StageAlert.objects.create(
        stage=StageFactory(),
        kind=AlertKind.CONGESTED,
        raised_on=dt.date(2026, 11, 23),
        count=30,
        baseline=Decimal("12.5"),
    ),
    JobRun: lambda: JobRun.objects.create(day=dt.date(2026, 11, 23), status=RunStatus.OK),
    JobRunStep: lambda: JobRunStep.objects.create(
        run=JobRun.objects.create(day=dt.date(2026, 11, 23), status=RunStatus.OK),
        job="stale_deals",
        status=RunStatus.OK,
    ),
    DigestDelivery: lambda: DigestDelivery.objects.create(
        recipient=UserFactory(), day=dt.date(2026, 11, 23)
    ),
}


@pytest.fixture
def ada_client(ada) -> Client:
    ada.is_superuser = True
    ada.save(update_fields=["is_superuser"])
    client = Client()
    client.force_login(ada)
    return client


def queries_to_get(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def posted_back(response) -> dict[str, object]:
    """What a browser posts when the admin change form is saved as rendered."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data: dict[str, object] = {}
    for form in forms:
        for name, field in form.fields.items():
            bound = form[name]
            value = field.prepare_value(bound.value())
            if isinstance(field.widget, MultiWidget):
                for index, part in enumerate(field.widget.decompress(value)):
                    data[f"{bound.html_name}_{index}"] = "" if part is None else part
            elif value is not None:
                data[bound.html_name] = value
    return data


# Coverage


def test_every_crm_model_has_an_admin():
    assert [m.__name__ for m in CRM_MODELS if not admin.site.is_registered(m)] == []
    assert set(NEW_ROW) == set(CRM_MODELS)


# Pages render


@pytest.mark.parametrize("model", CRM_MODELS, ids=model_id)
def test_changelist_renders_with_rows(ada_client, model):
    row = NEW_ROW[model]()

    response = ada_client.get(admin_url(model, "changelist"))

    assert response.status_code == 200
    assert row.pk in [listed.pk for listed in response.context["cl"].result_list]


@pytest.mark.parametrize("model", CRM_MODELS, ids=model_id)
def test_change_page_renders(ada_client, model):
    row = NEW_ROW[model]()

    response = ada_client.get(admin_url(model, "change", row.pk))

    assert response.status_code == 200


@pytest.mark.parametrize(
    "model", [m for m in CRM_MODELS if m not in READ_ONLY_MODELS | NOT_ADDED_IN_ADMIN], ids=model_id
)
def test_add_page_renders(ada_client, model):
    response = ada_client.get(admin_url(model, "add"))

    assert response.status_code == 200


@pytest.mark.parametrize("model", sorted(READ_ONLY_MODELS, key=model_id), ids=model_id)
def test_history_cannot_be_added_or_changed_in_the_admin(ada_client, model):
    row = NEW_ROW[model]()

    assert ada_client.get(admin_url(model, "add")).status_code == 403
    response = ada_client.get(admin_url(model, "change", row.pk))
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    # No bulk action, so no "delete selected": history goes only with its deal.
    assert ada_client.get(admin_url(model, "changelist")).context["action_form"] is None


# Only staff with permissions enter


def test_rep_who_is_not_staff_is_sent_to_the_admin_login(client, alice):
    client.force_login(alice)

    response = client.get(admin_url(Opportunity, "changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_permissions_cannot_open_a_changelist(client, ada):
    # Ada is staff and an admin by role, but only a superuser or granted permissions open lists.
    client.force_login(ada)

    assert client.get(admin_url(Opportunity, "changelist")).status_code == 403


# Changelists cost the same with few and many rows


@pytest.mark.parametrize("model", [m for m in CRM_MODELS if m is not LeadPolicy], ids=model_id)
def test_changelist_queries_do_not_grow_with_rows(ada_client, model):
    url = admin_url(model, "changelist")
    for _ in range(2):
        NEW_ROW[model]()
    ada_client.get(url)  # warm caches (content types, site) outside the measurement
    few = queries_to_get(ada_client, url)

    for _ in range(6):
        NEW_ROW[model]()
    many = queries_to_get(ada_client, url)

    assert many == few


AUTOCOMPLETE_FIELDS = [
    (model, field_name)
    for model in CRM_MODELS
    for field_name in admin.site.get_model_admin(model).autocomplete_fields
]


@pytest.mark.parametrize(
    ("model", "field_name"),
    AUTOCOMPLETE_FIELDS,
    ids=[f"{model.__name__}.{field_name}" for model, field_name in AUTOCOMPLETE_FIELDS],
)
def test_autocomplete_queries_do_not_grow_with_rows(ada_client, model, field_name):
    target = model._meta.get_field(field_name).related_model
    url = reverse("admin:autocomplete") + (
        f"?app_label={model._meta.app_label}&model_name={model._meta.model_name}"
        f"&field_name={field_name}"
    )
    for _ in range(2):
        NEW_ROW[target]()
    ada_client.get(url)
    few = queries_to_get(ada_client, url)

    for _ in range(6):
        NEW_ROW[target]()
    many = queries_to_get(ada_client, url)

    assert many == few


def test_opportunity_changelist_query_count_is_pinned(ada_client, django_assert_num_queries):
    url = admin_url(Opportunity, "changelist")
    for _ in range(3):
        new_deal()
    ada_client.get(url)

    # Session, user, the pipeline filter's choices, the lead policy "add" check in the side
    # bar, count, full count, the rows with their relations, the date hierarchy's range and
    # days: the same with 3 and with 30 deals.
    with django_assert_num_queries(PINNED_OPPORTUNITY_CHANGELIST_QUERIES):
        assert ada_client.get(url).status_code == 200
    for _ in range(27):
        new_deal()
    with django_assert_num_queries(PINNED_OPPORTUNITY_CHANGELIST_QUERIES):
        response = ada_client.get(url)
    assert len(response.context["cl"].result_list) == 30


# Users and teams


def test_admin_creates_a_user_with_role_team_and_time_zone(ada_client, north):
    response = ada_client.post(
        admin_url(User, "add"),
        {
            "username": "nora",
            "usable_password": "true",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
            "role": Role.MANAGER,
            "team": north.pk,
            "time_zone": "Europe/Rome",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    nora = User.objects.get(username="nora")
    assert (nora.role, nora.team, nora.time_zone) == (Role.MANAGER, north, "Europe/Rome")


def test_team_list_shows_manager_and_member_count(ada_client, north, maria, alice, bob):
    response = ada_client.get(admin_url(Team, "changelist"))

    listed = {team.name: team for team in response.context["cl"].result_list}
    assert listed["North"].manager == maria
    assert listed["North"].member_count == 3


# Deals: services own the version, the stage and the stale flag


@pytest.fixture
def deal(alice, stage) -> Opportunity:
    deal = OpportunityFactory(owner=alice, stage=stage, stale_since=dt.date(2026, 11, 1))
    StageChange.objects.create(opportunity=deal, to_stage=stage, by=alice)
    return deal


def test_editing_a_deal_bumps_its_version_and_records_the_editor(ada_client, ada, deal):
    url = admin_url(Opportunity, "change", deal.pk)
    data = posted_back(ada_client.get(url))
    data["title"] = "Renewal 2027"

    response = ada_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    deal.refresh_from_db()
    assert (deal.title, deal.version, deal.updated_by) == ("Renewal 2027", 2, ada)


def test_admin_form_cannot_rewind_fields_the_services_own(ada_client, deal, stage):
    other_stage = StageFactory(pipeline=stage.pipeline)
    url = admin_url(Opportunity, "change", deal.pk)
    data = posted_back(ada_client.get(url))
    data |= {"version": 1, "stale_since": "", "stage": other_stage.pk, "status": "won"}

    assert ada_client.post(url, data).status_code == 302
    deal.refresh_from_db()
    assert (deal.stage, deal.status, deal.stale_since) == (stage, "open", dt.date(2026, 11, 1))
    assert deal.version == 2
    assert deal.stage_changes.count() == 1


def test_deal_page_lists_only_the_latest_stage_changes(ada_client, deal, stage):
    later = StageFactory(pipeline=stage.pipeline)
    for hour in range(25):
        StageChange.objects.create(
            opportunity=deal,
            from_stage=stage if hour % 2 else later,
            to_stage=later if hour % 2 else stage,
            at=timezone.now() + dt.timedelta(hours=hour),
        )

    response = ada_client.get(admin_url(Opportunity, "change", deal.pk))

    (history,) = response.context["inline_admin_formsets"]
    shown = [form.instance.at for form in history.formset.forms]
    assert len(shown) == 20
    assert shown == sorted(shown, reverse=True)


def test_deleting_a_deal_in_the_admin_deletes_its_history(ada_client, deal):
    new_snapshot(deal)

    response = ada_client.post(admin_url(Opportunity, "delete", deal.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not Opportunity.objects.filter(pk=deal.pk).exists()
    assert not StageChange.objects.exists()
    assert not PipelineSnapshot.objects.exists()


def test_marking_an_overdue_task_done_clears_the_overdue_flag(ada_client, deal):
    task = TaskFactory(opportunity=deal, overdue_since=dt.date(2026, 11, 2))
    url = admin_url(Task, "change", task.pk)
    data = posted_back(ada_client.get(url))
    data |= {"done_at_0": "2026-11-23", "done_at_1": "10:00:00"}

    response = ada_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    task.refresh_from_db()
    assert task.is_done
    assert task.overdue_since is None


# Leads


def test_answers_saved_on_the_lead_page_record_who_answered(ada_client, ada, alice):
    lead = LeadFactory(owner=alice)
    criterion = QualificationCriterionFactory()
    url = admin_url(Lead, "change", lead.pk)
    data = posted_back(ada_client.get(url))
    data |= {
        "answers-TOTAL_FORMS": 1,
        "answers-0-criterion": criterion.pk,
        "answers-0-is_met": "on",
        "answers-0-lead": lead.pk,
    }

    response = ada_client.post(url, data)

    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    answer = lead.answers.get()
    assert (answer.criterion, answer.is_met, answer.answered_by) == (criterion, True, ada)


# Lead policy: one row, never deleted


@pytest.mark.django_db
def test_lead_policy_can_be_added_while_there_is_none(ada_client):
    response = ada_client.post(
        admin_url(LeadPolicy, "add"),
        {
            "qualification_threshold": 70,
            "max_contact_attempts": 4,
            "days_before_disqualification": 10,
            "assignment_rule": "manual",
        },
    )

    assert response.status_code == 302
    assert LeadPolicy.current().qualification_threshold == 70
    assert LeadPolicy.objects.count() == 1


@pytest.mark.django_db
def test_second_lead_policy_cannot_be_added(ada_client):
    LeadPolicy.current()

    assert ada_client.get(admin_url(LeadPolicy, "add")).status_code == 403


@pytest.mark.django_db
def test_lead_policy_cannot_be_deleted(ada_client):
    policy = LeadPolicy.current()

    assert (
        ada_client.post(admin_url(LeadPolicy, "delete", policy.pk), {"post": "yes"}).status_code
        == 403
    )
    assert LeadPolicy.objects.filter(pk=1).exists()


@pytest.mark.django_db
def test_lead_policy_form_explains_zero_contact_attempts(ada_client):
    policy = LeadPolicy.current()
    url = admin_url(LeadPolicy, "change", policy.pk)
    data = posted_back(ada_client.get(url)) | {"max_contact_attempts": 0}

    response = ada_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert LeadPolicy.current().max_contact_attempts == 5


# Quotas


def test_quota_list_names_the_user_or_team(ada_client, alice, north):
    QuotaFactory(user=alice, amount=Decimal("5000.00"))
    QuotaFactory(
        user=None, team=north, period_start=dt.date(2027, 1, 1), period_end=dt.date(2027, 3, 31)
    )

    response = ada_client.get(admin_url(Quota, "changelist"))

    assert str(alice) in response.content.decode()
    assert "North" in response.content.decode()
