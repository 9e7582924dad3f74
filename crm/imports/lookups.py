"""Finding the records a row names (company, contact, pipeline and stage), a batch at a time;
owners are found by crm/imports/owners.py.

Stages are few and cached for the whole import. Companies and contacts may be as many as
the rows, so they are looked up per batch: memory is bounded by the batch, not the file.
Every lookup goes through the importing user's permissions, so a name they could not
choose on a page is "not found" for them here too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from django.db.models import Value
from django.db.models.functions import Concat, Lower
from django.utils.translation import gettext as _

from accounts.models import User
from contacts.models import Company, Contact
from crm.imports.parsing import CellError
from pipeline.models import Pipeline, Stage, StageKind, board_order


class CompanyLookup:
    """Companies visible to the importer, by external id first, else by name."""

    def __init__(self, by: User) -> None:
        self.by = by
        self._by_external_id: dict[str, int] = {}
        self._by_name: dict[str, list[int]] = defaultdict(list)

    def load(self, values: Iterable[str]) -> None:
        """Look up this batch's companies, forgetting the previous batch's."""
        values = set(values)
        self._by_external_id.clear()
        self._by_name.clear()
        if not values:
            return
        visible = Company.objects.visible_to(self.by)
        # The partial unique index needs external_id <> '' spelled out to be used with a
        # long IN (…) list: PostgreSQL proves an index's condition for up to 100 values.
        self._by_external_id.update(
            visible.filter(external_id__any_of=values)
            .exclude(external_id="")
            .values_list("external_id", "pk")
        )
        # Names are a slower lookup (no index on lower(name)); only for what ids did not find.
        names = {value.casefold() for value in values - self._by_external_id.keys()}
        if not names:
            return
        rows = (
            visible.annotate(name_key=Lower("name"))
            .filter(name_key__any_of=names)
            .values_list("pk", "name_key")
        )
        for pk, name_key in rows:
            self._by_name[name_key].append(pk)

    def company_id(self, value: str) -> int:
        if value in self._by_external_id:
            return self._by_external_id[value]
        matches = self._by_name.get(value.casefold(), [])
        if len(matches) > 1:
            raise CellError(
                _("%(count)s companies are named “%(name)s”: give the company's external id.")
                % {"count": len(matches), "name": value}
            )
        if not matches:
            raise CellError(
                _("No company “%(name)s” that you can see: import it first, or check the name.")
                % {"name": value}
            )
        return matches[0]


def text_key(value: str) -> str:
    """A name or title as they are compared: case and runs of spaces do not count."""
    return " ".join(value.split()).casefold()


class ContactLookup:
    """Contacts visible to the importer, by external id first, else by email or full name;
    each with the id of its company, which a deal without a company of its own takes."""

    def __init__(self, by: User) -> None:
        self.by = by
        self._by_external_id: dict[str, tuple[int, int]] = {}
        self._by_email: dict[str, list[tuple[int, int]]] = defaultdict(list)

    def load(self, values: Iterable[str]) -> None:
        """Look up this batch's contacts, forgetting the previous batch's."""
        values = set(values)
        self._by_external_id.clear()
        self._by_email.clear()
        if not values:
            return
        visible = Contact.objects.visible_to(self.by)
        self._by_external_id.update(
            (external_id, (pk, company_id))
            for external_id, pk, company_id in visible.filter(external_id__any_of=values)
            .exclude(external_id="")
            .values_list("external_id", "pk", "company_id")
        )
        rest = values - self._by_external_id.keys()
        emails = {value.casefold() for value in rest if "@" in value}
        names = {text_key(value) for value in rest if "@" not in value}
        if emails:
            # lower(email) is indexed (contact_email_ci_idx).
            rows = (
                visible.annotate(email_key=Lower("email"))
                .filter(email_key__any_of=emails)
                .values_list("pk", "company_id", "email_key")
            )
            for pk, company_id, email_key in rows:
                self._by_email[email_key].append((pk, company_id))
        if names:
            # Pipedrive's deals export names the contact person, not their address.
            full_name = Lower(Concat("first_name", Value(" "), "last_name"))
            rows = (
                visible.annotate(name_key=full_name)
                .filter(name_key__any_of=names)
                .values_list("pk", "company_id", "name_key")
            )
            for pk, company_id, key in rows:
                self._by_email[text_key(key)].append((pk, company_id))

    def contact(self, value: str) -> tuple[int, int]:
        """(contact id, its company's id) for an external id, an email or a full name."""
        if value in self._by_external_id:
            return self._by_external_id[value]
        matches = self._by_email.get(value.casefold() if "@" in value else text_key(value), [])
        if len(matches) > 1:
            raise CellError(
                _("%(count)s contacts are “%(email)s”: give the contact's external id.")
                % {"count": len(matches), "email": value}
            )
        if not matches:
            raise CellError(
                _("No contact “%(email)s” that you can see: import it first, or check it.")
                % {"email": value}
            )
        return matches[0]


class StageLookup:
    """Stages in use in active pipelines, by pipeline and stage name (case-insensitive).

    ``chosen``: the file's stage values the importer mapped to a stage (ImportOptions.stages,
    value -> stage id); they are looked up first, then names.
    """

    def __init__(self, chosen: Mapping[str, int] | None = None) -> None:
        stages = board_order(
            Stage.objects.in_use()
            .filter(pipeline__is_active=True)
            .select_related("pipeline")
            .order_by("pipeline__position", "pipeline__name", "position", "pk")
        )
        self.stages = {stage.pk: stage for stage in stages}
        self._pipelines: dict[str, Pipeline] = {}
        self._by_pipeline: dict[int, dict[str, Stage]] = defaultdict(dict)
        for stage in stages:
            self._pipelines.setdefault(stage.pipeline.name.casefold(), stage.pipeline)
            self._by_pipeline[stage.pipeline_id].setdefault(stage.name.casefold(), stage)
        ordered = sorted(self._pipelines.values(), key=lambda p: (p.position, p.name))
        self.default_pipeline = ordered[0] if ordered else None
        self._chosen = {value.strip().casefold(): pk for value, pk in (chosen or {}).items()}

    def first_stage(self, pipeline: Pipeline) -> Stage:
        stages = list(self._by_pipeline[pipeline.pk].values())
        open_stages = [stage for stage in stages if stage.kind == StageKind.OPEN]
        return (open_stages or stages)[0]

    def pipeline(self, name: str) -> Pipeline:
        try:
            return self._pipelines[name.casefold()]
        except KeyError:
            raise CellError(_("No active pipeline “%(name)s”.") % {"name": name}) from None

    def stage(
        self, *, pipeline_name: str, stage_name: str, current_pipeline_id: int | None
    ) -> Stage | None:
        """The stage a row asks for; None when it leaves an existing deal where it is.

        ``current_pipeline_id`` is the pipeline of the deal the row updates, None for a new deal.
        """
        if stage_name and stage_name.casefold() in self._chosen:
            return self._chosen_stage(pipeline_name, stage_name)
        if pipeline_name:
            pipeline = self.pipeline(pipeline_name)
            if not stage_name:
                if current_pipeline_id == pipeline.pk:
                    return None
                return self.first_stage(pipeline)
            return self._stage_in(pipeline, stage_name)
        if not stage_name:
            if current_pipeline_id is not None:
                return None
            if self.default_pipeline is None:
                raise CellError(_("There is no active pipeline to put deals in."))
            return self.first_stage(self.default_pipeline)
        if current_pipeline_id is not None:
            # A deal's stage is looked for in its own pipeline first.
            found = self._by_pipeline[current_pipeline_id].get(stage_name.casefold())
            if found is not None:
                return found
        candidates = [
            stages[stage_name.casefold()]
            for stages in self._by_pipeline.values()
            if stage_name.casefold() in stages
        ]
        if len(candidates) > 1:
            raise CellError(
                _("Several pipelines have a stage “%(name)s”: map the pipeline column too.")
                % {"name": stage_name}
            )
        if not candidates:
            raise CellError(_("No stage “%(name)s” in an active pipeline.") % {"name": stage_name})
        return candidates[0]

    def _chosen_stage(self, pipeline_name: str, stage_name: str) -> Stage:
        stage = self.stages.get(self._chosen[stage_name.casefold()])
        if stage is None:
            raise CellError(
                _("The stage chosen for “%(name)s” is no longer in use: map the stages again.")
                % {"name": stage_name}
            )
        if not pipeline_name:
            return stage
        pipeline = self.pipeline(pipeline_name)
        if pipeline.pk == stage.pipeline_id:
            return stage
        # A row naming another pipeline takes that pipeline's stage of the chosen name.
        same_name = self._by_pipeline[pipeline.pk].get(stage.name.casefold())
        if same_name is None:
            raise CellError(
                _(
                    "“%(name)s” is mapped to “%(stage)s” of “%(chosen)s”, and “%(row)s” has "
                    "no such stage."
                )
                % {
                    "name": stage_name,
                    "stage": stage.name,
                    "chosen": stage.pipeline.name,
                    "row": pipeline_name,
                }
            )
        return same_name

    def _stage_in(self, pipeline: Pipeline, name: str) -> Stage:
        try:
            return self._by_pipeline[pipeline.pk][name.casefold()]
        except KeyError:
            raise CellError(
                _("The pipeline “%(pipeline)s” has no stage “%(stage)s”.")
                % {"pipeline": pipeline.name, "stage": name}
            ) from None
