"""Integrations: connections to third-party accounts, sync runs, and the records synced from them.

Synced records have provider-neutral names (RemoteService, RemoteAccount, RemoteIncident...) and
are keyed by (connection, external_id). Every row carries its organization, so tenant queries
start from the org like everywhere else.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone

from integrations.pagerduty.roles import role_label
from sprintolike.crypto import EncryptedTextField


class Purpose(models.TextChoices):
    INCIDENT_MANAGEMENT = "incident_management", "Incident management"
    ACCESS_MANAGEMENT = "access_management", "Access management"
    SPEND = "spend", "Spend"


class AuthType(models.TextChoices):
    OAUTH = "oauth", "OAuth"
    API_KEY = "api_key", "REST API key"


class Region(models.TextChoices):
    US = "us", "US"
    EU = "eu", "EU"


class ConnectionStatus(models.TextChoices):
    CONNECTED = "connected", "Connected"
    NEEDS_REAUTHORIZATION = "needs_reauthorization", "Needs re-authorization"
    MISSING_SCOPES = "missing_scopes", "Missing permissions"
    ERROR = "error", "Error"
    REVOKED = "revoked", "Revoked"


NEXT_STEPS = {
    ConnectionStatus.CONNECTED: "",
    ConnectionStatus.NEEDS_REAUTHORIZATION: (
        "PagerDuty refused the stored credentials (expired or revoked). Connect PagerDuty again "
        "to re-authorize; the data already synced is kept."
    ),
    ConnectionStatus.MISSING_SCOPES: (
        "Some permissions were not granted, so part of the data cannot be synced. Connect again "
        "and approve every permission, or ask a PagerDuty admin to."
    ),
    ConnectionStatus.ERROR: (
        "The last sync failed. It is retried on schedule; use “Sync now” once the cause is fixed."
    ),
    ConnectionStatus.REVOKED: "This connection was revoked. Connect PagerDuty again to resume.",
}


class ConnectionQuerySet(models.QuerySet):
    def not_revoked(self) -> "ConnectionQuerySet":
        return self.exclude(status=ConnectionStatus.REVOKED)

    def active(self) -> "ConnectionQuerySet":
        """Connections that may be synced: not revoked and holding credentials."""
        return self.exclude(
            status__in=[ConnectionStatus.REVOKED, ConnectionStatus.NEEDS_REAUTHORIZATION]
        )


class Connection(models.Model):
    """One organisation's link to one PagerDuty account."""

    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.CASCADE, related_name="connections"
    )
    provider = models.CharField(max_length=50, default="pagerduty")
    auth_type = models.CharField(max_length=20, choices=AuthType.choices)
    region = models.CharField(max_length=2, choices=Region.choices, default=Region.US)
    subdomain = models.CharField(max_length=100)
    account_id = models.CharField(max_length=50, blank=True)
    remote_user_id = models.CharField(
        max_length=50, blank=True, help_text="The PagerDuty user who authorized (OAuth)."
    )
    authorized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_scopes = models.JSONField(default=list, blank=True)
    purposes = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=30, choices=ConnectionStatus.choices, default=ConnectionStatus.CONNECTED
    )
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    # Secrets: encrypted at rest, never logged, rendered, or shown in the admin.
    access_token = EncryptedTextField()
    refresh_token = EncryptedTextField()
    api_key = EncryptedTextField()
    access_token_expires_at = models.DateTimeField(null=True, blank=True)

    connected_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Sync bookkeeping.
    sync_lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_sync_started_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    incidents_synced_through = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Every incident created before this time has been read at least once.",
    )
    log_entries_synced_through = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Every incident log entry created before this time has been read.",
    )
    people_synced_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When users, licenses and last sign-ins were last read in full.",
    )

    objects = ConnectionQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "provider", "region", "subdomain"],
                name="unique_connection_per_account",
            )
        ]
        ordering = ["organization", "subdomain"]

    def __str__(self) -> str:
        return f"PagerDuty {self.subdomain} ({self.get_region_display()})"

    @property
    def budget_key(self) -> str:
        """PagerDuty's rate limit is per account: every tenant on one account shares this key."""
        return f"pagerduty:{self.region}:{self.account_id or self.subdomain}"

    @property
    def next_step(self) -> str:
        return NEXT_STEPS.get(self.status, "")

    @property
    def is_syncing(self) -> bool:
        return bool(self.sync_lease_expires_at and self.sync_lease_expires_at > timezone.now())

    @property
    def display_status(self) -> str:
        return (
            "syncing"
            if self.is_syncing and self.status != ConnectionStatus.REVOKED
            else self.status
        )

    @property
    def html_url(self) -> str:
        host = "eu.pagerduty.com" if self.region == Region.EU else "pagerduty.com"
        return f"https://{self.subdomain}.{host}"

    SYNC_PROGRESS_FIELDS = (
        "last_synced_at",
        "incidents_synced_through",
        "log_entries_synced_through",
        "people_synced_at",
    )
    """Where the next sync starts from; cleared when the synced data is purged."""

    def forget_sync_progress(self) -> None:
        """Make the next sync a first sync again (after its data was deleted)."""
        for field_name in self.SYNC_PROGRESS_FIELDS:
            setattr(self, field_name, None)

    def has_purpose(self, purpose: str) -> bool:
        return purpose in self.purposes

    def serves(self, purpose: str) -> bool:
        """Whether this connection's data counts for ``purpose``.

        A revoked connection no longer syncs, so its stale data would only mislead (an incident
        resolved since would stay open forever): it serves no purpose.
        """
        return self.has_purpose(purpose) and self.status != ConnectionStatus.REVOKED

    @property
    def keeps_revoked_data(self) -> bool:
        """Revoked with its synced data kept (revoking with "delete the data" also forgets the
        sync progress, see ``connection_revoke``): its records stay browsable, but serve no
        purpose (no check evaluates them)."""
        return self.status == ConnectionStatus.REVOKED and any(
            getattr(self, field_name) for field_name in self.SYNC_PROGRESS_FIELDS
        )

    def access_token_expires_soon(self, margin: timedelta = timedelta(minutes=5)) -> bool:
        return bool(
            self.access_token_expires_at and self.access_token_expires_at <= timezone.now() + margin
        )


