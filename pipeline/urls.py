from django.urls import path

from pipeline.views import (
    board,
    buying_role_settings,
    buying_team,
    custom_field_settings,
    deal_custom_fields,
    deal_edit,
    deals,
    lead_activity,
    lead_conversion,
    line_items,
    my_day,
    new_deal,
    product_settings,
    settings,
)
from pipeline.views.deal_list import DealListView
from pipeline.views.task_list import TaskListView

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
    # A new deal: its page, and the board's dialog.
    path("deals/new/", new_deal.new_deal, name="new_deal"),
    # Deals: detail page and side panel, touchpoints and tasks.
    path("deals/<int:pk>/", deals.DealDetailView.as_view(), name="deal_detail"),
    path("deals/<int:pk>/edit/", deal_edit.DealEditView.as_view(), name="edit_deal"),
    path("deals/<int:pk>/edit/<str:part>/", deal_edit.edit_part, name="edit_deal_part"),
    path("deals/<int:pk>/reopen/", deal_edit.reopen_deal, name="reopen_deal"),
    path("deals/<int:pk>/touchpoints/", deals.log_touchpoint, name="log_touchpoint"),
    path("deals/<int:pk>/tasks/", deals.add_task, name="add_task"),
    # Deals: their products (line items).
    path("deals/<int:pk>/line-items/", line_items.add, name="add_line_item"),
    path(
        "deals/<int:pk>/line-items/<int:item_pk>/",
        line_items.change,
        name="change_line_item",
    ),
    path(
        "deals/<int:pk>/line-items/<int:item_pk>/remove/",
        line_items.remove,
        name="remove_line_item",
    ),
    path(
        "deals/<int:pk>/custom-fields/",
        deal_custom_fields.set_deal_custom_fields,
        name="set_deal_custom_fields",
    ),
    path("tasks/<int:pk>/complete/", deals.complete_task, name="complete_task"),
    path("tasks/<int:pk>/reopen/", deals.reopen_task, name="reopen_task"),
    # Deals: the buying team in the panel.
    path("deals/<int:pk>/buying-team/", buying_team.add_member, name="buying_team_add"),
    path(
        "deals/<int:pk>/buying-team/contacts/",
        buying_team.contact_picker,
        name="buying_team_contacts",
    ),
    path(
        "deals/<int:pk>/buying-team/<int:member_pk>/role/",
        buying_team.change_role,
        name="buying_team_role",
    ),
    path(
        "deals/<int:pk>/buying-team/<int:member_pk>/primary/",
        buying_team.make_primary,
        name="buying_team_primary",
    ),
    path(
        "deals/<int:pk>/buying-team/<int:member_pk>/remove/",
        buying_team.remove_member,
        name="buying_team_remove",
    ),
    # A rep's day: tasks due and stale deals, first things first.
    path("tasks/", TaskListView.as_view(), name="task_list"),
    path("my-day/", my_day.my_day, name="my_day"),
    path("my-day/tasks/<int:pk>/done/", my_day.complete_task, name="my_day_complete_task"),
    # Leads, contacts and companies: quick logging, and converting a lead into a deal.
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
        "companies/<int:pk>/touchpoints/",
        lead_activity.log_touchpoint,
        {"subject": "company"},
        name="company_log_touchpoint",
    ),
    path(
        "companies/<int:pk>/tasks/",
        lead_activity.add_task,
        {"subject": "company"},
        name="company_add_task",
    ),
    path(
        "leads/<int:pk>/convert/",
        lead_conversion.ConvertLeadView.as_view(),
        name="convert_lead",
    ),
    # Buying roles (admins).
    path(
        "settings/buying-roles/",
        buying_role_settings.BuyingRolesView.as_view(),
        name="buying_roles",
    ),
    path(
        "settings/buying-roles/order/",
        buying_role_settings.ReorderBuyingRolesView.as_view(),
        name="reorder_buying_roles",
    ),
    path(
        "settings/buying-roles/<int:pk>/",
        buying_role_settings.BuyingRoleView.as_view(),
        name="buying_role",
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
    # The product catalogue (admins).
    path("settings/products/", product_settings.ProductListView.as_view(), name="product_settings"),
    path("settings/products/new/", product_settings.AddProductView.as_view(), name="add_product"),
    path(
        "settings/products/<int:pk>/",
        product_settings.EditProductView.as_view(),
        name="edit_product",
    ),
    path(
        "settings/products/<int:pk>/active/",
        product_settings.SetProductActiveView.as_view(),
        name="set_product_active",
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
