"""Pipelines, stages, deals, touchpoints and tasks as the API shows and accepts them.

Fields only the services set (version, position, status, stage_entered_at, ...) are read
only: a client sending them changes nothing. Related records are named by id and resolved
through ``visible_to``, owners and assignees through ``assignable_users``. One module per
part of the API; import from here.
"""

from pipeline.api.serializers.activity import TaskSerializer, TouchpointSerializer
from pipeline.api.serializers.conversion import ConvertLeadSerializer
from pipeline.api.serializers.deals import (
    MAX_VERSION,
    CurrentDealSerializer,
    LostSerializer,
    MoveConflictSerializer,
    MoveSerializer,
    OpportunityCreateSerializer,
    OpportunitySerializer,
    WonSerializer,
    version_field,
)
from pipeline.api.serializers.pipelines import (
    STAGE_FIELDS,
    PipelineSerializer,
    StageRemovalSerializer,
    StageSerializer,
    StageUpdateSerializer,
    StageWriteSerializer,
)

__all__ = [
    "MAX_VERSION",
    "STAGE_FIELDS",
    "ConvertLeadSerializer",
    "CurrentDealSerializer",
    "LostSerializer",
    "MoveConflictSerializer",
    "MoveSerializer",
    "OpportunityCreateSerializer",
    "OpportunitySerializer",
    "PipelineSerializer",
    "StageRemovalSerializer",
    "StageSerializer",
    "StageUpdateSerializer",
    "StageWriteSerializer",
    "TaskSerializer",
    "TouchpointSerializer",
    "WonSerializer",
    "version_field",
]
