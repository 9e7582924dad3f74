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

from accounts.models import Notification, Team, Territory, User


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
