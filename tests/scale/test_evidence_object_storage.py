"""Evidence files on S3-compatible object storage (django-storages), against a local S3 server."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from incidents.models import Disclosure
from integrations.services import connection_revoke
from sprintolike.evidence import evidence_storage
from tests.factories import ConnectionFactory
from tests.incidents.factories import DisclosureFactory
from tests.scale.conftest import bucket_keys

PDF = b"%PDF-1.4\n% evidence in a bucket\n"


@pytest.fixture
def connection(organization):
    return ConnectionFactory(organization=organization)


@pytest.mark.django_db
@pytest.mark.usefixtures("frozen_clock")
def test_an_uploaded_disclosure_file_goes_to_the_bucket_and_downloads_for_members(
    admin_client,
    organization,
    make_incident,
    evidence_bucket,
    s3_server,
    settings,
    tmp_path,
):
    settings.EVIDENCE_ROOT = str(tmp_path / "local-evidence")
    incident = make_incident(resolved_hours_ago=0.5)

    response = admin_client.post(
        reverse("incidents:incident_data_loss_save", args=[organization.slug, incident.pk]),
        {
            "data_loss": "yes",
            "stakeholders": ["customers"],
            "customers_done": "on",
            "customers_date": "2026-03-01",
            "customers_evidence": SimpleUploadedFile("notice.pdf", PDF),
        },
    )

    assert response.status_code == 302
    disclosure = Disclosure.objects.get()
    key = f"evidence/{disclosure.evidence.name}"
    assert bucket_keys(s3_server, evidence_bucket) == {key}
    assert key.startswith(f"evidence/{organization.pk}/")
    assert not (tmp_path / "local-evidence").exists()
    download = admin_client.get(
        reverse("incidents:disclosure_evidence", args=[organization.slug, disclosure.pk])
    )
    assert download["Content-Disposition"] == 'attachment; filename="notice.pdf"'
    assert b"".join(download.streaming_content) == PDF
    with pytest.raises(ValueError):
        disclosure.evidence.url  # noqa: B018


@pytest.mark.django_db(transaction=True)
def test_purging_a_connection_deletes_its_evidence_objects(
    organization, owner, evidence_bucket, s3_server
):
    connection = ConnectionFactory(organization=organization)
    disclosure = DisclosureFactory(review__incident__connection=connection)
    disclosure.evidence.save("letter.txt", ContentFile(b"we told the regulator"), save=True)
    assert evidence_storage().exists(disclosure.evidence.name)
    assert len(bucket_keys(s3_server, evidence_bucket)) == 1

    connection_revoke(connection=connection, acting_user=owner, purge=True)

    assert bucket_keys(s3_server, evidence_bucket) == set()


def test_without_a_bucket_evidence_stays_on_local_files(settings, tmp_path):
    settings.EVIDENCE_S3_BUCKET = ""
    settings.EVIDENCE_ROOT = str(tmp_path)

    name = evidence_storage().save("1/abc/letter.txt", ContentFile(b"local"))

    assert (tmp_path / name).read_bytes() == b"local"
