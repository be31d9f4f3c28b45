"""PagerDuty Scoped OAuth as the stand-in plays it: provider (codes, tokens, PKCE), pages, endpoints."""
