"""Reads of API tokens, each starting from the organisation."""

from django.db.models import QuerySet

from api.models import ApiToken
from tenants.models import Organization


def api_token_list(*, organization: Organization) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(organization=organization).select_related(
        "created_by", "revoked_by"
    )
