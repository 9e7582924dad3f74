"""Writes for the pipeline app, shared by the board, the API and the nightly jobs.

One module per concern; import from here so callers do not depend on the split.
"""

from pipeline.services.activity import (
    add_task,
    complete_task,
    log_touchpoint,
    reopen_task,
)
from pipeline.services.conversion import convert_lead
from pipeline.services.moves import (
    DealFields,
    EntryCriteriaNotMet,
    MoveConflict,
    MoveOutcome,
    move_opportunity,
)
from pipeline.services.opportunities import (
    check_new_opportunity,
    create_opportunity,
    first_open_stage,
    update_opportunity,
)
from pipeline.services.stages import (
    StageRemoval,
    add_stage,
    check_stage_removable,
    create_pipeline,
    delete_stage,
    rename_pipeline,
    reorder_stages,
    set_pipeline_active,
    set_stage_probability,
    update_stage,
)

__all__ = [
    "DealFields",
    "EntryCriteriaNotMet",
    "MoveConflict",
    "MoveOutcome",
    "StageRemoval",
    "add_stage",
    "add_task",
    "check_new_opportunity",
    "check_stage_removable",
    "complete_task",
    "convert_lead",
    "create_opportunity",
    "create_pipeline",
    "delete_stage",
    "first_open_stage",
    "log_touchpoint",
    "move_opportunity",
    "rename_pipeline",
    "reopen_task",
    "reorder_stages",
    "set_pipeline_active",
    "set_stage_probability",
    "update_opportunity",
    "update_stage",
]
