"""The integrations catalog: what each provider offers, asks for and how to set it up.

A provider is one package (integrations/pagerduty/ now) that registers a `ProviderInfo` here from
IntegrationsConfig.ready(); the catalog pages read only this registry.
"""

from dataclasses import dataclass, field

from django.http import Http404


@dataclass(frozen=True)
class Permission:
    scope: str
    reason: str


@dataclass(frozen=True)
class ProviderInfo:
    slug: str
    name: str
    summary: str
    purposes: tuple[str, ...]
    permissions: tuple[Permission, ...]
    oauth_steps: tuple[str, ...]
    api_key_steps: tuple[str, ...]
    access_management_acknowledgement: str
    revoke_instructions: str
    regions: tuple[tuple[str, str], ...] = field(default=(("us", "US"), ("eu", "EU")))


_PROVIDERS: dict[str, ProviderInfo] = {}


def register_provider(provider: ProviderInfo) -> None:
    _PROVIDERS[provider.slug] = provider


def provider_list() -> list[ProviderInfo]:
    return sorted(_PROVIDERS.values(), key=lambda provider: provider.name)


def provider_get(slug: str) -> ProviderInfo:
    try:
        return _PROVIDERS[slug]
    except KeyError:
        raise Http404("No such integration.") from None
