"""PagerDuty JSON → record values: the rules the data library relies on."""

from datetime import UTC, datetime, timedelta

import pytest

from integrations.pagerduty.errors import PagerDutyMalformedResponse
from integrations.pagerduty.sync import mapping
from tests.integrations.sync.fake_pagerduty import make_incident, make_log_entry

T0 = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)


def test_resolution_note_is_the_note_left_when_or_after_resolving():
    history = [
        ("annotate", T0 - timedelta(hours=2), "Looking into it"),
        ("resolve", T0, ""),
        ("annotate", T0 - timedelta(seconds=30), "Root cause: disk full. No data loss."),
        ("annotate", T0 + timedelta(days=1), "Postmortem: dataloss confirmed after all"),
    ]

    assert mapping.resolution_note(history) == (
        "Root cause: disk full. No data loss.\n\nPostmortem: dataloss confirmed after all"
    )


def test_an_incident_never_resolved_has_no_resolution_note_to_set():
    assert mapping.resolution_note([("annotate", T0, "Looking")]) is None
    assert mapping.resolution_note([("resolve", T0, "")]) == ""


@pytest.mark.parametrize(
    ("name", "display_name", "value", "expected"),
    [
        ("data_loss", "Data loss", True, True),
        ("dataloss", "", "Yes", True),
        ("customer_impact", "Data Loss?", "no", False),
        ("Data-Loss", "", ["No", "Yes"], True),
        ("data_loss", "Data loss", None, None),
        ("environment", "Environment", "production", None),
    ],
)
def test_the_data_loss_custom_field_is_found_by_name(name, display_name, value, expected):
    raw, data_loss = mapping.custom_field_values(
        [{"name": name, "display_name": display_name, "value": value}]
    )

    assert raw == {name: value}
    assert data_loss is expected


def test_incident_fields_keep_the_service_id_even_when_the_service_is_unknown():
    incident = make_incident(
        "PINC1", 7, "2025-05-01T10:00:00Z", status="resolved", resolved_at=None
    )
    incident["last_status_change_at"] = "2025-05-01T11:00:00Z"
    incident["service"] = {"id": "PUNKNOWN"}

    values = mapping.incident_fields(incident, service_pks={}, priority_pks={})

    assert values["service_id"] is None and values["service_external_id"] == "PUNKNOWN"
    assert values["resolved_at"] == datetime(2025, 5, 1, 11, 0, tzinfo=UTC)
    assert values["number"] == 7 and values["alert_count"] == 2


def test_an_incident_without_creation_time_is_malformed():
    with pytest.raises(PagerDutyMalformedResponse, match="created_at"):
        mapping.incident_fields({"id": "PINC1"}, service_pks={}, priority_pks={})


def test_a_note_log_entry_keeps_the_note_text_from_its_channel():
    entry = make_log_entry("R1", "annotate", "2025-05-01T10:00:00Z", "PINC1", note="Data loss!")

    values = mapping.status_change_fields(entry)

    assert values["kind"] == "annotate" and values["summary"] == "Data loss!"
    assert values["status"] == "" and values["actor_name"] == "Ada Lovelace"
    assert mapping.status_change_fields({**entry, "type": "resolve_log_entry"})["status"] == (
        "resolved"
    )


def test_earliest_ignores_unknown_times():
    assert mapping.earliest(None, T0, T0 - timedelta(1), None) == T0 - timedelta(1)
    assert mapping.earliest(None) is None


@pytest.mark.parametrize(
    "html_url",
    [
        "javascript:alert(document.cookie)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "http://acme.pagerduty.com/incidents/Q1",
        "https:///no-host",
        "//acme.pagerduty.com/incidents/Q1",
    ],
)
def test_an_unsafe_html_url_is_not_stored_as_a_link(html_url):
    incident = make_incident("Q1", 1, "2026-01-01T00:00:00Z")
    incident["html_url"] = html_url

    fields = mapping.incident_fields(incident, service_pks={}, priority_pks={})

    assert fields["html_url"] == ""


def test_an_https_html_url_is_kept():
    assert (
        mapping.web_url("https://acme.pagerduty.com/incidents/Q1")
        == "https://acme.pagerduty.com/incidents/Q1"
    )


def test_the_development_stand_in_base_is_accepted_only_while_debugging(settings):
    settings.PAGERDUTY_API_URL = "http://127.0.0.1:8765"
    settings.DEBUG = True
    assert mapping.web_url("http://127.0.0.1:8765/incidents/Q1") == (
        "http://127.0.0.1:8765/incidents/Q1"
    )
    settings.DEBUG = False
    assert mapping.web_url("http://127.0.0.1:8765/incidents/Q1") == ""
