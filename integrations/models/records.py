"""Records synced from a connected account, keyed by (connection, external_id)."""

from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone

from integrations.models.connections import Connection
from integrations.pagerduty.roles import role_label


class SyncedRecord(models.Model):
    """Common columns of every record synced from a provider."""

    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.CASCADE, related_name="+"
    )
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=64)
    first_seen_at = models.DateTimeField(default=timezone.now)
    # When a sync last changed the record (the start of that run); an unchanged record is
    # never rewritten (see `integrations.pagerduty.sync.upsert`).
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True


class RemoteService(SyncedRecord):
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=30, blank=True)
    html_url = models.URLField(max_length=500, blank=True)
    email_addresses = models.JSONField(
        default=list, blank=True, help_text="Addresses of the service's email integrations."
    )
    last_incident_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "external_id"], name="unique_remote_service"
            )
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RemotePriority(SyncedRecord):
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    rank = models.PositiveIntegerField(help_text="0 is the most severe, as PagerDuty orders them.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "external_id"], name="unique_remote_priority"
            )
        ]
        ordering = ["rank"]
        verbose_name_plural = "remote priorities"

    def __str__(self) -> str:
        return self.name


class RemoteLicense(SyncedRecord):
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    role_group = models.CharField(max_length=50, blank=True)
    allocated_count = models.PositiveIntegerField(null=True, blank=True)
    available_count = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "external_id"], name="unique_remote_license"
            )
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RemoteAccount(SyncedRecord):
    """A user account in the remote system (a PagerDuty user)."""

    name = models.CharField(max_length=255)
    email = models.EmailField(help_text="Lower case.")
    role = models.CharField(max_length=50, blank=True)
    job_title = models.CharField(max_length=255, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    teams = models.JSONField(default=list, blank=True)
    html_url = models.URLField(max_length=500, blank=True)
    invitation_pending = models.BooleanField(default=False)
    license = models.ForeignKey(
        RemoteLicense, null=True, blank=True, on_delete=models.SET_NULL, related_name="accounts"
    )
    last_sign_in_at = models.DateTimeField(null=True, blank=True)
    # Activity and on-call facts from PagerDuty Analytics (null: not read, e.g. scope missing).
    signed_up = models.BooleanField(null=True, blank=True)
    on_schedule = models.BooleanField(null=True, blank=True)
    schedules_count = models.PositiveIntegerField(null=True, blank=True)
    on_escalation_policy = models.BooleanField(null=True, blank=True)
    escalation_policies_count = models.PositiveIntegerField(null=True, blank=True)
    downloaded_mobile_app = models.BooleanField(null=True, blank=True)
    removed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a sync first saw the account gone from PagerDuty."
    )
    removed_at_exact = models.DateTimeField(
        null=True, blank=True, help_text="When PagerDuty's audit records say it was deleted."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "external_id"], name="unique_remote_account"
            )
        ]
        indexes = [
            models.Index(fields=["organization", "email"]),
            # What a sync changed: the after-sync evaluation re-evaluates just those.
            models.Index(fields=["organization", "synced_at"], name="account_synced_at"),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    @property
    def is_on_call(self) -> bool | None:
        """On a schedule or an escalation policy; None when PagerDuty Analytics was not read.

        An on-call responder who only uses the mobile app rarely signs in on the web, so this,
        not last sign-in alone, says whether the account is in use."""
        if self.on_schedule is None and self.on_escalation_policy is None:
            return None
        return bool(self.on_schedule or self.on_escalation_policy)

    @property
    def role_label(self) -> str:
        return role_label(self.role)


class AccountChangeKind(models.TextChoices):
    ROLE = "role", "Role"
    LICENSE = "license", "License"
    REMOVED = "removed", "Removed"
    RESTORED = "restored", "Back in PagerDuty"


class RemoteAccountChange(models.Model):
    """Account history: a role or license change, a removal or a return seen between syncs
    (at the sync's time), or a removal read from PagerDuty's audit records (exact time)."""

    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.CASCADE, related_name="+"
    )
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(RemoteAccount, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=20, choices=AccountChangeKind.choices)
    before = models.CharField(max_length=255, blank=True)
    after = models.CharField(max_length=255, blank=True)
    at = models.DateTimeField()
    exact = models.BooleanField(
        default=False, help_text="From PagerDuty's audit records, not from the time of a sync."
    )
    audit_record_id = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [models.Index(fields=["account", "at"])]
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.before} → {self.after} at {self.at:%Y-%m-%d %H:%M}"


class IncidentStatus(models.TextChoices):
    TRIGGERED = "triggered", "Triggered"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


OPEN_INCIDENT_STATUSES = (IncidentStatus.TRIGGERED, IncidentStatus.ACKNOWLEDGED)


