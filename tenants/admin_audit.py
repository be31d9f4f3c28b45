"""Django admin edits of evidence leave an audit trail: who (the staff user), what changed
(each field from → to), in the same transaction as the edit.

Evidence that only the engine or the sync writes is read-only in the admin (`ReadOnlyAdmin`);
evidence people record (data-loss reviews, special cases) may be corrected there by staff, and
`AuditedAdmin` records each correction in the organisation's audit log.
"""

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import Model, QuerySet
from django.forms import BaseModelFormSet, ModelForm
from django.http import HttpRequest

from tenants.audit import Describer, humanise
from tenants.audit import audit_action as register_audit_action
from tenants.services import audit_event_record


class ReadOnlyAdmin(admin.ModelAdmin):
    """Visible to staff, never added, changed or deleted from the admin."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, Model):
        return str(value.pk)
    if hasattr(value, "name") and hasattr(value, "url"):  # a file
        return getattr(value, "name", "") or ""
    return str(value)


def form_changes(form: ModelForm) -> dict[str, dict[str, Any]]:
    """{field: {"from": initial, "to": saved}} for each field the admin form changed."""
    return {
        name: {
            "from": _jsonable(form.initial.get(name)),
            "to": _jsonable(form.cleaned_data.get(name)),
        }
        for name in form.changed_data
    }


def _describe_admin_edit(verb: str) -> Describer:
    def describe(details: Mapping[str, Any], target: str) -> str:
        changed = sorted({*details.get("changed", {}), *details.get("inline", {})})
        fields = f" ({', '.join(humanise(name) for name in changed)})" if changed else ""
        return f"Staff {verb} {target} in the Django admin{fields}."

    return describe


class AuditedAdmin(admin.ModelAdmin):
    """Records `<audit_action>.admin_add|admin_change|admin_delete` for each edit (and for each
    inline row edited with it), and registers how those events read on the audit log. The
    model must have an `organization`."""

    audit_action: str = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.audit_action:
            what = humanise(cls.audit_action)
            for verb, past in (("add", "added"), ("change", "changed"), ("delete", "deleted")):
                register_audit_action(
                    f"{cls.audit_action}.admin_{verb}", label=f"{what} {past} by staff (admin)"
                )(_describe_admin_edit(past))

    def _record(self, request: HttpRequest, obj: Model, verb: str, details: dict) -> None:
        audit_event_record(
            organization=obj.organization,
            actor=request.user,
            action=f"{self.audit_action}.admin_{verb}",
            target=obj,
            details={"via": "django admin", **details},
        )

    def save_model(self, request: HttpRequest, obj: Model, form: ModelForm, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            changes = form_changes(form)
            if changes or not change:
                self._record(request, obj, "change" if change else "add", {"changed": changes})

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: BaseModelFormSet, change: bool
    ) -> None:
        with transaction.atomic():
            super().save_formset(request, form, formset, change)
            inline = {
                str(inline_form.instance): form_changes(inline_form)
                for inline_form in formset.forms
                if inline_form.has_changed() and inline_form.instance.pk
            }
            deleted = [str(obj) for obj in getattr(formset, "deleted_objects", [])]
            if inline or deleted:
                self._record(
                    request, form.instance, "change", {"inline": inline, "inline_deleted": deleted}
                )

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        with transaction.atomic():
            self._record(request, obj, "delete", {"deleted": str(obj)})
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        with transaction.atomic():
            for obj in queryset:
                self._record(request, obj, "delete", {"deleted": str(obj)})
            super().delete_queryset(request, queryset)
