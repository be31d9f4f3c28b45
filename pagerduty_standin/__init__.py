"""A local stand-in for PagerDuty's REST API v2 and Scoped OAuth, with generated account data.

A development tool, never part of production: `settings` installs this app only with DEBUG (and
in tests). Used by the `make run` demo (`manage.py pagerduty_standin`), by integration tests
(start one on a free port) and by benchmarks (100,000 incidents).

Layout: `server` (HTTP, routing, authentication), `api/` (one module per REST resource, plus
PagerDuty's limits, injected faults and the `/_control/` endpoints), `oauth/` (Scoped OAuth),
`account/` (the in-memory account: records, indexes, log entries, changes, metrics) and
`generate/` (deterministic data per resource).
"""

from pagerduty_standin.account.dataset import Dataset
from pagerduty_standin.generate import generate_dataset
from pagerduty_standin.options import (
    DEFAULT_API_KEY,
    DEFAULT_OAUTH_CLIENT_ID,
    DEFAULT_OAUTH_CLIENT_SECRET,
    StandinOptions,
)
from pagerduty_standin.server import StandinServer

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_OAUTH_CLIENT_ID",
    "DEFAULT_OAUTH_CLIENT_SECRET",
    "Dataset",
    "StandinOptions",
    "StandinServer",
    "generate_dataset",
]
