"""Schemathesis against the live server over a small dataset: generated requests to every
operation (with an admin token, so writes run too) get no server error and no response that
breaks the schema (status codes, content type and body)."""

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import openapi
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from api.models import TokenRole
from api.throttling import ApiTokenRateThrottle
from tests.api.conftest import make_dataset
from tests.api.factories import ApiTokenFactory
from tests.factories import OrganizationFactory

MAX_EXAMPLES = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
SECRET = "spl_schemathesis-admin-token"


def _pin_path_parameters(schema: dict, values: dict[str, list]) -> dict:
    """Path parameters drawn from the dataset (and one missing id), so requests reach real
    objects instead of 404ing on random ids."""
    for operations in schema["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] in values:
                    parameter["schema"] = {**parameter["schema"], "enum": values[parameter["name"]]}
    return schema


@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    live_server, client, monkeypatch, evidence_root
):
    monkeypatch.setattr(ApiTokenRateThrottle, "THROTTLE_RATES", {"api": "100000/min"})
    organization = OrganizationFactory(slug="fuzz")
    data = make_dataset(organization)
    ApiTokenFactory(organization=organization, role=TokenRole.ADMIN, secret=SECRET)
    from checks.models import SpecialCase

    special_case = SpecialCase.objects.create(
        organization=organization,
        check_code="incident_closed_within_sla",
        entity_type="incident",
        entity_id=data["incidents"][1].pk,
        reason="fuzz",
    )
    raw = client.get(reverse("api:schema") + "?format=json").json()
    schema = openapi.from_dict(
        _pin_path_parameters(
            raw,
            {
                "org_slug": ["fuzz"],
                "incident_id": [incident.pk for incident in data["incidents"]] + [987654],
                "staff_id": [person.pk for person in data["staff"]] + [987654],
                "connection_id": [data["connection"].pk, 987654],
                "special_case_id": [special_case.pk, 987654],
                "account_id": [account.pk for account in data["accounts"]] + [987654],
                "system_id": [data["pagerduty_system"].pk, data["manual_system"].pk, 987654],
                "review_id": [data["review"].pk, 987654],
                "service_id": [data["saas_service"].pk, data["manual_service"].pk, 987654],
                "check_code": ["incident_closed_within_sla", "incident_data_loss_recorded", "nope"],
            },
        )
    )
    headers = {"Authorization": f"Bearer {SECRET}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            response = case.call(base_url=live_server.url, headers=headers)
            case.validate_response(response, checks=CHECKS)

        run()
