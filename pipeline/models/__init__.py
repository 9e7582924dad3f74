"""The pipeline app's models, one module per part of the domain.

``pipelines`` (Pipeline, Stage), ``deals`` (Opportunity, StageChange), ``history``
(DealChange), ``products`` (Product, ProductPrice, LineItem), ``buying_team`` (BuyingRole,
DealContact), ``activity`` (Touchpoint, Task), ``alerts`` (StageAlert), ``custom_fields``
(DealField), ``board_changes`` (BoardChange), ``tallies`` (OpenColumnTally,
ClosedColumnTally). Import them from here: ``from pipeline.models import Opportunity``.
"""

from pipeline.models.activity import (
    SUBJECT_FIELDS,
    Task,
    Touchpoint,
    TouchpointKind,
    TouchpointOutcome,
)
from pipeline.models.alerts import AlertKind, StageAlert
from pipeline.models.board_changes import BoardChange
from pipeline.models.buying_team import BuyingRole, DealContact
from pipeline.models.custom_fields import DealField
from pipeline.models.deals import (
    POSITION_GAP,
    ForecastCategory,
    Opportunity,
    OpportunityStatus,
    StageChange,
)
from pipeline.models.history import DealChange
from pipeline.models.pipelines import (
    EntryField,
    Pipeline,
    Stage,
    StageKind,
    board_order,
    board_rank,
)
from pipeline.models.products import LineItem, Product, ProductPrice
from pipeline.models.tallies import ClosedColumnTally, OpenColumnTally

__all__ = [
    "POSITION_GAP",
    "SUBJECT_FIELDS",
    "AlertKind",
    "BoardChange",
    "BuyingRole",
    "ClosedColumnTally",
    "DealChange",
    "DealContact",
    "DealField",
    "EntryField",
    "ForecastCategory",
    "LineItem",
    "OpenColumnTally",
    "Opportunity",
    "OpportunityStatus",
    "Pipeline",
    "Product",
    "ProductPrice",
    "Stage",
    "StageAlert",
    "StageChange",
    "StageKind",
    "Task",
    "Touchpoint",
    "TouchpointKind",
    "TouchpointOutcome",
    "board_order",
    "board_rank",
]
