"""The steps of a PagerDuty sync, in the order a run executes them.

New data is a new step here (a class with ``name``, ``label``, ``due`` and ``run``, see
``context.SyncStep``), not an edit of the run. A step that needs another's result says so in
``due`` (``"users" in sync.completed_steps``) and reads it from the context.
"""

from integrations.pagerduty.sync.context import SyncStep
from integrations.pagerduty.sync.steps.audit import AuditRecordsStep
from integrations.pagerduty.sync.steps.catalog import LicensesStep, PrioritiesStep, ServicesStep
from integrations.pagerduty.sync.steps.incidents import CustomFieldsStep, IncidentsStep
from integrations.pagerduty.sync.steps.people import SignInsStep, UsersStep
from integrations.pagerduty.sync.steps.usage import UsageStep

SYNC_STEPS: tuple[SyncStep, ...] = (
    ServicesStep(),
    PrioritiesStep(),
    LicensesStep(),
    UsersStep(),
    SignInsStep(),
    AuditRecordsStep(),
    IncidentsStep(),
    CustomFieldsStep(),
    UsageStep(),
)
