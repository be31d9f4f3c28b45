from django.db import migrations


def create_index(apps, schema_editor):
    """PostgreSQL only. Django's ``icontains`` is ``UPPER(title) LIKE UPPER('%term%')``, so the
    trigram index must be on ``UPPER(title)``: the one on ``title`` (0005) served only
    ``ILIKE``, which Django never writes, and every search read the whole table."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute("DROP INDEX IF EXISTS incident_title_trigram")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS incident_title_upper_trigram "
        "ON integrations_remoteincident USING gin (UPPER(title) gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS incident_title_upper_trigram")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS incident_title_trigram "
        "ON integrations_remoteincident USING gin (title gin_trgm_ops)"
    )


class Migration(migrations.Migration):
    dependencies = [("integrations", "0005_incident_list_indexes")]

    operations = [migrations.RunPython(create_index, drop_index)]
