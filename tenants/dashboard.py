"""The dashboard's panels and setup checklist, contributed by the apps that own the data.

`tenants` must not import the domain apps, so each app registers what it shows in its
`AppConfig.ready()`:

- `register_dashboard_panel(code, order, template, context)`: `context(request)` returns the
  template's context (a dict), or None to hide the panel. Panels show in ascending `order`.
- `register_setup_step(code, order, title, hint, done, url)`: one step of the checklist a new
  organisation sees; `done(organization)` (one small query) ticks it, `url(organization)` is
  where to do it. The checklist hides once every step is done.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from tenants.models import Organization

PanelContext = Callable[[HttpRequest], dict[str, Any] | None]


@dataclass(frozen=True)
class DashboardPanel:
    code: str
    order: int
    template: str
    context: PanelContext


@dataclass(frozen=True)
class SetupStep:
    code: str
    order: int
    title: str
    hint: str
    done: Callable[[Organization], bool]
    url: Callable[[Organization], str]


@dataclass(frozen=True)
class RenderedPanel:
    code: str
    template: str
    context: dict[str, Any]


@dataclass(frozen=True)
class StepState:
    step: SetupStep
    done: bool
    url: str


_PANELS: dict[str, DashboardPanel] = {}
_STEPS: dict[str, SetupStep] = {}


def register_dashboard_panel(
    code: str, *, order: int, template: str, context: PanelContext
) -> DashboardPanel:
    panel = DashboardPanel(code=code, order=order, template=template, context=context)
    _PANELS[code] = panel
    return panel


def unregister_dashboard_panel(code: str) -> None:
    _PANELS.pop(code, None)


def register_setup_step(
    code: str,
    *,
    order: int,
    title: str,
    hint: str,
    done: Callable[[Organization], bool],
    url: Callable[[Organization], str],
) -> SetupStep:
    step = SetupStep(code=code, order=order, title=title, hint=hint, done=done, url=url)
    _STEPS[code] = step
    return step


def unregister_setup_step(code: str) -> None:
    _STEPS.pop(code, None)


def dashboard_panels(request: HttpRequest) -> list[RenderedPanel]:
    """The visible panels in order, each with its context (a panel whose context is None is
    hidden); the page renders them with `{% dashboard_panel panel %}`."""
    rendered = []
    for panel in sorted(_PANELS.values(), key=lambda panel: (panel.order, panel.code)):
        context = panel.context(request)
        if context is not None:
            rendered.append(
                RenderedPanel(code=panel.code, template=panel.template, context=context)
            )
    return rendered


def setup_checklist(organization: Organization) -> list[StepState]:
    """Every step with whether it is done; empty once all are (the checklist hides)."""
    states = [
        StepState(step=step, done=bool(step.done(organization)), url=step.url(organization))
        for step in sorted(_STEPS.values(), key=lambda step: (step.order, step.code))
    ]
    if all(state.done for state in states):
        return []
    return states
