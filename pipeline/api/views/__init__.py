from pipeline.api.views.activity import TaskViewSet, TouchpointViewSet
from pipeline.api.views.conversion import ConvertLeadView
from pipeline.api.views.custom_fields import CustomFieldViewSet
from pipeline.api.views.opportunities import OpportunityViewSet
from pipeline.api.views.pipelines import PipelineViewSet, StageViewSet
from pipeline.api.views.products import LineItemViewSet, ProductViewSet

__all__ = [
    "ConvertLeadView",
    "CustomFieldViewSet",
    "LineItemViewSet",
    "OpportunityViewSet",
    "PipelineViewSet",
    "ProductViewSet",
    "StageViewSet",
    "TaskViewSet",
    "TouchpointViewSet",
]
