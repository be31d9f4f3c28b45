"""PagerDuty integration: REST client, OAuth helpers and the shared request budget."""
