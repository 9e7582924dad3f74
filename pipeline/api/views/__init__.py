from pipeline.api.views.activity import TaskViewSet, TouchpointViewSet
from pipeline.api.views.conversion import ConvertLeadView
from pipeline.api.views.opportunities import OpportunityViewSet
from pipeline.api.views.pipelines import PipelineViewSet, StageViewSet

__all__ = [
    "ConvertLeadView",
    "OpportunityViewSet",
    "PipelineViewSet",
    "StageViewSet",
    "TaskViewSet",
    "TouchpointViewSet",
]
