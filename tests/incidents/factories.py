"""Factories for the incidents app's models; synced records come from `tests.factories`."""

import factory

from incidents.models import (
    DataLossAnswer,
    DataLossReview,
    Disclosure,
    IncidentPolicy,
    IncidentSource,
    PrioritySla,
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


class DataLossReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DataLossReview

    incident = factory.SubFactory(RemoteIncidentFactory)
    organization = factory.SelfAttribute("incident.organization")
    data_loss = DataLossAnswer.NOT_ANSWERED


class DisclosureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Disclosure

    review = factory.SubFactory(DataLossReviewFactory, data_loss=DataLossAnswer.YES)
    organization = factory.SelfAttribute("review.organization")
    stakeholder = Stakeholder.REGULATOR
