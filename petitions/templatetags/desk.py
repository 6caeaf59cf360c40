from django import template
from django.utils import timezone

from liaison.core.workdays import calendar_warnings

from ..desk import waiting_for

register = template.Library()


@register.inclusion_tag("admin/petitions/_waiting.html", takes_context=True)
def waiting(context):
    """我的待办 for the signed-in user, on the work desk's home page."""
    request = context["request"]
    return {"rows": waiting_for(request.user)}


@register.inclusion_tag("admin/petitions/_calendar.html", takes_context=True)
def calendar_banner(context):
    """Office staff are told when next year's official holiday schedule (调休) is missing."""
    request = context["request"]
    office = request.user.is_superuser or request.user.has_perm("core.add_holiday")
    return {"warnings": calendar_warnings(timezone.localdate()) if office else []}
