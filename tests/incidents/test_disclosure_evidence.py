"""Disclosure evidence files leave with their rows: a purged connection takes them along."""

import os

import pytest
from django.core.files.base import ContentFile

from incidents.models import Disclosure
from integrations.services import connection_revoke
from tests.factories import ConnectionFactory
from tests.incidents.factories import DisclosureFactory


@pytest.mark.django_db(transaction=True)
def test_purging_a_connection_deletes_disclosure_evidence_files(organization, owner):
    connection = ConnectionFactory(organization=organization)
    disclosure = DisclosureFactory(review__incident__connection=connection)
    disclosure.evidence.save("letter.txt", ContentFile(b"we told the regulator"), save=True)
    stored = disclosure.evidence.path

    connection_revoke(connection=connection, acting_user=owner, purge=True)

    assert not Disclosure.objects.filter(pk=disclosure.pk).exists()
    assert not os.path.exists(stored)
