"""Connections to third-party accounts, their request budget windows, and sync runs."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

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
