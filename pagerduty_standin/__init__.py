"""A local stand-in for PagerDuty's REST API v2 and Scoped OAuth, with generated account data.

Used by the `make run` demo (`manage.py pagerduty_standin`), by integration tests (start one on a
free port) and by benchmarks (100,000 incidents). See `server.StandinServer` for the API and the
`/_control/` endpoints, and `data.generate_dataset` for what the account contains.
"""

from .data import Dataset, IncidentQuery, generate_dataset
from .oauth import KNOWN_SCOPES, pkce_challenge
from .server import (
    DEFAULT_API_KEY,
    DEFAULT_OAUTH_CLIENT_ID,
    DEFAULT_OAUTH_CLIENT_SECRET,
    StandinOptions,
    StandinServer,
)

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_OAUTH_CLIENT_ID",
    "DEFAULT_OAUTH_CLIENT_SECRET",
    "KNOWN_SCOPES",
    "Dataset",
    "IncidentQuery",
    "StandinOptions",
    "StandinServer",
    "generate_dataset",
    "pkce_challenge",
]
