"""“Data loss information should be added for the reported incident”: flagged by the
resolution note, the custom field or by hand; failing until the details and every required
disclosure are recorded."""

from datetime import date, timedelta

import pytest

from checks.evaluation import organization_evaluate
from checks.models import CheckStatus
from checks.registry import check_get
from incidents.models import DataKind, DataLossAnswer, IncidentPolicy, Stakeholder
from incidents.rules import custom_field_says_data_loss, note_mentions_data_loss
from tests.checks.conftest import NOW, result_of
from tests.incidents.factories import DataLossReviewFactory, DisclosureFactory

pytestmark = pytest.mark.django_db
CODE = "incident_data_loss_recorded"
DATA_LOSS_CHECK = check_get(CODE)


def evaluate_data_loss(organization, now=NOW):
    organization_evaluate(organization=organization, now=now, checks=[DATA_LOSS_CHECK])


@pytest.mark.parametrize(
    "note",
    [
        "Confirmed data loss: about 200 order records were not persisted.",
        "No DATA LOSS observed after replaying the queue.",
        "dataloss check done - none found",
        "Partial DataLoss in the analytics export",
        "possible data-loss for uploads",
        "DATA_LOSS tag added",
    ],
)
def test_resolution_note_mentioning_data_loss_in_any_case_flags_the_incident(note):
    assert note_mentions_data_loss(note)


@pytest.mark.parametrize(
    "note",
    ["", "Resolved after restarting the stuck consumer.", "metadata lossless", "data was lost"],
)
def test_notes_without_the_words_do_not_flag(note):
    assert not note_mentions_data_loss(note)


@pytest.mark.parametrize(
    ("custom_fields", "field_name", "synced_flag", "expected"),
    [
        ({"data_loss": True}, "data_loss", None, True),
        ({"data_loss": False}, "data_loss", True, False),  # the raw value wins
        ({"Data_Loss": "Yes"}, "data_loss", None, True),
        (
            [{"name": "data_loss", "display_name": "Data loss", "value": True}],
            "data_loss",
            None,
            True,
        ),
        ([{"name": "dl", "display_name": "Data lost", "value": "true"}], "Data lost", None, True),
        ({}, "data_loss", True, True),  # the synced boolean answers for the default field
        ({}, "breach", True, False),  # ... but not for another field
        ({"data_loss": True}, "", None, False),  # a blank name turns detection off
    ],
)
def test_custom_field_detection(custom_fields, field_name, synced_flag, expected):
    assert (
        custom_field_says_data_loss(
            custom_fields=custom_fields, data_loss_field=synced_flag, field_name=field_name
        )
        is expected
    )


def test_incident_with_data_loss_note_fails_until_someone_answers(organization, make_incident):
    incident = make_incident(
        hours_ago=5, resolved_hours_ago=1, resolution_note="Confirmed DataLoss in exports"
    )
    evaluate_data_loss(organization)
    result = result_of(incident, CODE)
    assert result.status == CheckStatus.FAILING
    assert "resolution note" in result.detail


def test_incident_flagged_by_the_configured_custom_field_fails(organization, make_incident):
    IncidentPolicy.objects.create(organization=organization, data_loss_field_name="breach")
    flagged = make_incident(custom_fields={"breach": "yes"})
    other_field = make_incident(custom_fields={"data_loss": True})
    evaluate_data_loss(organization)
    assert result_of(flagged, CODE).status == CheckStatus.FAILING
    assert "custom field" in result_of(flagged, CODE).detail
    assert result_of(other_field, CODE).status == CheckStatus.PASSING


def test_synced_data_loss_field_flags_with_the_default_field_name(organization, make_incident):
    incident = make_incident(data_loss_field=True)
    evaluate_data_loss(organization)
    assert result_of(incident, CODE).status == CheckStatus.FAILING


def test_answering_no_makes_a_flagged_incident_pass(organization, make_incident):
    incident = make_incident(resolution_note="No data loss observed", resolved_hours_ago=0.5)
    DataLossReviewFactory(incident=incident, data_loss=DataLossAnswer.NO)
    evaluate_data_loss(organization)
    result = result_of(incident, CODE)
    assert result.status == CheckStatus.PASSING
    assert result.detail == "Reviewed: no data loss (flagged by resolution note)"


def test_data_loss_flagged_by_hand_fails_until_details_and_disclosures_are_complete(
    organization, make_incident
):
    incident = make_incident()
    review = DataLossReviewFactory(incident=incident, data_loss=DataLossAnswer.YES)
    evaluate_data_loss(organization)
    result = result_of(incident, CODE)
    assert result.status == CheckStatus.FAILING
    assert "the kinds of data lost" in result.detail
    assert "the number of records affected" in result.detail

    review.data_kinds = [DataKind.CUSTOMER_PERSONAL_DATA]
    review.records_affected = 120
    review.stakeholders = [Stakeholder.CUSTOMERS, Stakeholder.REGULATOR]
    review.save()
    DisclosureFactory(
        review=review, stakeholder=Stakeholder.CUSTOMERS, done=True, disclosed_on=date(2026, 3, 1)
    )
    evaluate_data_loss(organization, NOW + timedelta(minutes=1))
    result = result_of(incident, CODE)
    assert result.status == CheckStatus.FAILING
    assert result.detail == "Data loss: record the disclosure to regulator"

    DisclosureFactory(
        review=review, stakeholder=Stakeholder.REGULATOR, done=True, disclosed_on=date(2026, 3, 2)
    )
    evaluate_data_loss(organization, NOW + timedelta(minutes=2))
    result = result_of(incident, CODE)
    assert result.status == CheckStatus.PASSING
    assert result.detail == "Data loss recorded and disclosed"


def test_disclosure_marked_done_without_a_date_does_not_count(organization, make_incident):
    incident = make_incident()
    review = DataLossReviewFactory(
        incident=incident,
        data_loss=DataLossAnswer.YES,
        data_kinds=[DataKind.CREDENTIALS],
        records_affected=3,
        stakeholders=[Stakeholder.INTERNAL_MANAGEMENT],
    )
    DisclosureFactory(
        review=review, stakeholder=Stakeholder.INTERNAL_MANAGEMENT, done=True, disclosed_on=None
    )
    evaluate_data_loss(organization)
    assert result_of(incident, CODE).status == CheckStatus.FAILING


def test_other_kind_of_data_needs_a_description(organization, make_incident):
    incident = make_incident()
    DataLossReviewFactory(
        incident=incident,
        data_loss=DataLossAnswer.YES,
        data_kinds=[DataKind.OTHER],
        records_affected=0,
    )
    evaluate_data_loss(organization)
    assert "description of the other data" in result_of(incident, CODE).detail


def test_unflagged_incidents_pass_and_resolved_unanswered_ones_are_to_review(
    organization, make_incident
):
    open_incident = make_incident()
    resolved = make_incident(hours_ago=3, resolved_hours_ago=1)
    evaluate_data_loss(organization)
    assert result_of(open_incident, CODE).status == CheckStatus.PASSING
    assert result_of(open_incident, CODE).detail == "No data loss flagged"
    assert result_of(resolved, CODE).status == CheckStatus.PASSING
    assert result_of(resolved, CODE).detail == "To review: data loss not answered"
