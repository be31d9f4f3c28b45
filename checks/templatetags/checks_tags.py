from django import template

from checks.models import CheckStatus

register = template.Library()

_LABELS = dict(CheckStatus.choices)


@register.filter
def status_label(status: str) -> str:
    """ "failing" -> "Failing"; blank for anything unknown."""
    return _LABELS.get(status, "")


@register.filter
def get_item(mapping: dict, key: str) -> object:
    return mapping.get(key) if mapping else None
