from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        """Register the `incident` entity kind and the incident checks with the engine."""
        from django.db.models.signals import post_delete

        from checks.entity_kinds import entity_kind_register
        from checks.registry import check_register
        from incidents.checks import INCIDENT_CHECKS
        from incidents.dashboard import incident_policy_saved, incident_policy_url
        from incidents.entity import INCIDENT_KIND
        from incidents.models import Disclosure
        from sprintolike.evidence import evidence_file_delete_on_commit
        from tenants.dashboard import register_setup_step

        register_setup_step(
            "incident_sources",
            order=30,
            title="Choose incident sources",
            hint="Say which PagerDuty services hold incidents, and your SLAs; then save.",
            done=incident_policy_saved,
            url=incident_policy_url,
        )
        entity_kind_register(INCIDENT_KIND)
        for check in INCIDENT_CHECKS:
            check_register(check)
        post_delete.connect(
            evidence_file_delete_on_commit, sender=Disclosure, dispatch_uid="disclosure-evidence"
        )
