"""The catalog offered by "Add a service": PagerDuty integrates; the others are added by hand."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CatalogEntry:
    key: str
    name: str
    vendor: str
    category: str
    integrates: bool = False


CATALOG: tuple[CatalogEntry, ...] = (
    CatalogEntry("pagerduty", "PagerDuty", "PagerDuty, Inc.", "Incident management", True),
    CatalogEntry("slack", "Slack", "Salesforce", "Communication"),
    CatalogEntry("github", "GitHub", "GitHub, Inc.", "Developer tools"),
    CatalogEntry("jira", "Jira", "Atlassian", "Project management"),
    CatalogEntry("confluence", "Confluence", "Atlassian", "Documentation"),
    CatalogEntry("datadog", "Datadog", "Datadog, Inc.", "Monitoring"),
    CatalogEntry("google-workspace", "Google Workspace", "Google", "Productivity"),
    CatalogEntry("microsoft-365", "Microsoft 365", "Microsoft", "Productivity"),
    CatalogEntry("zoom", "Zoom", "Zoom Video Communications", "Communication"),
    CatalogEntry("okta", "Okta", "Okta, Inc.", "Identity"),
    CatalogEntry("notion", "Notion", "Notion Labs", "Documentation"),
    CatalogEntry("figma", "Figma", "Figma, Inc.", "Design"),
)


def catalog_search(query: str) -> list[CatalogEntry]:
    words = query.lower().split()
    return [
        entry
        for entry in CATALOG
        if all(word in f"{entry.name} {entry.vendor} {entry.category}".lower() for word in words)
    ]
