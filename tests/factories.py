"""Test data. One factory per model; tests ask for what they need and nothing more."""

from datetime import timedelta

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.utils import timezone

from integrations.models import (
    AuthType,
    Connection,
    ConnectionStatus,
    IncidentStatus,
    Purpose,
    RemoteAccount,
    RemoteIncident,
    RemoteIncidentStatusChange,
    RemoteLicense,
    RemotePriority,
    RemoteService,
    SyncRun,
    SyncTrigger,
)
from tenants.models import (
    INVITATION_LIFETIME,
    Invitation,
    Membership,
    Organization,
    OrgRole,
    Role,
    StaffMember,
    hash_invitation_token,
)

TEST_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    username = factory.LazyAttribute(lambda user: user.email)

    @factory.post_generation
    def password(user, create, extracted, **kwargs):  # noqa: N805
        user.set_password(extracted or TEST_PASSWORD)
        if create:
            user.save()
            EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Org {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Role.MEMBER


class OrgRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgRole

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Role {n}")


class StaffMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffMember

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Person {n}")
    email = factory.Sequence(lambda n: f"person{n}@example.com")


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation
        exclude = ["token"]

    organization = factory.SubFactory(OrganizationFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    role = Role.MEMBER
    token = factory.Sequence(lambda n: f"invitation-token-{n}")
    token_hash = factory.LazyAttribute(lambda invitation: hash_invitation_token(invitation.token))
    expires_at = factory.LazyFunction(lambda: timezone.now() + INVITATION_LIFETIME)


# --- Integrations -------------------------------------------------------------------------------


class ConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Connection

    organization = factory.SubFactory(OrganizationFactory)
    auth_type = AuthType.API_KEY
    region = "us"
    subdomain = factory.Sequence(lambda n: f"account{n}")
    api_key = "test-api-key"
    status = ConnectionStatus.CONNECTED
    purposes = factory.LazyFunction(
        lambda: [Purpose.INCIDENT_MANAGEMENT, Purpose.ACCESS_MANAGEMENT, Purpose.SPEND]
    )


class _SyncedRecordFactory(factory.django.DjangoModelFactory):
    connection = factory.SubFactory(ConnectionFactory)
    organization = factory.SelfAttribute("connection.organization")
    external_id = factory.Sequence(lambda n: f"P{n:06d}")


class RemoteServiceFactory(_SyncedRecordFactory):
    class Meta:
        model = RemoteService

    name = factory.Sequence(lambda n: f"Service {n}")
    status = "active"


class RemotePriorityFactory(_SyncedRecordFactory):
    class Meta:
        model = RemotePriority

    name = factory.Sequence(lambda n: f"P{n + 1}")
    rank = factory.Sequence(lambda n: n)


class RemoteLicenseFactory(_SyncedRecordFactory):
    class Meta:
        model = RemoteLicense

    name = "Business (Full User)"
    role_group = "FullUser"


class RemoteAccountFactory(_SyncedRecordFactory):
    class Meta:
        model = RemoteAccount

    name = factory.Sequence(lambda n: f"Remote User {n}")
    email = factory.Sequence(lambda n: f"remote{n}@example.com")
    role = "user"


class RemoteIncidentFactory(_SyncedRecordFactory):
    class Meta:
        model = RemoteIncident

    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Incident {n}")
    status = IncidentStatus.TRIGGERED
    urgency = "high"
    service = factory.SubFactory(
        RemoteServiceFactory,
        connection=factory.SelfAttribute("..connection"),
    )
    service_external_id = factory.SelfAttribute("service.external_id")
    created_at_remote = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    alert_count = 1


class RemoteIncidentStatusChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RemoteIncidentStatusChange

    incident = factory.SubFactory(RemoteIncidentFactory)
    connection = factory.SelfAttribute("incident.connection")
    organization = factory.SelfAttribute("incident.organization")
    external_id = factory.Sequence(lambda n: f"R{n:08d}")
    kind = "trigger"
    status = IncidentStatus.TRIGGERED
    at = factory.LazyAttribute(lambda change: change.incident.created_at_remote)


class SyncRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SyncRun

    connection = factory.SubFactory(ConnectionFactory)
    organization = factory.SelfAttribute("connection.organization")
    trigger = SyncTrigger.MANUAL
