from django import template

from ..desk import waiting_for

register = template.Library()


@register.inclusion_tag("admin/petitions/_waiting.html", takes_context=True)
def waiting(context):
    """我的待办 for the signed-in user, on the work desk's home page."""
    request = context["request"]
    return {"rows": waiting_for(request.user)}
