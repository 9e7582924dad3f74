"""``{% render_panel panel %}``: a panel an app above contacts adds to a record page.

It is ``{% include panel.template %}`` with the panel's own context on top of the page's, so
that the panel's template reads its values by name, whether a record page includes it or
the app's own endpoint renders it alone (the quick-log form answers its posts that way).
"""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from contacts.extensions import BoundPanel

register = template.Library()


@register.simple_tag(takes_context=True)
def render_panel(context: template.Context, panel: BoundPanel) -> SafeString:
    assert context.template is not None, "panels are rendered inside a page"
    panel_template = context.template.engine.get_template(panel.template)
    with context.push(panel.context):
        return panel_template.render(context)
