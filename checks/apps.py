from django.apps import AppConfig


class ChecksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "checks"
    verbose_name = "Checks"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from checks.models import Disclosure
        from checks.storage import evidence_file_delete_on_commit
        from integrations.hooks import register_after_sync_task

        post_delete.connect(
            evidence_file_delete_on_commit, sender=Disclosure, dispatch_uid="disclosure-evidence"
        )

        register_after_sync_task("checks.tasks.evaluate_organization_after_sync")
