"""How to make another organisation's object for each id a URL under /o/<org_slug>/ takes.

Each test package contributes the makers of its own pages in `tests/<package>/objects.py`
(a `FOREIGN_OBJECT_MAKERS` dict: URL kwarg -> function of an organisation returning the id);
they are found here without a central table. The tenant-isolation and role walks fill every URL
kwarg from them; a URL with a kwarg nobody makes fails the walk, so each new page must say how
its objects are made.
"""

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from pathlib import Path

from django.apps import AppConfig, apps

from tenants.models import Organization
from tests.urlwalk import OrgUrl

Maker = Callable[[Organization], object]
TESTS_DIR = Path(__file__).resolve().parent


def foreign_object_makers() -> dict[str, Maker]:
    """Every test package's makers, merged; two packages making the same kwarg is an error."""
    makers: dict[str, Maker] = {}
    owners: dict[str, str] = {}
    for package in sorted(
        module.name for module in pkgutil.iter_modules([str(TESTS_DIR)]) if module.ispkg
    ):
        if not (TESTS_DIR / package / "objects.py").exists():
            continue
        module = importlib.import_module(f"tests.{package}.objects")
        for kwarg, make in module.FOREIGN_OBJECT_MAKERS.items():
            assert kwarg not in makers, (
                f"URL kwarg {kwarg!r} has makers in tests/{owners[kwarg]} and tests/{package}"
            )
            makers[kwarg] = make
            owners[kwarg] = package
    return makers


def kwargs_without_makers(urls: Iterable[OrgUrl], makers: dict[str, Maker]) -> list[str]:
    return sorted({kwarg for url in urls for kwarg in url.kwargs if kwarg not in makers})


def project_app_configs() -> list[AppConfig]:
    """The project's own apps (not Django's or a library's): their rows are snapshotted."""
    return [config for config in apps.get_app_configs() if "site-packages" not in config.path]
