"""`{% dashboard_panel panel %}`: renders a registered panel's template inside the page's own
context (current_org, can, csrf...) plus the panel's context, without running the context
processors again for each panel."""

from django import template
from django.template.loader import get_template
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag(takes_context=True)
def dashboard_panel(context: template.Context, panel) -> SafeString:
    panel_template = get_template(panel.template).template
    with context.push(panel.context):
        return panel_template.render(context)
