"""Factories for the check engine's models; synced records come from `tests.factories`."""

import factory
from django.utils import timezone

from checks.models import CheckResult, CheckStatus, SpecialCase
from tests.factories import OrganizationFactory


class SpecialCaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SpecialCase

    organization = factory.SubFactory(OrganizationFactory)
    check_code = "incident_closed_within_sla"
    entity_type = "incident"
    entity_id = factory.Sequence(lambda n: 900_000 + n)
    reason = "A test incident, not a real one."


class CheckResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheckResult

    organization = factory.SubFactory(OrganizationFactory)
    check_code = "incident_closed_within_sla"
    entity_type = "incident"
    entity_id = factory.Sequence(lambda n: 800_000 + n)
    status = CheckStatus.FAILING
    evaluated_status = factory.SelfAttribute("status")
    status_since = factory.LazyFunction(timezone.now)
    updated_at = factory.SelfAttribute("status_since")
