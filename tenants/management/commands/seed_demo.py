import random
import time
from datetime import date, timedelta

import requests
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tenants.models import Organization, OrgRole, StaffMember, StaffStatus
from tenants.services import organization_create

DEMO_EMAIL = "demo@sprintolike.local"
DEMO_PASSWORD = "demo-sprintolike-2026"
DEMO_ORG_SLUG = "demo"
DEMO_ORG_ROLES = ("SRE", "Backend engineer", "Support", "Engineering manager", "Finance")


class Command(BaseCommand):
    help = (
        "Create (once) the demo organisation, its login, a staff directory matching the "
        "local PagerDuty stand-in's users and GitHub as a critical system kept by hand, and "
        "connect it to the stand-in."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seed", type=int, default=1, help="The stand-in's --seed")
        parser.add_argument("--users", type=int, default=300, help="The stand-in's --users")
        parser.add_argument(
            "--standin-url",
            default="",
            help="Connect the demo org to the stand-in at this URL (waits up to 30 s for it)",
        )
        parser.add_argument("--api-key", default="standin-readonly-key")

    def handle(
        self, *args, seed: int, users: int, standin_url: str, api_key: str, **options
    ) -> None:
        organization, user = self._organization_and_login(seed=seed, user_count=users)
        from access.demo import manual_system_demo_seed

        self.stdout.write(manual_system_demo_seed(organization=organization, user=user))
        if standin_url:
            self._connect(organization=organization, user=user, url=standin_url, api_key=api_key)
            self._add_spend(organization=organization, user=user)
            from access.demo import access_demo_seed

            self.stdout.write(
                access_demo_seed(organization=organization, user=user, standin_url=standin_url)
            )
        self.stdout.write(self.style.SUCCESS("Demo ready at http://127.0.0.1:8000/"))
        self.stdout.write(f"  sign in as {DEMO_EMAIL} / {DEMO_PASSWORD}")

    @transaction.atomic
    def _organization_and_login(self, *, seed: int, user_count: int):
        user_model = get_user_model()
        user = user_model.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            user = user_model.objects.create_user(
                username=DEMO_EMAIL, email=DEMO_EMAIL, password=DEMO_PASSWORD
            )
            EmailAddress.objects.create(user=user, email=DEMO_EMAIL, primary=True, verified=True)
        organization = Organization.objects.filter(slug=DEMO_ORG_SLUG).first()
        if organization is None:
            organization = organization_create(name="Demo Org", slug=DEMO_ORG_SLUG, owner=user)
            self._seed_staff(organization, seed=seed, user_count=user_count)
        return organization, user

    def _seed_staff(self, organization: Organization, *, seed: int, user_count: int) -> None:
        """Staff who mostly match the stand-in's PagerDuty users, so access checks have a story:
        most accounts belong to active staff, a few to people who left, some to nobody."""
        from pagerduty_standin import generate_dataset

        rng = random.Random(seed)
        roles = [OrgRole.objects.create(organization=organization, name=n) for n in DEMO_ORG_ROLES]
        dataset = generate_dataset(seed=seed, user_count=user_count, incident_count=0)
        staff = []
        for remote_user in dataset.users:
            roll = rng.random()
            if roll < 0.08:
                continue  # an account nobody in the directory owns
            start = date(2021, 1, 1) + timedelta(days=rng.randrange(1200))
            offboarded = roll > 0.93
            staff.append(
                StaffMember(
                    organization=organization,
                    name=remote_user.name,
                    email=remote_user.email.lower(),
                    org_role=rng.choice(roles),
                    status=StaffStatus.OFFBOARDED if offboarded else StaffStatus.ACTIVE,
                    start_date=start,
                    last_working_day=date.today() - timedelta(days=rng.randrange(5, 90))
                    if offboarded
                    else None,
                )
            )
        for number in range(5):
            staff.append(
                StaffMember(
                    organization=organization,
                    name=f"New Hire {number + 1}",
                    email=f"new.hire{number + 1}@example.com",
                    org_role=rng.choice(roles),
                    start_date=date.today() - timedelta(days=number),
                )
            )
        StaffMember.objects.bulk_create(staff)

    def _connect(self, *, organization: Organization, user, url: str, api_key: str) -> None:
        from integrations.pagerduty.connect import ConnectError, connect_with_api_key

        if organization.connections.exists():
            return
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(url, timeout=2)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise CommandError(f"The PagerDuty stand-in at {url} did not start.") from None
                time.sleep(0.5)
        try:
            connection = connect_with_api_key(
                organization=organization,
                api_key=api_key,
                region="us",
                purposes=["incident_management", "access_management", "spend"],
                acting_user=user,
            )
        except ConnectError as error:
            raise CommandError(f"Could not connect the demo to the stand-in: {error}") from None
        self.stdout.write(
            f"Connected the demo org to the PagerDuty stand-in ({connection.subdomain})."
        )

    def _add_spend(self, *, organization: Organization, user) -> None:
        """PagerDuty under Spend, billed annually and renewing soon; its tiers are priced at the
        published list prices once the first sync has read the licenses."""
        from spend.services import service_add_pagerduty

        if organization.saas_services.exists():
            return
        service = service_add_pagerduty(organization=organization, acting_user=user)
        service.billing_cycle = "annual"
        service.renewal_date = date.today() + timedelta(days=45)
        service.save(update_fields=["billing_cycle", "renewal_date", "updated_at"])
        self.stdout.write("Added PagerDuty under Spend.")
