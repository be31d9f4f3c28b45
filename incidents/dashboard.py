"""The "Choose incident sources" step of the dashboard's setup checklist."""

from typing import Any

from django.urls import reverse

from incidents.models import IncidentPolicy


def incident_policy_saved(organization: Any) -> bool:
    """The policy row exists once an admin saved the incident settings."""
    return IncidentPolicy.objects.filter(organization=organization).exists()


def incident_policy_url(organization: Any) -> str:
    return reverse("incidents:incident_policy_edit", args=[organization.slug])
