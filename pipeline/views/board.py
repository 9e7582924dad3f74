"""The board: one column per stage of a pipeline, cards in board order.

One URL serves the page and, for htmx (the filter form, a refresh), the ``#board``
fragment. Beside it: a column's next cards ("Load more"), one card (refreshed after the
deal panel changed it), and the polling endpoint that answers 204 while nothing changed.
Moves live in ``board_moves``. The reads are in ``pipeline.board``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET
from django_htmx.http import reswap, retarget, trigger_client_event

from accounts.models import Team
from core.htmx import login_required_for_htmx
from pipeline.board import (
    CLOSED_COLUMN_DAYS,
    BoardFilters,
    Column,
    board_card,
    board_stages,
    build_columns,
    column_page,
    filter_owners,
    filter_products,
    matching_deals,
    summarise_columns,
)
from pipeline.board_changes import (
    BoardVersion,
    TooManyChanges,
    changed_cards,
    changes_since,
    current_version,
)
from pipeline.card_markup import CardMarkup
from pipeline.forms.board import BoardFilterForm
from pipeline.models import Opportunity, Pipeline

# The board's one write endpoint lives in its own module; routed as ``board.move``.
from pipeline.views.board_moves import TEMPLATE, move

__all__ = ["board_changes", "board_page", "card", "column_cards", "move"]


def board_context(request: HttpRequest, pipeline: Pipeline, filters: BoardFilters) -> dict:
    """Everything the ``#board`` fragment shows: four queries whatever the deal count."""
    now = timezone.now()
    # Read before the cards: a write the cards miss is then newer than the version.
    version = current_version()
    stages = board_stages(pipeline)
    return {
        "pipeline": pipeline,
        "stages": stages,
        "card_markup": CardMarkup(filters.query_string()),
        "columns": build_columns(request.user, pipeline, stages, filters, now),
        "filters": filters,
        "filter_query": filters.query_string(),
        "board_version": version,
        "closed_column_days": CLOSED_COLUMN_DAYS,
    }


def teams_of(owners: list[Any]) -> list[Team]:
    teams = {owner.team.pk: owner.team for owner in owners if owner.team is not None}
    return sorted(teams.values(), key=lambda team: team.name)


def _wants_board_fragment(request: HttpRequest) -> bool:
    htmx = request.htmx
    # On a history-cache miss htmx asks for the whole page again.
    return bool(htmx) and htmx.target == "board" and not htmx.history_restore_request


