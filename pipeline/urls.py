from django.urls import path

from pipeline.views import (
    board,
    custom_field_settings,
    deal_custom_fields,
    deals,
    lead_activity,
    lead_conversion,
    my_day,
    settings,
)
from pipeline.views.deal_list import DealListView

app_name = "pipeline"

urlpatterns = [
    # The board: page, column pages, polling and moves.
    path("pipelines/<int:pk>/board/", board.board_page, name="board"),
    path(
        "pipelines/<int:pk>/board/stages/<int:stage_pk>/cards/",
        board.column_cards,
        name="board_column",
    ),
    path("pipelines/<int:pk>/board/changes/", board.board_changes, name="board_changes"),
    path("deals/<int:pk>/card/", board.card, name="card"),
    path("deals/<int:pk>/move/", board.move, name="move"),
    # Deals: the list and its CSV export.
    path("deals/", DealListView.as_view(), name="deal_list"),
    path("deals/export.csv", DealListView.as_view(export=True), name="deal_export"),
    # Deals: detail page and side panel, touchpoints and tasks.
    path("deals/<int:pk>/", deals.DealDetailView.as_view(), name="deal_detail"),
    path("deals/<int:pk>/touchpoints/", deals.log_touchpoint, name="log_touchpoint"),
    path("deals/<int:pk>/tasks/", deals.add_task, name="add_task"),
    path(
        "deals/<int:pk>/custom-fields/",
        deal_custom_fields.set_deal_custom_fields,
        name="set_deal_custom_fields",
    ),
    path("tasks/<int:pk>/complete/", deals.complete_task, name="complete_task"),
    path("tasks/<int:pk>/reopen/", deals.reopen_task, name="reopen_task"),
    # A rep's day: tasks due and stale deals, first things first.
    path("my-day/", my_day.my_day, name="my_day"),
    path("my-day/tasks/<int:pk>/done/", my_day.complete_task, name="my_day_complete_task"),
    # Leads and contacts: quick logging, and converting a lead into a deal.
    path(
        "leads/<int:pk>/touchpoints/",
        lead_activity.log_touchpoint,
        {"subject": "lead"},
        name="lead_log_touchpoint",
    ),
    path(
        "leads/<int:pk>/tasks/", lead_activity.add_task, {"subject": "lead"}, name="lead_add_task"
    ),
    path(
        "contacts/<int:pk>/touchpoints/",
        lead_activity.log_touchpoint,
        {"subject": "contact"},
        name="contact_log_touchpoint",
    ),
    path(
        "contacts/<int:pk>/tasks/",
        lead_activity.add_task,
        {"subject": "contact"},
        name="contact_add_task",
    ),
    path(
        "leads/<int:pk>/convert/",
        lead_conversion.ConvertLeadView.as_view(),
        name="convert_lead",
    ),
    # Pipeline and stage settings (admins).
    path("settings/pipelines/", settings.PipelineListView.as_view(), name="settings"),
    path(
        "settings/pipelines/<int:pk>/",
        settings.PipelineEditorView.as_view(),
        name="pipeline_settings",
    ),
    path(
        "settings/pipelines/<int:pk>/rename/",
        settings.RenamePipelineView.as_view(),
        name="rename_pipeline",
    ),
    path(
        "settings/pipelines/<int:pk>/active/",
        settings.SetPipelineActiveView.as_view(),
        name="set_pipeline_active",
    ),
    path("settings/pipelines/<int:pk>/stages/", settings.AddStageView.as_view(), name="add_stage"),
    path(
        "settings/pipelines/<int:pk>/stages/order/",
        settings.ReorderStagesView.as_view(),
        name="reorder_stages",
    ),
    path("settings/stages/<int:pk>/", settings.StageRowView.as_view(), name="stage_row"),
    path("settings/stages/<int:pk>/edit/", settings.StageEditView.as_view(), name="edit_stage"),
    path(
        "settings/stages/<int:pk>/delete/", settings.DeleteStageView.as_view(), name="delete_stage"
    ),
    # Custom fields of deals, companies, contacts and leads (admins).
    path(
        "settings/custom-fields/<str:record>/",
        custom_field_settings.CustomFieldListView.as_view(),
        name="custom_field_settings",
    ),
    path(
        "settings/custom-fields/<str:record>/order/",
        custom_field_settings.ReorderCustomFieldsView.as_view(),
        name="reorder_custom_fields",
    ),
    path(
        "settings/custom-fields/<str:record>/<int:pk>/",
        custom_field_settings.CustomFieldEditView.as_view(),
        name="edit_custom_field",
    ),
    path(
        "settings/custom-fields/<str:record>/<int:pk>/archive/",
        custom_field_settings.ArchiveCustomFieldView.as_view(),
        name="archive_custom_field",
    ),
]
