import random
from datetime import date, timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from tenants.models import Organization, OrgRole, StaffMember, StaffStatus
from tenants.services import organization_create

DEMO_EMAIL = "demo@sprintolike.local"
DEMO_PASSWORD = "demo-sprintolike-2026"
DEMO_ORG_SLUG = "demo"
DEMO_ORG_ROLES = ("SRE", "Backend engineer", "Support", "Engineering manager", "Finance")


class Command(BaseCommand):
    help = "Create (once) the demo organisation, its demo login and a staff directory."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--standin-port", type=int, default=8765)
        parser.add_argument("--seed", type=int, default=1)

    @transaction.atomic
    def handle(self, *args, standin_port: int, seed: int, **options) -> None:
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
            self._seed_staff(organization, seed)
        self.after_seed(organization=organization, standin_port=standin_port, seed=seed)
        self.stdout.write(self.style.SUCCESS("Demo ready at http://127.0.0.1:8000/"))
        self.stdout.write(f"  sign in as {DEMO_EMAIL} / {DEMO_PASSWORD}")

    def after_seed(self, *, organization: Organization, standin_port: int, seed: int) -> None:
        """Hook for later steps of the demo (connecting the stand-in)."""

    def _seed_staff(self, organization: Organization, seed: int) -> None:
        rng = random.Random(seed)
        roles = [OrgRole.objects.create(organization=organization, name=n) for n in DEMO_ORG_ROLES]
        first = ["Ada", "Grace", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Radia"]
        last = ["Lovelace", "Hopper", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie"]
        staff = []
        for number in range(40):
            name = f"{rng.choice(first)} {rng.choice(last)}"
            start = date(2022, 1, 1) + timedelta(days=rng.randrange(900))
            offboarded = rng.random() < 0.15
            staff.append(
                StaffMember(
                    organization=organization,
                    name=name,
                    email=f"{name.lower().replace(' ', '.')}{number}@example.com",
                    org_role=rng.choice(roles),
                    status=StaffStatus.OFFBOARDED if offboarded else StaffStatus.ACTIVE,
                    start_date=start,
                    last_working_day=start + timedelta(days=400) if offboarded else None,
                )
            )
        StaffMember.objects.bulk_create(staff)
