"""Fixtures for spend tests: a stand-in account synced into an organisation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from integrations.models import SyncTrigger
from integrations.pagerduty.sync.run import sync_connection
from tests.integrations.sync.conftest import (  # noqa: F401 (fixtures)
    api_key_connection,
    quick_client,
    small_standin_options,
    start_standin,
)


def synced_standin(organization: Any, start: Any, **overrides: Any) -> tuple[Any, Any, Any]:
    """(server, connection, run) after one full sync of a small stand-in account."""
    server = start(small_standin_options(**overrides))
    connection = api_key_connection(organization, server)
    client = quick_client(connection)
    run = sync_connection(connection=connection, trigger=SyncTrigger.COMMAND, client=client)
    return server, connection, run


def month_key(epoch_seconds: int) -> str:
    return datetime.fromtimestamp(epoch_seconds, tz=UTC).strftime("%Y-%m")


@pytest.fixture
def synced(organization, start_standin):  # noqa: F811 (the fixture imported above)
    return synced_standin(organization, start_standin)
