import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Window
from django.db.models.functions import Lower, RowNumber
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.visibility import VisibleQuerySet, owner_editable_q, owner_visible_q
from core.countries import validate_country
from core.custom_fields.models import CustomFieldDefinition


class CompanyQuerySet(VisibleQuerySet):
    pass


class Company(models.Model):
    name = models.CharField(_("name"), max_length=200)
    # Stored lower-case without "www.": the key for duplicate detection.
    domain = models.CharField(_("domain"), max_length=200, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    country = models.CharField(
        _("country"),
        max_length=2,
        blank=True,
        help_text=_("ISO code"),
        validators=[validate_country],
    )
    region = models.CharField(_("region"), max_length=100, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        # Users are deactivated, not deleted: ownership is history the forecasts rely on.
        on_delete=models.PROTECT,
        related_name="companies",
    )
    # Values of admin-defined custom fields (contacts.RecordField), by the field's key.
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CompanyQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="company_external_id_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["domain"], name="company_domain_idx"),
            models.Index(fields=["owner", "name"], name="company_owner_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class ContactQuerySet(VisibleQuerySet):
    pass


class Contact(models.Model):
    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        # People are part of the account; removing the account removes them.
        on_delete=models.CASCADE,
        related_name="contacts",
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="contacts",
    )
    # Values of admin-defined custom fields (contacts.RecordField), by the field's key.
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "pk"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                "company",
                condition=~Q(email=""),
                name="contact_email_unique_per_company",
                violation_error_message=_("This company already has a contact with this email."),
            ),
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="contact_external_id_unique",
            ),
        ]
        indexes = [
            models.Index(Lower("email"), name="contact_email_ci_idx"),
            models.Index(fields=["owner", "last_name"], name="contact_owner_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class LeadSource(models.TextChoices):
    WEB = "web", _("Website")
    REFERRAL = "referral", _("Referral")
    EVENT = "event", _("Event")
    OUTBOUND = "outbound", _("Outbound")
    PARTNER = "partner", _("Partner")
    IMPORT = "import", _("Import")
    OTHER = "other", _("Other")


class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    CONTACTED = "contacted", _("Contacted")
    QUALIFIED = "qualified", _("Qualified")
    DISQUALIFIED = "disqualified", _("Disqualified")
    CONVERTED = "converted", _("Converted")


class LeadQuerySet(VisibleQuerySet):
    def visibility_q(self, user):
        condition = owner_visible_q(user, "owner")
        if condition is None:
            return None
        if user.is_manager:
            # Unassigned leads wait in the managers' queue until assignment gives them an owner.
            condition |= Q(owner__isnull=True)
        return condition

    def editability_q(self, user):
        condition = owner_editable_q(user, "owner")
        if condition is not None and user.is_manager:
            condition |= Q(owner__isnull=True)
        return condition

    def open(self) -> "LeadQuerySet":
        return self.filter(status__in=[LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED])

    def median_speed_to_lead(self) -> dict[int, dt.timedelta]:
        """Owner id -> median wait from creation to first touch, over the touched leads here.

        One query on any database: rank each owner's waits with a window function and keep
        the middle one (or the middle two, averaged here, for an even count).
        """
        wait = ExpressionWrapper(
            F("first_touch_at") - F("created_at"), output_field=DurationField()
        )
        middle = (
            self.filter(first_touch_at__isnull=False, owner__isnull=False)
            .annotate(
                wait=wait,
                rank=Window(
                    RowNumber(), partition_by=[F("owner_id")], order_by=[wait.asc(), F("pk").asc()]
                ),
                total=Window(Count("pk"), partition_by=[F("owner_id")]),
            )
            .filter(Q(rank=(F("total") + 1) / 2) | Q(rank=(F("total") + 2) / 2))
            .order_by()
            .values_list("owner_id", "wait")
        )
        waits: dict[int, list[dt.timedelta]] = {}
        for owner_id, value in middle:
            waits.setdefault(owner_id, []).append(value)
        return {
            owner_id: sum(values, dt.timedelta()) / len(values)
            for owner_id, values in waits.items()
        }


class Lead(models.Model):
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    company_name = models.CharField(_("company"), max_length=200, blank=True)
    company_domain = models.CharField(_("company domain"), max_length=200, blank=True)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    country = models.CharField(
        _("country"),
        max_length=2,
        blank=True,
        help_text=_("ISO code"),
        validators=[validate_country],
    )
    region = models.CharField(_("region"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=LeadSource)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        # A departing owner's leads go back to the queue to be reassigned.
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=LeadStatus, default=LeadStatus.NEW
    )
    score = models.PositiveSmallIntegerField(_("qualification score"), default=0)
    disqualified_reason = models.CharField(_("disqualified because"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    first_touch_at = models.DateTimeField(_("first touch"), null=True, blank=True)
    last_touch_at = models.DateTimeField(_("last touch"), null=True, blank=True)
    contact_attempts = models.PositiveSmallIntegerField(_("contact attempts"), default=0)
    # Set and cleared by the nightly cadence job (contacts.jobs), read by the lead page.
    last_chance_since = models.DateField(_("last-chance email due since"), null=True, blank=True)
    disqualification_proposed_since = models.DateField(
        _("disqualification proposed since"), null=True, blank=True
    )
    converted_company = models.ForeignKey(
        Company,
        verbose_name=_("converted to company"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    converted_contact = models.ForeignKey(
        Contact,
        verbose_name=_("converted to contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True)
    # Set when the lead was created despite matching an earlier lead (email or company
    # domain); cleared when the two are merged or a person decides they differ.
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("possible duplicate of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="possible_duplicates",
    )
    # Values of admin-defined custom fields (contacts.RecordField), by the field's key.
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = LeadQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=LeadStatus.values), name="lead_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=LeadSource.values), name="lead_source_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=LeadStatus.DISQUALIFIED) | ~Q(disqualified_reason=""),
                name="lead_disqualified_has_reason",
                violation_error_message=_("A disqualified lead needs a reason."),
            ),
            models.CheckConstraint(
                condition=~Q(status=LeadStatus.CONVERTED) | Q(converted_at__isnull=False),
                name="lead_converted_has_date",
            ),
            models.CheckConstraint(
                condition=Q(first_touch_at__isnull=True)
                | Q(first_touch_at__gte=models.F("created_at")),
                name="lead_first_touch_after_creation",
            ),
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="lead_external_id_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "status", "-created_at"], name="lead_owner_status_idx"),
            models.Index(Lower("email"), name="lead_email_ci_idx"),
            models.Index(fields=["company_domain"], name="lead_domain_idx"),
            models.Index(
                fields=["created_at"],
                condition=Q(owner__isnull=True),
                name="lead_unassigned_idx",
            ),
            # The lead list's default order (newest first) for those who see every lead.
            models.Index(fields=["-created_at", "-id"], name="lead_newest_idx"),
            # "My day" and the lead list's cadence filter: the few leads the nightly job flagged.
            models.Index(
                fields=["owner", "last_touch_at"],
                condition=Q(last_chance_since__isnull=False)
                | Q(disqualification_proposed_since__isnull=False),
                name="lead_cadence_flagged_idx",
            ),
        ]

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return f"{name} ({self.company_name})" if self.company_name else name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def speed_to_lead(self) -> dt.timedelta | None:
        """How long the lead waited for its first call, email or meeting; None until then."""
        if self.first_touch_at is None:
            return None
        return self.first_touch_at - self.created_at


class QualificationCriterion(models.Model):
    question = models.CharField(_("question"), max_length=200)
    help_text = models.CharField(_("guidance"), max_length=300, blank=True)
    weight = models.PositiveSmallIntegerField(
        _("weight"), validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("qualification criterion")
        verbose_name_plural = _("qualification criteria")
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gte=1, weight__lte=100), name="criterion_weight_range"
            ),
        ]

    def __str__(self) -> str:
        return self.question


class QualificationAnswer(models.Model):
    lead = models.ForeignKey(
        Lead, verbose_name=_("lead"), on_delete=models.CASCADE, related_name="answers"
    )
    criterion = models.ForeignKey(
        QualificationCriterion,
        verbose_name=_("criterion"),
        # Answers are the evidence behind a score; retire a criterion instead of deleting it.
        on_delete=models.PROTECT,
        related_name="answers",
    )
    is_met = models.BooleanField(_("met"))
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered at"), default=timezone.now)

    class Meta:
        verbose_name = _("qualification answer")
        verbose_name_plural = _("qualification answers")
        constraints = [
            models.UniqueConstraint(fields=["lead", "criterion"], name="answer_unique_per_lead"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion_id}: {'yes' if self.is_met else 'no'}"


class AssignmentRule(models.TextChoices):
    MANUAL = "manual", _("Manual (managers assign)")
    ROUND_ROBIN = "round_robin", _("Round-robin within a team")
    TERRITORY = "territory", _("By territory")


class LeadPolicy(models.Model):
    """The site's lead rules, set by admins: qualification threshold, cadence, assignment.

    One row (pk=1), fetched with ``LeadPolicy.current()``.
    """

    qualification_threshold = models.PositiveSmallIntegerField(_("qualifying score"), default=60)
    max_contact_attempts = models.PositiveSmallIntegerField(
        _("contact attempts before a last-chance email"), default=5
    )
    days_before_disqualification = models.PositiveSmallIntegerField(
        _("days without an answer before proposing disqualification"), default=14
    )
    assignment_rule = models.CharField(
        _("assignment rule"), max_length=20, choices=AssignmentRule, default=AssignmentRule.MANUAL
    )
    default_team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("default team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Round-robin assigns within this team; territory falls back to it."),
    )

    class Meta:
        verbose_name = _("lead policy")
        verbose_name_plural = _("lead policy")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="lead_policy_singleton"),
            models.CheckConstraint(
                condition=Q(max_contact_attempts__gte=1), name="lead_policy_attempts_positive"
            ),
        ]

    def __str__(self) -> str:
        return str(_("Lead policy"))

    @classmethod
    def current(cls) -> "LeadPolicy":
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy


class RecordKind(models.TextChoices):
    """The records of this app that admins may add custom fields to."""

    COMPANY = "company", _("Companies")
    CONTACT = "contact", _("Contacts")
    LEAD = "lead", _("Leads")


class RecordField(CustomFieldDefinition):
    """A custom field of companies, contacts or leads; values live on the records."""

    record = models.CharField(_("record"), max_length=10, choices=RecordKind)

    class Meta(CustomFieldDefinition.Meta):
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        constraints = [
            # Archived fields keep their key: their values are still on the records.
            models.UniqueConstraint(fields=["record", "key"], name="record_field_key_unique"),
            models.CheckConstraint(
                condition=Q(record__in=RecordKind.values), name="record_field_record_valid"
            ),
        ]
        indexes = [models.Index(fields=["record", "position"], name="record_field_order_idx")]

    def record_model(self) -> type[models.Model]:
        return RECORD_MODELS[self.record]


RECORD_MODELS: dict[str, type[models.Model]] = {
    RecordKind.COMPANY: Company,
    RecordKind.CONTACT: Contact,
    RecordKind.LEAD: Lead,
}
