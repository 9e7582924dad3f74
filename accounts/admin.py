"""Admin for users, teams and notifications.

The Django admin is for admins (staff users with permissions, usually superusers): it shows
every row and does not apply ``visible_to``. Changelists name every relation they display in
``list_select_related`` so that a page costs the same number of queries at any size.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import ApiToken, Notification, Team, Territory, User
from accounts.services.tokens import revoke_users_api_tokens


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Sales team"), {"fields": ("role", "team", "time_zone", "daily_digest")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Sales team"), {"classes": ("wide",), "fields": ("role", "team", "time_zone")}),
    )
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "role",
        "team",
        "is_active",
        "is_staff",
    )
    list_filter = ("role", "team", "is_active", "is_staff", "is_superuser", "groups")
    list_select_related = ("team",)


class MemberInline(admin.TabularInline):
    """The team's members, read-only: a user changes team on their own page."""

    model = User
    fk_name = "team"
    fields = ("username", "first_name", "last_name", "role", "is_active")
    readonly_fields = fields
    ordering = ("username",)
    extra = 0
    show_change_link = True
    verbose_name = _("member")
    verbose_name_plural = _("members")

    def has_add_permission(self, request: HttpRequest, obj: Team | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Team | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Team | None = None) -> bool:
        return False


class TerritoryInline(admin.TabularInline):
    model = Territory
    fields = ("country", "region")
    extra = 0


@admin.register(Territory)
class TerritoryAdmin(admin.ModelAdmin):
    list_display = ("country", "region", "team")
    list_filter = ("country", "team")
    list_select_related = ("team",)
    search_fields = ("country", "region", "team__name")
    autocomplete_fields = ("team",)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "manager", "member_count", "created_at")
    list_select_related = ("manager",)
    search_fields = ("name",)
    # Explicit: a query with GROUP BY (member_count) ignores the model's Meta.ordering.
    ordering = ("name",)
    autocomplete_fields = ("manager",)
    inlines = (TerritoryInline, MemberInline)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Team]:
        return super().get_queryset(request).annotate(member_count=Count("members"))

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, team: Team) -> int:
        return team.member_count  # type: ignore[attr-defined]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("message", "recipient", "kind", "created_at", "read_at")
    list_filter = ("kind", ("read_at", admin.EmptyFieldListFilter))
    list_select_related = ("recipient",)
    search_fields = ("message", "dedupe_key", "recipient__username", "recipient__email")
    date_hierarchy = "created_at"
    autocomplete_fields = ("recipient",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Admins see and revoke anyone's tokens; keys are made on the user's profile page only.

    The key's hash is never shown: it is of no use to an admin and of some use to an attacker.
    """

    list_display = ("name", "user", "key_prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    list_select_related = ("user",)
    search_fields = ("name", "key_prefix", "user__username", "user__email")
    fields = ("user", "name", "key_prefix", "created_at", "last_used_at", "expires_at")
    readonly_fields = fields
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False

    @admin.action(description=_("Revoke selected tokens"), permissions=["delete"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        revoked = revoke_users_api_tokens(
            token_ids=list(queryset.values_list("pk", flat=True)), by=request.user
        )
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", revoked)
            % {"count": revoked},
        )
