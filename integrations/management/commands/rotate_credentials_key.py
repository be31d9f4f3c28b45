from django.core.management.base import BaseCommand
from django.db import transaction

from integrations.models import Connection
from tenants.mfa_secrets import mfa_secrets_reencrypt

SECRET_FIELDS = ["access_token", "refresh_token", "api_key"]


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored credential and MFA secret with the first key of "
        "CREDENTIALS_ENCRYPTION_KEYS. "
        "Put the new key first, keep the old ones after it, run this, then drop the old keys."
    )

    def handle(self, *args, **options) -> None:
        count = 0
        for connection_id in Connection.objects.values_list("pk", flat=True).iterator():
            with transaction.atomic():
                connection = Connection.objects.select_for_update().get(pk=connection_id)
                connection.save(update_fields=SECRET_FIELDS)
            count += 1
        self.stdout.write(f"Re-encrypted the credentials of {count} connection(s).")
        authenticators = mfa_secrets_reencrypt()
        self.stdout.write(f"Re-encrypted {authenticators} MFA authenticator(s).")
