"""Create the database cache table when the cache is the database (no REDIS_URL).

Login and invitation throttles live in the cache; `migrate` runs on every deploy, so the table
exists wherever the app runs without anyone remembering `createcachetable`. Idempotent; does
nothing when the cache is Redis (or, in tests, in memory).
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor) -> None:
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("tenants", "0002_encrypt_mfa_secrets")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
