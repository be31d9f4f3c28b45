from django.core.management.base import BaseCommand, CommandError

from tenants.services import TenantError, organization_create, user_get_or_create


class Command(BaseCommand):
    help = "Create an organisation with an owner; creates the owner's account if it is new."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--slug", required=True)
        parser.add_argument("--owner-email", required=True)

    def handle(self, *args, name: str, slug: str, owner_email: str, **options) -> None:
        user, password = user_get_or_create(email=owner_email)
        try:
            organization = organization_create(name=name, slug=slug, owner=user)
        except TenantError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Created organisation {organization.name} (/o/{organization.slug}/).")
        if password:
            self.stdout.write(f"Created user {user.email} with one-time password: {password}")
            self.stdout.write("Change it after the first sign-in.")
        else:
            self.stdout.write(f"{user.email} already had an account and is now the owner.")
