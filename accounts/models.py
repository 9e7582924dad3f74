import datetime as dt

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.countries import validate_country


class Role(models.TextChoices):
    REP = "rep", _("Sales rep")
    MANAGER = "manager", _("Sales manager")
    ADMIN = "admin", _("Administrator")


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    manager = models.ForeignKey(
        "accounts.User",
        verbose_name=_("manager"),
        # A team outlives its manager leaving; an admin appoints the next one.
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_teams",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class Territory(models.Model):
    """A country, or a region within it, whose new leads go to one team.

    An empty region covers the whole country; a matching region wins over the country.
    """

    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="territories"
    )
    country = models.CharField(
        _("country"), max_length=2, help_text=_("ISO code"), validators=[validate_country]
    )
    region = models.CharField(_("region"), max_length=100, blank=True)

    class Meta:
        ordering = ["country", "region"]
        verbose_name = _("territory")
        verbose_name_plural = _("territories")
        constraints = [
            models.UniqueConstraint(
                "country", Lower("region"), name="territory_unique_country_region"
            ),
            models.CheckConstraint(
                condition=models.Q(country__regex=r"^[A-Z]{2}$"),
                name="territory_country_iso",
                violation_error_message=_("Use the two-letter ISO country code, e.g. DE."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.country} {self.region}".strip()


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=10, choices=Role, default=Role.REP)
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        help_text=_("Times are shown in this zone; empty means the site's default."),
    )
    daily_digest = models.BooleanField(
        _("daily digest email"),
        default=True,
        help_text=_("A morning email with stale deals, overdue tasks and leads to act on."),
    )
    # Round-robin assignment hands the next lead to the team member who waited longest.
    last_lead_assigned_at = models.DateTimeField(
        _("last lead assigned at"), null=True, blank=True, editable=False
    )
    # The user's id in the CRM a team moved from, so that imported records naming their
    # owner by that id (Salesforce's OwnerId, HubSpot's owner id) find them.
    external_id = models.CharField(_("external id"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="user_role_valid"
            ),
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~models.Q(external_id=""),
                name="user_external_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER


class NotificationKind(models.TextChoices):
    STALE_DEAL = "stale_deal", _("Stale deal")
    OVERDUE_TASK = "overdue_task", _("Overdue task")
    LEAD_CADENCE = "lead_cadence", _("Lead cadence")
    CONGESTED_STAGE = "congested_stage", _("Congested stage")
    ASSIGNMENT = "assignment", _("Assignment")
    IMPORT = "import", _("Import")
    JOB_FAILED = "job_failed", _("Nightly job failed")


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> "NotificationQuerySet":
        # Notifications are personal: nobody, not even an admin, reads another user's.
        if not (user.is_authenticated and user.is_active):
            return self.none()
        return self.filter(recipient=user)

    def editable_by(self, user: User) -> "NotificationQuerySet":
        return self.visible_to(user)

    def unread(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    recipient = models.ForeignKey(
        User, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind)
    message = models.CharField(_("message"), max_length=300)
    url = models.CharField(_("link"), max_length=300, blank=True)
    # Lets nightly jobs insert with ON CONFLICT DO NOTHING, so a re-run notifies nobody twice.
    dedupe_key = models.CharField(_("deduplication key"), max_length=120)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"], name="notification_unique_per_recipient"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=NotificationKind.values),
                name="notification_kind_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.message


class ApiTokenQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> "ApiTokenQuerySet":
        # Tokens are personal: admins revoke other users' tokens in the Django admin only.
        if not (user.is_authenticated and user.is_active):
            return self.none()
        return self.filter(user=user)

    def editable_by(self, user: User) -> "ApiTokenQuerySet":
        return self.visible_to(user)


class ApiToken(models.Model):
    """A key a user's scripts send as ``Authorization: Bearer <key>`` to act as that user.

    Only the SHA-256 of the key is stored: the key itself is shown once, when it is made.
    The first characters are kept in clear so that a user can tell their tokens apart.
    """

    PREFIX_LENGTH = 8

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(
        _("name"), max_length=100, help_text=_("What the token is for, e.g. the script using it.")
    )
    key_prefix = models.CharField(_("key prefix"), max_length=PREFIX_LENGTH, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [models.Index(fields=["user", "-created_at"], name="apitoken_user_created_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    def is_expired(self, now: dt.datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())
