from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_url(context, number):
    """The current page's query string with `page` set to `number`: filters and tabs survive paging."""
    query = context["request"].GET.copy()
    query["page"] = number
    return f"?{query.urlencode()}"
