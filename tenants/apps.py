from django.apps import AppConfig


def _staff_imported(organization) -> bool:
    return organization.staff_members.exists()


def _staff_import_url(organization) -> str:
    from django.urls import reverse

    return reverse("tenants:staff_import", args=[organization.slug])


class TenantsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tenants"

    def ready(self) -> None:
        from tenants.dashboard import register_setup_step

        register_setup_step(
            "import_staff",
            order=20,
            title="Import your staff",
            hint="Upload the staff directory (CSV) so checks can tell staff from leavers.",
            done=_staff_imported,
            url=_staff_import_url,
        )
