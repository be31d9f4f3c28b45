"""Staff directory changes make the access checks run again (tenants tells access by a hook)."""

from datetime import date

import pytest

from checks.models import EvaluationState
from tenants.services import staff_member_offboard
from tenants.staff_import import staff_import
from tests.factories import StaffMemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def evaluated_state(organization):
    return EvaluationState.objects.create(
        organization=organization, inputs_version=3, evaluated_version=3
    )


def test_offboarding_a_staff_member_marks_the_checks_inputs_changed(
    organization, evaluated_state, django_capture_on_commit_callbacks
):
    staff_member = StaffMemberFactory(organization=organization)

    with django_capture_on_commit_callbacks(execute=True):
        staff_member_offboard(
            staff_member=staff_member, last_working_day=date(2026, 11, 30), acting_user=None
        )

    evaluated_state.refresh_from_db()
    assert evaluated_state.inputs_version == 4


def test_a_staff_import_marks_the_checks_inputs_changed(
    organization, evaluated_state, django_capture_on_commit_callbacks
):
    content = b"name,email\nAda Lovelace,ada@example.com\n"

    with django_capture_on_commit_callbacks(execute=True):
        result = staff_import(
            organization=organization,
            content=content,
            create_missing_org_roles=False,
            acting_user=None,
        )

    assert result.ok, result.errors
    evaluated_state.refresh_from_db()
    assert evaluated_state.inputs_version == 4


def test_a_refused_import_changes_nothing(
    organization, evaluated_state, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = staff_import(
            organization=organization,
            content=b"name,email\nAda Lovelace,not-an-email\n",
            create_missing_org_roles=False,
            acting_user=None,
        )

    assert not result.ok
    evaluated_state.refresh_from_db()
    assert evaluated_state.inputs_version == 3