class RequestBudgetWindow(models.Model):
    """How many PagerDuty requests one account has spent in one 60-second window.

    PagerDuty allows 960 requests per minute per app per account; every worker process on every
    machine counts against the same row, so the budget holds across the whole deployment.
    """

    account_key = models.CharField(max_length=200)
    window_start = models.DateTimeField()
    request_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account_key", "window_start"], name="unique_budget_window"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_key} @ {self.window_start:%H:%M}: {self.request_count}"


class SyncRunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class SyncTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Schedule"
    MANUAL = "manual", "Sync now"
    COMMAND = "command", "Command line"
    CONNECT = "connect", "First sync after connecting"


class SyncRun(models.Model):
    """One sync of one connection: what it did, what it cost, and what went wrong."""

    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.CASCADE, related_name="sync_runs"
    )
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="sync_runs")
    trigger = models.CharField(max_length=20, choices=SyncTrigger.choices)
    full = models.BooleanField(default=False, help_text="Re-read the whole backfill window.")
    status = models.CharField(
        max_length=20, choices=SyncRunStatus.choices, default=SyncRunStatus.RUNNING
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(
        default=dict, blank=True, help_text="Per resource: records seen, created, updated, removed."
    )
    request_count = models.PositiveIntegerField(default=0)
    requests_by_path = models.JSONField(default=dict, blank=True)
    notes = models.JSONField(default=list, blank=True, help_text="What was skipped, and why.")
    error_message = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["connection", "-started_at"])]

    def __str__(self) -> str:
        return f"Sync of {self.connection} at {self.started_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def duration(self) -> timedelta | None:
        return self.finished_at - self.started_at if self.finished_at else None


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
