from django.apps import AppConfig


def _evaluate_after_connection_revoked(organization_id: int) -> None:
    """A revoked connection makes its checks not applicable (or their entities gone with the
    purged data): evaluate at once rather than at the next scheduled run."""
    from checks.tasks import organization_evaluation_enqueue

    organization_evaluation_enqueue(organization_id=organization_id)


class ChecksConfig(AppConfig):
    """The check engine. Domain apps register their checks and entity kinds in their own
    `ready()`; the engine only asks the sync to evaluate after each run and after a
    revocation."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "checks"
    verbose_name = "Checks"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from checks.models import SpecialCase
        from integrations.hooks import (
            register_after_sync_task,
            register_connection_revoked_listener,
        )
        from sprintolike.evidence import evidence_file_delete_on_commit

        post_delete.connect(
            evidence_file_delete_on_commit,
            sender=SpecialCase,
            dispatch_uid="special-case-evidence",
        )
        register_after_sync_task("checks.tasks.evaluate_organization_after_sync")
        register_connection_revoked_listener(_evaluate_after_connection_revoked)

        from checks.dashboard import posture_context
        from tenants.dashboard import register_dashboard_panel

        register_dashboard_panel(
            "checks_posture",
            order=10,
            template="checks/dashboard_posture.html",
            context=posture_context,
        )