@login_required_for_htmx
@require_GET
def board_page(request: HttpRequest, pk: int) -> HttpResponse:
    # One query for the switcher and the current pipeline: an inactive pipeline can still
    # be opened by its address, but is not offered in the switcher.
    pipelines = list(Pipeline.objects.filter(Q(is_active=True) | Q(pk=pk)))
    pipeline = next((candidate for candidate in pipelines if candidate.pk == pk), None)
    if pipeline is None:
        raise Http404
    form = BoardFilterForm(request.GET)
    context = board_context(request, pipeline, form.filters())
    context.update(
        pipelines=[candidate for candidate in pipelines if candidate.is_active],
        filter_form=form,
    )
    if _wants_board_fragment(request):
        response = render(request, f"{TEMPLATE}#board-refresh", context)
    else:
        owners = filter_owners(request.user)
        context.update(owners=owners, teams=teams_of(owners), products=filter_products())
        response = render(request, TEMPLATE, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@login_required_for_htmx
@require_GET
def board_changes(request: HttpRequest, pk: int) -> HttpResponse:
    """Polled every few seconds with the board's version: what changed since.

    204 while nothing did (one query beyond the session's), with the new version in a
    ``boardVersion`` event when only deals the user cannot see did. Else the changed
    cards, each with the card it goes under (or none: it left the board), in a new
    poller carrying the new version, and their columns' headers out of band. A board
    drawn too long ago, or behind by more changes than are worth patching, is redrawn.
    """
    now = timezone.now()
    since = BoardVersion.parse(request.GET.get("since", ""))
    if since is None or not since.is_honoured(now):
        return _redrawn(request, pk)
    try:
        changes = changes_since(request.user, pk, since)
    except TooManyChanges:
        return _redrawn(request, pk)
    if changes is None:
        return HttpResponse(status=204)
    if not changes.deal_ids:
        response = HttpResponse(status=204)
        return trigger_client_event(response, "boardVersion", {"since": str(changes.version)})
    pipeline = _pipeline_or_404(pk)
    filters = BoardFilterForm(request.GET).filters()
    stages = board_stages(pipeline)
    context = {
        "pipeline": pipeline,
        "board_version": changes.version,
        "filter_query": filters.query_string(),
        "card_markup": CardMarkup(filters.query_string()),
        "changed_cards": changed_cards(
            request.user, pipeline.pk, stages, filters, changes.deal_ids, now
        ),
        "header_columns": summarise_columns(
            request.user,
            pipeline,
            [stage for stage in stages if stage.pk in changes.stage_ids],
            filters,
            now,
        ),
        "closed_column_days": CLOSED_COLUMN_DAYS,
    }
    response = render(request, f"{TEMPLATE}#board-changes", context)
    response = reswap(retarget(response, "#board-poller"), "outerHTML")
    # After the swap: board.js then finds the new poller's cards and puts them in place.
    return trigger_client_event(response, "boardChanged", after="swap")


def _pipeline_or_404(pk: int) -> Pipeline:
    try:
        return Pipeline.objects.get(pk=pk)
    except Pipeline.DoesNotExist:
        raise Http404 from None


def _redrawn(request: HttpRequest, pk: int) -> HttpResponse:
    """The whole ``#board``, for a poll too far behind to patch."""
    filters = BoardFilterForm(request.GET).filters()
    context = board_context(request, _pipeline_or_404(pk), filters)
    return render(request, f"{TEMPLATE}#board", context)


@login_required_for_htmx
@require_GET
def column_cards(request: HttpRequest, pk: int, stage_pk: int) -> HttpResponse:
    """The next cards of one column after the cursor ``after``, and a new "Load more"."""
    stages = board_stages(pk)
    stage = next((candidate for candidate in stages if candidate.pk == stage_pk), None)
    if stage is None:
        raise Http404
    filters = BoardFilterForm(request.GET).filters()
    now = timezone.now()
    deals = matching_deals(request.user, filters)
    cards, next_cursor = column_page(deals, stage, request.GET.get("after", ""), now)
    context = {
        "cards": cards,
        "card_markup": CardMarkup(filters.query_string()),
        "column": Column(stage=stage, next_cursor=next_cursor),
        "stages": stages,
        "filter_query": filters.query_string(),
    }
    return render(request, f"{TEMPLATE}#column-page", context)


@login_required_for_htmx
@require_GET
def card(request: HttpRequest, pk: int) -> HttpResponse:
    """One card, as the board shows it: refreshed after the deal panel changed the deal.

    With ``columns``, also its column's header out of band: an edit of the value, the
    currency or the owner changes the column's count and totals.
    """
    now = timezone.now()
    try:
        deal = board_card(request.user, pk, now)
    except Opportunity.DoesNotExist:
        raise Http404 from None
    filters = BoardFilterForm(request.GET).filters()
    stages = board_stages(deal.pipeline_id)
    headers: list[Column] = []
    if request.GET.get("columns"):
        headers = summarise_columns(
            request.user,
            deal.pipeline_id,
            [stage for stage in stages if stage.pk == deal.stage_id],
            filters,
            now,
        )
    context = {
        "deal": deal,
        "stages": stages,
        "filter_query": filters.query_string(),
        "header_columns": headers,
        "closed_column_days": CLOSED_COLUMN_DAYS,
    }
    return render(request, f"{TEMPLATE}#card-changed", context)