class RemoteIncident(SyncedRecord):
    number = models.PositiveIntegerField()
    title = models.TextField()
    status = models.CharField(max_length=20, choices=IncidentStatus.choices)
    urgency = models.CharField(max_length=10, blank=True)
    priority = models.ForeignKey(
        RemotePriority, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    service = models.ForeignKey(
        RemoteService, null=True, blank=True, on_delete=models.SET_NULL, related_name="incidents"
    )
    service_external_id = models.CharField(max_length=64, blank=True)
    created_at_remote = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    last_status_change_at = models.DateTimeField(null=True, blank=True)
    updated_at_remote = models.DateTimeField(null=True, blank=True)
    alert_count = models.PositiveIntegerField(default=0)
    html_url = models.URLField(max_length=500, blank=True)
    resolution_note = models.TextField(
        blank=True, help_text="Text of the note left when the incident was resolved."
    )
    data_loss_field = models.BooleanField(
        null=True, blank=True, help_text="Value of the incident's data-loss custom field, if any."
    )
    custom_fields = models.JSONField(default=dict, blank=True)
    custom_fields_synced_at = models.DateTimeField(
        null=True, blank=True, help_text="When the custom fields were last read."
    )
    custom_fields_pending = models.BooleanField(
        default=False,
        help_text="Status changed in an incremental sync: read its custom fields next.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "external_id"], name="unique_remote_incident"
            )
        ]
        # The incident list reads newest first (keyset on created_at_remote, pk), filtered by
        # one of these; its title search uses a pg_trgm index on UPPER(title) (migration 0006).
        indexes = [
            models.Index(
                fields=["organization", "-created_at_remote", "-id"], name="incident_list_order"
            ),
            models.Index(fields=["connection", "status"]),
            models.Index(fields=["organization", "service", "-created_at_remote"]),
            models.Index(
                fields=["organization", "status", "-created_at_remote"],
                name="incident_list_status",
            ),
            models.Index(
                fields=["organization", "urgency", "-created_at_remote"],
                name="incident_list_urgency",
            ),
            models.Index(
                fields=["organization", "priority", "-created_at_remote"],
                name="incident_list_priority",
            ),
            # The list sorted by status or severity in reverse ("-status", newest first within
            # each): the indexes above serve the ascending orders only.
            models.Index(
                fields=["organization", "-status", "-created_at_remote", "-id"],
                name="incident_list_status_desc",
            ),
            models.Index(
                fields=["organization", "-urgency", "-created_at_remote", "-id"],
                name="incident_list_urgency_desc",
            ),
            models.Index(fields=["organization", "number"], name="incident_number"),
            models.Index(Upper("external_id"), name="incident_external_id_upper"),
            models.Index(
                fields=["connection"],
                condition=models.Q(custom_fields_pending=True),
                name="incident_custom_fields_due",
            ),
            # What a sync changed: the after-sync evaluation re-evaluates just those.
            models.Index(fields=["organization", "synced_at"], name="incident_synced_at"),
        ]
        ordering = ["-created_at_remote"]

    def __str__(self) -> str:
        return f"#{self.number} {self.title}"


class RemoteIncidentStatusChange(models.Model):
    """One step of an incident's history, from PagerDuty's log entries."""

    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.CASCADE, related_name="+"
    )
    # Indexed through the (connection, ...) indexes below; a lone connection index would only
    # tempt the planner away from them.
    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    incident = models.ForeignKey(
        RemoteIncident, on_delete=models.CASCADE, related_name="status_changes"
    )
    external_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=50, help_text="trigger, acknowledge, resolve, annotate...")
    status = models.CharField(max_length=20, blank=True, help_text="Status after this step.")
    at = models.DateTimeField()
    actor_name = models.CharField(max_length=255, blank=True)
    actor_external_id = models.CharField(
        max_length=64, blank=True, help_text="PagerDuty id of the user who did it (else empty)."
    )
    summary = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "external_id"], name="unique_incident_status_change"
            )
        ]
        indexes = [models.Index(fields=["connection", "at"], name="status_change_connection_at")]
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M}"


SYNCED_MODELS = (
    RemoteIncidentStatusChange,
    RemoteIncident,
    RemoteAccountChange,
    RemoteAccount,
    RemoteLicense,
    RemotePriority,
    RemoteService,
)
"""Every model holding data synced through a connection, in a safe deletion order."""


class RemoteNotificationCount(models.Model):
    """How many notifications of one type PagerDuty sent in one month (``GET /notifications``).

    A month read has a row for every type (zero included), so "no rows" means "not read" (for
    example the ``users:notifications.read`` scope is missing), never "none sent".
    """

    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.CASCADE, related_name="+"
    )
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="First day of the month (UTC).")
    notification_type = models.CharField(max_length=50)
    count = models.PositiveIntegerField(default=0)
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "month", "notification_type"],
                name="unique_notification_count",
            )
        ]
        ordering = ["month", "notification_type"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.notification_type}: {self.count}"


class RemoteSeatCount(models.Model):
    """Seats held in one license tier on one day: the highest count any sync saw that day.

    PagerDuty bills the highest number of users at any time in the month, which no API
    reports: the sync records it daily, from the connection's first sync on.
    """

    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.CASCADE, related_name="+"
    )
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    tier_name = models.CharField(max_length=255, help_text="License name, or the role group.")
    role_group = models.CharField(max_length=50, blank=True)
    seat_count = models.PositiveIntegerField(default=0)
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "day", "tier_name"], name="unique_seat_count_per_day"
            )
        ]
        ordering = ["day", "tier_name"]

    def __str__(self) -> str:
        return f"{self.day} {self.tier_name}: {self.seat_count}"


# Usage records (spend) are deleted with the rest of a connection's synced data.
SYNCED_MODELS = (RemoteNotificationCount, RemoteSeatCount, *SYNCED_MODELS)
