"""Admin for the nightly runs (read-only: the run writes them) and the digests sent."""

from django.contrib import admin
from django.http import HttpRequest

from crm.models import DigestDelivery, JobRun, JobRunStep


class ReadOnlyAdmin(admin.ModelAdmin):
    """History written by the nightly run: to read, not to add or change."""

    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class JobRunStepInline(admin.TabularInline):
    model = JobRunStep
    fields = ("job", "status", "rows", "seconds", "attempts", "started_at", "error")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: JobRun | None = None) -> bool:
        return False


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ("day", "status", "started_at", "finished_at", "duration")
    list_filter = ("status",)
    date_hierarchy = "started_at"
    inlines = (JobRunStepInline,)


@admin.register(JobRunStep)
class JobRunStepAdmin(ReadOnlyAdmin):
    list_display = ("job", "run", "status", "rows", "seconds", "attempts", "started_at")
    list_filter = ("job", "status")
    list_select_related = ("run",)
    search_fields = ("job", "error")


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("day", "recipient", "created_at")
    list_select_related = ("recipient",)
    search_fields = ("recipient__username", "recipient__email")
    date_hierarchy = "day"
