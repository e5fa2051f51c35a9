from django import template
from django.http import QueryDict

from sao.core import labels
from sao.org.identifiers import format_nip

register = template.Library()


@register.filter
def nip(value: str | None) -> str:
    return format_nip(value) if value else ""


@register.filter
def length_of(plan, action: str) -> int:
    return plan.count(action)


@register.simple_tag
def query_with(request, **changes) -> str:
    """Return the current query string with some parameters replaced (for pagination links)."""
    query: QueryDict = request.GET.copy()
    for key, value in changes.items():
        query[key] = value
    return query.urlencode()


@register.filter
def code_label(code: str | None, kind: str) -> str:
    """Show the translated label of a stored code: `{{ result.status|code_label:"status" }}`."""
    return labels.code_label(kind, code)


@register.filter
def flags_label(flags) -> str:
    return labels.flags_label(flags)
