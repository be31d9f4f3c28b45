from django.apps import AppConfig


def _evaluate_after_staff_changed(organization_id: int) -> None:
    """Offboarding, org roles and emails decide the access checks: evaluate them again."""
    from checks.tasks import organization_evaluation_enqueue

    organization_evaluation_enqueue(organization_id=organization_id)


class AccessConfig(AppConfig):
    """Access management (Data Library > Access): critical systems, valid access, identities,
    access reviews and the access checks."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "access"
    verbose_name = "Access"

    def ready(self) -> None:
        """Register the `account`, `system_account`, `staff` and `system` kinds, the access checks, and the
        after-sync task that verifies review follow-ups (the engine evaluates the checks
        after every sync by itself)."""
        from django.db.models.signals import post_delete

        from access.checks import ACCESS_CHECKS
        from access.entity import ACCESS_KINDS
        from access.models import AccessReview
        from checks.entity_kinds import entity_kind_register
        from checks.registry import check_register
        from integrations.hooks import register_after_sync_task
        from sprintolike.evidence import evidence_file_delete_on_commit
        from tenants.hooks import register_staff_changed_listener

        for kind in ACCESS_KINDS:
            entity_kind_register(kind)
        for check in ACCESS_CHECKS:
            check_register(check)
        register_after_sync_task("access.tasks.verify_follow_ups_after_sync")
        register_staff_changed_listener(_evaluate_after_staff_changed)

        from access.dashboard import access_configured, access_url
        from tenants.dashboard import register_setup_step

        register_setup_step(
            "configure_access",
            order=40,
            title="Configure access",
            hint="Add PagerDuty as a critical system and say who may hold which access.",
            done=access_configured,
            url=access_url,
        )
        post_delete.connect(
            evidence_file_delete_on_commit,
            sender=AccessReview,
            dispatch_uid="access-review-evidence",
        )
