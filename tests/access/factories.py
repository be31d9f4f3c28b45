"""Factories of the access models."""

from datetime import date

import factory

from access.models import (
    AccessReview,
    AccessReviewItem,
    CriticalSystem,
    ManualAccount,
    SystemKind,
)
from tests.factories import OrganizationFactory


class ManualSystemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CriticalSystem

    organization = factory.SubFactory(OrganizationFactory)
    kind = SystemKind.MANUAL
    name = factory.Sequence(lambda n: f"System {n}")


class ManualAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ManualAccount

    system = factory.SubFactory(ManualSystemFactory)
    organization = factory.SelfAttribute("system.organization")
    email = factory.Sequence(lambda n: f"manual{n}@example.com")
    name = factory.Sequence(lambda n: f"Manual {n}")


class AccessReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccessReview

    system = factory.SubFactory(ManualSystemFactory)
    organization = factory.SelfAttribute("system.organization")
    due_on = date(2030, 1, 1)


class AccessReviewItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccessReviewItem

    review = factory.SubFactory(AccessReviewFactory)
    organization = factory.SelfAttribute("review.organization")
    account_key = factory.Sequence(lambda n: f"key{n}@example.com")
    email = factory.SelfAttribute("account_key")
    identification = "not_identified"
