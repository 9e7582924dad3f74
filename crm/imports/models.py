from __future__ import annotations

from typing import TYPE_CHECKING, Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from accounts.models import User


class ImportKind(models.TextChoices):
    COMPANIES = "companies", _("Companies")
    CONTACTS = "contacts", _("Contacts")
    LEADS = "leads", _("Leads")
    DEALS = "deals", _("Deals")
    PRODUCTS = "products", _("Products")
    USERS = "users", _("Users and teams")
    TASKS = "tasks", _("Tasks")
    TOUCHPOINTS = "touchpoints", _("Activities (calls, meetings, emails, notes)")
    QUOTAS = "quotas", _("Quotas")


class FileFormat(models.TextChoices):
    CSV = "csv", _("CSV")
    XLSX = "xlsx", _("Excel workbook (XLSX)")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    PREVIEWED = "previewed", _("Columns mapped")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJobQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> Self:
        # An import is its uploader's work in progress; admins see every import to help out.
        if not (user.is_authenticated and user.is_active):
            return self.none()
        return self.all() if user.is_admin else self.filter(created_by=user)

    def editable_by(self, user: User) -> Self:
        # Only the uploader maps and starts an import: it writes with their permissions.
        if not (user.is_authenticated and user.is_active):
            return self.none()
        return self.filter(created_by=user)


class ImportJob(models.Model):
    """One uploaded CSV file on its way into the CRM: mapping, progress and outcome."""

    kind = models.CharField(_("kind"), max_length=20, choices=ImportKind)
    status = models.CharField(
        _("status"), max_length=20, choices=ImportStatus, default=ImportStatus.UPLOADED
    )
    file_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(
        _("file format"), max_length=4, choices=FileFormat, default=FileFormat.CSV
    )
    file_size = models.PositiveBigIntegerField(_("file size (bytes)"), default=0)
    encoding = models.CharField(_("encoding"), max_length=20)
    delimiter = models.CharField(_("delimiter"), max_length=1)
    header = models.JSONField(_("columns"), default=list)
    # Field name -> column name in ``header``.
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    # The vendor export the header was recognised as (a presets file's name), if any.
    preset = models.CharField(_("recognised export"), max_length=60, blank=True)
    # Everything else the user decided before the import runs (ImportOptions as JSON):
    # date orders, stage and value mappings, what to do with unknown owners.
    options = models.JSONField(_("options"), default=dict, blank=True)
    # What the upload saw in each column's numeric dates (crm.imports.dates.Evidence as
    # JSON, by column name): the preview and the start decide date orders from it without
    # reading the file again. None: not recorded; the file is read.
    date_evidence = models.JSONField(_("date evidence"), null=True, blank=True, default=None)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows read"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    rejected_count = models.PositiveIntegerField(_("rejected"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ImportKind.values), name="import_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values), name="import_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="import_uploader_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.file_name}"

    @property
    def is_finished(self) -> bool:
        return self.status in {ImportStatus.DONE, ImportStatus.FAILED}

    @property
    def is_in_progress(self) -> bool:
        return self.status in {ImportStatus.QUEUED, ImportStatus.RUNNING}

    @property
    def percent_done(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        return min(100, self.rows_done * 100 // self.rows_total) if self.rows_total else 0


class ImportChunk(models.Model):
    """A slice of an uploaded file, kept in the database until the import has run.

    The web process that receives the upload and the worker that imports it may run on
    different machines; the database is the one store both always reach, so the file
    needs no shared disk. Slices keep both the upload and the import in bounded memory.
    """

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        ordering = ["index"]
        verbose_name = _("file chunk")
        verbose_name_plural = _("file chunks")
        constraints = [
            models.UniqueConstraint(fields=["job", "index"], name="import_chunk_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.job_id}/{self.index}"


class ImportRejection(models.Model):
    """A row the import left out, with the line it starts on and the reason."""

    job = models.ForeignKey(
        ImportJob, verbose_name=_("import"), on_delete=models.CASCADE, related_name="rejections"
    )
    line = models.PositiveIntegerField(_("line"))
    field = models.CharField(_("field"), max_length=50, blank=True)
    message = models.CharField(_("reason"), max_length=500)

    class Meta:
        ordering = ["line", "pk"]
        verbose_name = _("rejected row")
        verbose_name_plural = _("rejected rows")
        indexes = [models.Index(fields=["job", "line"], name="import_rejection_line_idx")]

    def __str__(self) -> str:
        return f"{self.line}: {self.message}"


class RejectedRow(models.Model):
    """The cells of a rejected row as the file had them, to download, fix and import again."""

    job = models.ForeignKey(
        ImportJob, verbose_name=_("import"), on_delete=models.CASCADE, related_name="rejected_rows"
    )
    line = models.PositiveIntegerField(_("line"))
    cells = models.JSONField(_("cells"), default=list)

    class Meta:
        ordering = ["line"]
        verbose_name = _("rejected row's cells")
        verbose_name_plural = _("rejected rows' cells")
        constraints = [
            models.UniqueConstraint(fields=["job", "line"], name="import_rejected_row_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.job_id}/{self.line}"


class ColumnMapping(models.Model):
    """How a user mapped the columns of a file shaped like this one, offered next time."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ImportKind)
    # A hash of the header's column names: files exported by one system share it.
    header_signature = models.CharField(_("header signature"), max_length=64)
    mapping = models.JSONField(_("column mapping"), default=dict)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("remembered column mapping")
        verbose_name_plural = _("remembered column mappings")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "header_signature"], name="column_mapping_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.header_signature[:8]}"
