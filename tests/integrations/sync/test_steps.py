"""A sync is a list of steps: new data is a new step in the list, not an edit of the run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses

from integrations.models import ConnectionStatus, SyncRunStatus, SyncTrigger
from integrations.pagerduty.errors import PagerDutyForbidden, PagerDutyTransientError
from integrations.pagerduty.sync.context import SyncContext
from integrations.pagerduty.sync.run import sync_connection
from integrations.pagerduty.sync.steps import SYNC_STEPS
from tests.factories import ConnectionFactory
from tests.integrations.sync.fake_pagerduty import FakePagerDuty, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def pagerduty() -> Iterator[FakePagerDuty]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakePagerDuty(mock)


@pytest.fixture
def connection(organization):
    return ConnectionFactory(organization=organization)


class RecordingStep:
    """A step that writes down when it ran and what had completed before it."""

    def __init__(
        self, name: str, journal: list, *, due: bool = True, error: Exception | None = None
    ):
        self.name = name
        self.label = name.title()
        self.journal = journal
        self._due = due
        self._error = error

    def due(self, sync: SyncContext) -> bool:
        return self._due

    def run(self, sync: SyncContext) -> None:
        self.journal.append((self.name, set(sync.completed_steps)))
        if self._error is not None:
            raise self._error
        sync.count(self.name).seen += 2


def sync(connection, pagerduty: FakePagerDuty, steps):
    return sync_connection(
        connection=connection,
        trigger=SyncTrigger.MANUAL,
        client=pagerduty.client(),
        steps=steps,
    )


def test_the_steps_read_catalog_then_people_then_incidents():
    assert [step.name for step in SYNC_STEPS] == [
        "services",
        "priorities",
        "licenses",
        "users",
        "sign_ins",
        "audit_records",
        "incidents",
        "custom_fields",
        "usage",
    ]


def test_an_added_step_runs_after_the_steps_before_it_and_its_counts_are_recorded(
    connection, pagerduty
):
    pagerduty.users = [make_user("PUSER1", "ada@example.com")]
    journal: list = []

    run = sync(connection, pagerduty, [*SYNC_STEPS, RecordingStep("extra", journal)])

    assert run.status == SyncRunStatus.SUCCEEDED, run.error_message
    assert journal == [
        (
            "extra",
            {"services", "priorities", "licenses", "users", "sign_ins", "incidents", "usage"},
        )
    ]
    assert run.counts["extra"]["seen"] == 2
    assert list(run.counts)[-1] == "extra"


def test_steps_run_in_list_order_and_a_step_not_due_is_left_out(connection, pagerduty):
    journal: list = []
    steps = [
        RecordingStep("first", journal),
        RecordingStep("skipped", journal, due=False),
        RecordingStep("second", journal),
    ]

    run = sync(connection, pagerduty, steps)

    assert run.status == SyncRunStatus.SUCCEEDED
    assert journal == [("first", set()), ("second", {"first"})]
    assert run.request_count == 0


def test_data_pagerduty_refuses_is_skipped_with_a_note_and_later_steps_still_run(
    connection, pagerduty
):
    journal: list = []
    refused = PagerDutyForbidden("PagerDuty refused it.", required_scope="usage.read")
    steps = [RecordingStep("usage", journal, error=refused), RecordingStep("after", journal)]

    run = sync(connection, pagerduty, steps)

    assert run.status == SyncRunStatus.SUCCEEDED
    assert run.notes == ["Usage skipped: PagerDuty refused it."]
    assert journal[-1] == ("after", set())
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.MISSING_SCOPES


def test_a_failing_step_fails_the_run_and_names_the_step(connection, pagerduty):
    journal: list = []
    steps = [
        RecordingStep("usage", journal, error=PagerDutyTransientError("PagerDuty is down.")),
        RecordingStep("after", journal),
    ]

    run = sync(connection, pagerduty, steps)

    assert run.status == SyncRunStatus.FAILED
    assert run.error_message == "Syncing usage failed: PagerDuty is down."
    assert [name for name, _ in journal] == ["usage"]
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.ERROR
