"""Every URL pattern mounted under /o/<org_slug>/, found by walking the root URLconf."""

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class OrgUrl:
    name: str  # "namespace:name"
    kwargs: tuple[str, ...]  # URL kwargs other than org_slug
    callback: object


def _walk(patterns, namespace: str, kwargs: tuple[str, ...], inside_org: bool):
    for pattern in patterns:
        names = tuple(pattern.pattern.regex.groupindex)
        if isinstance(pattern, URLResolver):
            child_namespace = namespace
            if pattern.namespace:
                child_namespace = (
                    f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                )
            yield from _walk(
                pattern.url_patterns,
                child_namespace,
                kwargs + names,
                inside_org or "org_slug" in names,
            )
        elif isinstance(pattern, URLPattern) and inside_org:
            assert pattern.name, f"Unnamed org URL {pattern.pattern}: name every org URL."
            full_name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            all_kwargs = tuple(k for k in kwargs + names if k != "org_slug")
            yield OrgUrl(full_name, all_kwargs, pattern.callback)


def org_urls() -> list[OrgUrl]:
    return list(_walk(get_resolver().url_patterns, "", (), False))
