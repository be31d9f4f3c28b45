"""The "Configure access" step of the dashboard's setup checklist: PagerDuty is a critical
system and its valid access is set (all staff, or role-based with at least one org role)."""

from typing import Any

from django.db.models import Q
from django.urls import reverse

from access.models import CriticalSystem, SystemKind, ValidAccessMode


def access_configured(organization: Any) -> bool:
    return (
        CriticalSystem.objects.filter(organization=organization, kind=SystemKind.PAGERDUTY)
        .filter(
            Q(valid_access_mode=ValidAccessMode.ALL_STAFF)
            | Q(valid_access_mode=ValidAccessMode.ROLE_BASED, allowances__isnull=False)
        )
        .exists()
    )


def access_url(organization: Any) -> str:
    system = (
        CriticalSystem.objects.filter(organization=organization, kind=SystemKind.PAGERDUTY)
        .values_list("pk", flat=True)
        .first()
    )
    if system is None:
        return reverse("access:overview", args=[organization.slug])
    return reverse("access:system_configure", args=[organization.slug, system])
