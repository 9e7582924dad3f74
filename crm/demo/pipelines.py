"""The two demo pipelines and how deals behave in each of their stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from crm.demo.clock import Clock
from pipeline.models import EntryField, Pipeline, Stage, StageKind


@dataclass(frozen=True)
class StageSpec:
    name: Promise
    probability: int
    kind: StageKind = StageKind.OPEN
    rotting_days: int | None = None
    entry_fields: tuple[str, ...] = ()
    entry_checklist: tuple[Promise, ...] = ()
    # Simulation only: typical days a deal spends here (at most 1.3 times this unless it
    # stalls, so keep rotting_days above that), and the chance it is lost on leaving.
    typical_days: int = 0
    loss_chance: float = 0.0
    # Chance a deal leaving this stage goes back one stage instead (a revised offer).
    step_back_chance: float = 0.0


@dataclass(frozen=True)
class PipelineSpec:
    name: Promise
    # Open stages in order, then exactly one won and one lost stage.
    stages: tuple[StageSpec, ...]
    # Share of all demo deals, and the open stage where new deals start, by weight.
    share: float
    entry_weights: tuple[int, ...] = (1,)


NEW_BUSINESS = PipelineSpec(
    name=_("New business"),
    share=0.8,
    # Most deals start cold; referrals and inbound often arrive already qualified.
    entry_weights=(75, 25),
    stages=(
        StageSpec(_("Contact"), 10, rotting_days=14, typical_days=10, loss_chance=0.3),
        StageSpec(_("Qualification"), 20, rotting_days=21, typical_days=16, loss_chance=0.3),
        StageSpec(
            _("Needs analysis"),
            40,
            rotting_days=30,
            typical_days=21,
            loss_chance=0.2,
            entry_checklist=(_("Pain points documented"), _("Decision makers identified")),
        ),
        StageSpec(
            _("Offer"),
            60,
            rotting_days=21,
            typical_days=14,
            loss_chance=0.25,
            entry_fields=(EntryField.VALUE, EntryField.EXPECTED_CLOSE_DATE),
        ),
        StageSpec(
            _("Negotiation"),
            80,
            rotting_days=14,
            typical_days=10,
            loss_chance=0.25,
            step_back_chance=0.08,
            entry_fields=(EntryField.CONTACT,),
        ),
        StageSpec(_("Won"), 100, kind=StageKind.WON),
        StageSpec(_("Lost"), 0, kind=StageKind.LOST),
    ),
)

RENEWALS = PipelineSpec(
    name=_("Renewals"),
    share=0.2,
    stages=(
        StageSpec(_("Upcoming"), 70, rotting_days=30, typical_days=20, loss_chance=0.08),
        StageSpec(
            _("In discussion"),
            85,
            rotting_days=14,
            typical_days=10,
            loss_chance=0.12,
            entry_fields=(EntryField.CONTACT,),
        ),
        StageSpec(_("Renewed"), 100, kind=StageKind.WON),
        StageSpec(_("Churned"), 0, kind=StageKind.LOST),
    ),
)

PIPELINES: tuple[PipelineSpec, ...] = (NEW_BUSINESS, RENEWALS)


@dataclass
class Layout:
    """A created pipeline with its stages, in the spec's order."""

    spec: PipelineSpec
    pipeline: Pipeline
    stages: list[Stage] = field(default_factory=list)

    @property
    def open_count(self) -> int:
        """Open stages come first, so this is also the index of the won stage."""
        return len(self.spec.stages) - 2

    @property
    def lost(self) -> int:
        return len(self.spec.stages) - 1

    @cached_property
    def checklists(self) -> list[list[str]]:
        """Each stage's entry checklist, translated once rather than once per deal."""
        return [[str(item) for item in stage.entry_checklist] for stage in self.spec.stages]

    @cached_property
    def stage_ids(self) -> list[int]:
        return [stage.pk for stage in self.stages]

    @cached_property
    def entry_pool(self) -> list[int]:
        """Entry stage indexes, each repeated by its weight: rng.choice is cheaper than choices."""
        return [
            index for index, weight in enumerate(self.spec.entry_weights) for _ in range(weight)
        ]

    @cached_property
    def contact_required(self) -> list[bool]:
        return [EntryField.CONTACT in stage.entry_fields for stage in self.spec.stages]


def create_pipelines(clock: Clock) -> list[Layout]:
    layouts = []
    for position, spec in enumerate(PIPELINES):
        pipeline = Pipeline.objects.create(
            name=str(spec.name), position=position, created_at=clock.history_start
        )
        stages = Stage.objects.bulk_create(
            [
                Stage(
                    pipeline=pipeline,
                    name=str(stage.name),
                    position=index,
                    probability=stage.probability,
                    kind=stage.kind,
                    rotting_days=stage.rotting_days,
                    entry_fields=[str(name) for name in stage.entry_fields],
                    entry_checklist=[str(item) for item in stage.entry_checklist],
                )
                for index, stage in enumerate(spec.stages)
            ]
        )
        layouts.append(Layout(spec=spec, pipeline=pipeline, stages=stages))
    return layouts
