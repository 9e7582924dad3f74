from pipeline.api.views.activity import TaskViewSet, TouchpointViewSet
from pipeline.api.views.conversion import ConvertLeadView
from pipeline.api.views.custom_fields import CustomFieldViewSet
from pipeline.api.views.opportunities import OpportunityViewSet
from pipeline.api.views.pipelines import PipelineViewSet, StageViewSet

__all__ = [
    "ConvertLeadView",
    "CustomFieldViewSet",
    "OpportunityViewSet",
    "PipelineViewSet",
    "StageViewSet",
    "TaskViewSet",
    "TouchpointViewSet",
]
