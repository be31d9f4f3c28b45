"""PagerDuty integration: errors, auth, client (the only code that calls PagerDuty's REST API),
datetimes, roles, OAuth, connect, the shared request budget, and the sync (``sync/``)."""
