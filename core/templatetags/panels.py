from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from core import panels as registry

register = template.Library()


@register.simple_tag(takes_context=True)
def panels(context, page):
    """Every section registered for `page` (core.panels), rendered in registration order."""
    request = context.get("request")
    html = []
    for template_name, make_context in registry.of(page):
        extra = make_context(request)
        if extra is not None:
            html.append(render_to_string(template_name, extra, request=request))
    return mark_safe("".join(html))
