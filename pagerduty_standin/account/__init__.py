"""The stand-in's PagerDuty account: its records, indexes, log entries, changes and metrics."""
