"""Factories for the checks app's models; synced records come from `tests.factories`."""

import factory
from django.utils import timezone

from checks.models import (
    CheckResult,
    CheckStatus,
    DataLossAnswer,
    Disclosure,
    EntityType,
    IncidentPolicy,
    IncidentReview,
    IncidentSource,
    PrioritySla,
    SpecialCase,
    Stakeholder,
)
from tests.factories import (
    OrganizationFactory,
    RemoteIncidentFactory,
    RemotePriorityFactory,
    RemoteServiceFactory,
)


class IncidentPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IncidentPolicy

    organization = factory.SubFactory(OrganizationFactory)


class IncidentSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IncidentSource

    service = factory.SubFactory(RemoteServiceFactory)
    organization = factory.SelfAttribute("service.organization")


class PrioritySlaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PrioritySla

    priority = factory.SubFactory(RemotePriorityFactory)
    organization = factory.SelfAttribute("priority.organization")
    sla_hours = 4


class IncidentReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IncidentReview

    incident = factory.SubFactory(RemoteIncidentFactory)
    organization = factory.SelfAttribute("incident.organization")
    data_loss = DataLossAnswer.NOT_ANSWERED


class DisclosureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Disclosure

    review = factory.SubFactory(IncidentReviewFactory, data_loss=DataLossAnswer.YES)
    organization = factory.SelfAttribute("review.organization")
    stakeholder = Stakeholder.REGULATOR


class SpecialCaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SpecialCase

    organization = factory.SubFactory(OrganizationFactory)
    check_code = "incident_closed_within_sla"
    entity_type = EntityType.INCIDENT
    entity_id = factory.Sequence(lambda n: 900_000 + n)
    reason = "A test incident, not a real one."


class CheckResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheckResult

    organization = factory.SubFactory(OrganizationFactory)
    check_code = "incident_closed_within_sla"
    entity_type = EntityType.INCIDENT
    entity_id = factory.Sequence(lambda n: 800_000 + n)
    status = CheckStatus.FAILING
    evaluated_status = factory.SelfAttribute("status")
    status_since = factory.LazyFunction(timezone.now)
    updated_at = factory.SelfAttribute("status_since")
