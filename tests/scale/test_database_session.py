"""Web and worker connections to PostgreSQL run with the JIT compiler off (see settings):
compiling a page's query took longer than running it."""

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting"),
]


def test_connections_run_without_the_jit_compiler():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
