"""``{% deal_card deal %}``: a board card, drawn by ``pipeline.card_markup``."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from pipeline.card_markup import CardMarkup
from pipeline.models import Opportunity

register = template.Library()


@register.simple_tag(takes_context=True)
def deal_card(context: template.Context, deal: Opportunity, oob: bool = False) -> SafeString:
    """The card of ``deal``, drawn by the context's ``card_markup`` (which the board's views
    make once for all the cards they answer), else by one made for this card."""
    markup = context.get("card_markup")
    if markup is None:
        markup = CardMarkup(context.get("filter_query") or "")
    return markup(deal, oob=bool(oob))
