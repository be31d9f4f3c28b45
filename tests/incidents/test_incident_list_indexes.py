"""The incident list's title search can use its trigram index (PostgreSQL).

Django writes ``icontains`` as ``UPPER(title) LIKE UPPER('%term%')``; an index must be on that
very expression to serve it. With sequential and plain index scans switched off, the only way
left to answer the search is the bitmap scans of its indexes: if the search stopped matching
them, PostgreSQL would fall back to the (disabled, still possible) sequential scan.
"""

import pytest
from django.db import connection, transaction

from incidents.selectors import _search_condition
from integrations.models import RemoteIncident

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm is PostgreSQL's"),
]


def plan(queryset) -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        return queryset.explain()


@pytest.mark.parametrize("term", ["disk full", "Incident 12", "p1x2y3z"])
def test_a_title_search_reads_the_trigram_index(make_incident, term):
    make_incident(title="Disk full on the primary")
    query_plan = plan(RemoteIncident.objects.filter(_search_condition(term)).values("pk"))
    assert "incident_title_upper_trigram" in query_plan
    assert "Seq Scan" not in query_plan
