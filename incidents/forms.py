"""Forms of the incident pages. Every refusal is a message beside the field it is about."""

from datetime import date
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import QuerySet
from django.utils import timezone

from incidents.models import (
    MAX_RECORDS_AFFECTED,
    MAX_SLA_HOURS,
    DataKind,
    DataLossAnswer,
    Stakeholder,
)
from incidents.selectors import IncidentFilters
from integrations.models import IncidentStatus, RemotePriority, RemoteService
from sprintolike.evidence import EvidenceFileField


def sla_hours_field(**kwargs: Any) -> forms.IntegerField:
    return forms.IntegerField(
        min_value=1,
        max_value=MAX_SLA_HOURS,
        error_messages={
            "invalid": "Enter a whole number of hours.",
            "min_value": "The SLA must be at least 1 hour.",
        },
        widget=forms.NumberInput(attrs={"min": 1, "step": 1, "class": "hours"}),
        **kwargs,
    )


class IncidentPolicyForm(forms.Form):
    SOURCE_ALL = "all"
    SOURCE_SELECTED = "selected"

    source_mode = forms.ChoiceField(
        label="Which services are sources",
        choices=[
            (SOURCE_ALL, "Every PagerDuty service, including services added later"),
            (SOURCE_SELECTED, "Only the services selected below"),
        ],
        widget=forms.RadioSelect,
    )
    sources = forms.ModelMultipleChoiceField(
        label="Services",
        queryset=RemoteService.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": "%(value)s is not a synced service of this organisation.",
            "invalid_pk_value": "“%(pk)s” is not a service.",
        },
    )
    report_email = forms.EmailField(
        label="Incident report email address",
        required=False,
        help_text="Where employees report incidents. The addresses of your services' PagerDuty "
        "email integrations are suggested.",
    )
    sla_hours_high = sla_hours_field(label="SLA for high urgency (hours)")
    sla_hours_low = sla_hours_field(label="SLA for low urgency (hours)")
    data_loss_field_name = forms.CharField(
        label="Data-loss custom field",
        required=False,
        max_length=100,
        help_text="Name of the PagerDuty incident custom field that says data was lost "
        "(blank: do not use a custom field).",
    )

    def __init__(
        self,
        *args: Any,
        services: QuerySet[RemoteService],
        priorities: list[RemotePriority],
        email_suggestions: list[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sources"].queryset = services
        self.fields["sources"].label_from_instance = lambda service: (
            f"{service.name} (removed from PagerDuty)" if service.removed_at else service.name
        )
        self.email_suggestions = email_suggestions
        self.fields["report_email"].widget.attrs["list"] = "report-email-suggestions"
        self.priorities = priorities
        for priority in priorities:
            self.fields[self.priority_field_name(priority)] = sla_hours_field(
                label=f"SLA for priority {priority.name} (hours)",
                required=False,
                help_text="Blank: the urgency's SLA applies.",
            )

    @classmethod
    def initial_for(
        cls, *, scope: Any, priorities: list[RemotePriority], email_suggestions: list[str]
    ) -> dict[str, Any]:
        """The form as the stored policy (an `IncidentScope`) has it. The report address is only
        what was saved: the services' addresses are suggestions (a datalist), never a value
        that a save would store without the admin choosing it."""
        policy = scope.policy
        return {
            "source_mode": cls.SOURCE_SELECTED if policy.sources_narrowed else cls.SOURCE_ALL,
            "sources": sorted(scope.source_service_ids or []),
            "report_email": policy.report_email,
            "sla_hours_high": policy.sla_hours_high,
            "sla_hours_low": policy.sla_hours_low,
            "data_loss_field_name": policy.data_loss_field_name,
            **{
                cls.priority_field_name(priority): scope.priority_sla[priority.pk][0]
                for priority in priorities
                if priority.pk in scope.priority_sla
            },
        }

    @staticmethod
    def priority_field_name(priority: RemotePriority) -> str:
        return f"priority_{priority.pk}"

    @property
    def priority_fields(self) -> list[forms.BoundField]:
        return [self[self.priority_field_name(priority)] for priority in self.priorities]

    @property
    def general_fields(self) -> list[forms.BoundField]:
        return [self["report_email"], self["data_loss_field_name"]]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        selected_mode = cleaned.get("source_mode") == self.SOURCE_SELECTED
        if selected_mode and not cleaned.get("sources") and "sources" not in self.errors:
            self.add_error(
                "sources", "Choose at least one service, or make every service a source."
            )
        return cleaned

    def priority_sla_hours(self) -> dict[int, int | None]:
        return {
            priority.pk: self.cleaned_data.get(self.priority_field_name(priority))
            for priority in self.priorities
        }


FILTER_DATE_MIN = date(1970, 1, 1)
FILTER_DATE_MAX = date(2100, 12, 31)


def filter_date_field(label: str) -> forms.DateField:
    """A date filter refused beside the field outside 1970-2100 (a date at the calendar's
    limit, such as 9999-12-31, would overflow the day-after arithmetic of the query)."""
    message = f"Pick a date from {FILTER_DATE_MIN.isoformat()} to {FILTER_DATE_MAX.isoformat()}."
    return forms.DateField(
        required=False,
        label=label,
        widget=forms.DateInput(
            attrs={
                "type": "date",
                "min": FILTER_DATE_MIN.isoformat(),
                "max": FILTER_DATE_MAX.isoformat(),
            }
        ),
        validators=[
            MinValueValidator(FILTER_DATE_MIN, message=message),
            MaxValueValidator(FILTER_DATE_MAX, message=message),
        ],
        error_messages={"invalid": "Enter a date as YYYY-MM-DD."},
    )


class IncidentFilterForm(forms.Form):
    q = forms.CharField(
        required=False,
        label="Search",
        widget=forms.TextInput(
            attrs={"placeholder": "Title, number or PagerDuty id", "type": "search"}
        ),
    )
    failing = forms.BooleanField(required=False, label="Failing only")
    severity = forms.ChoiceField(required=False)
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *IncidentStatus.choices]
    )
    source = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    data_loss = forms.ChoiceField(
        required=False,
        label="Data loss",
        choices=[
            ("", "Any data loss"),
            (DataLossAnswer.YES, "Data loss: yes"),
            (DataLossAnswer.NO, "Data loss: no"),
            ("not_answered", "Data loss: not answered"),
            ("to_review", "Data loss: to review (resolved, not answered)"),
        ],
    )
    created_from = filter_date_field("Reported from")
    created_to = filter_date_field("Reported to")

    def __init__(
        self,
        *args: Any,
        sources: list[RemoteService],
        priorities: list[RemotePriority],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["severity"].choices = [
            ("", "Any severity"),
            ("urgency:high", "High urgency"),
            ("urgency:low", "Low urgency"),
            *[(f"priority:{priority.pk}", f"Priority {priority.name}") for priority in priorities],
        ]
        self.fields["source"].choices = [
            ("", "Any source"),
            *[(service.pk, service.name) for service in sources],
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("created_from"), cleaned.get("created_to")
        if start and end and end < start:
            self.add_error("created_to", "The end date is before the start date.")
        return cleaned


class DataLossForm(forms.Form):
    """The data-loss review of one incident, with one disclosure block per stakeholder."""

    data_loss = forms.ChoiceField(
        label="Was data lost?",
        choices=[
            (DataLossAnswer.YES, "Yes"),
            (DataLossAnswer.NO, "No"),
            (DataLossAnswer.NOT_ANSWERED, "Not answered yet"),
        ],
        widget=forms.RadioSelect,
        required=False,
    )
    data_kinds = forms.MultipleChoiceField(
        label="Kinds of data lost",
        choices=DataKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    other_data_description = forms.CharField(
        label="Other data (describe)", max_length=300, required=False
    )
    records_affected = forms.IntegerField(
        label="Records affected",
        min_value=0,
        max_value=MAX_RECORDS_AFFECTED,
        required=False,
        error_messages={
            "invalid": "Enter a whole number of records.",
            "min_value": "The number of records cannot be negative.",
            "max_value": "That number is too large to store; enter the number of records "
            "affected (estimate if needed).",
        },
    )
    stakeholders = forms.MultipleChoiceField(
        label="Must be disclosed to",
        choices=Stakeholder.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args: Any, disclosures: dict[str, Any] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.existing_disclosures = disclosures or {}
        for stakeholder, label in Stakeholder.choices:
            self.fields[f"{stakeholder}_done"] = forms.BooleanField(
                label=f"Disclosed to {label.lower()}", required=False
            )
            self.fields[f"{stakeholder}_date"] = forms.DateField(
                label="Date disclosed",
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}),
            )
            self.fields[f"{stakeholder}_evidence"] = EvidenceFileField(label="Evidence")
            self.fields[f"{stakeholder}_remove_evidence"] = forms.BooleanField(
                label="Remove the stored evidence", required=False
            )

    @property
    def detail_fields(self) -> list[forms.BoundField]:
        return [
            self["data_kinds"],
            self["other_data_description"],
            self["records_affected"],
            self["stakeholders"],
        ]

    @property
    def error_summary(self) -> list[dict[str, str]]:
        """Every error of the form, each with the id of the input it is about (the first
        option of a group of choices), for the summary at the top of the form."""
        labels = dict(Stakeholder.choices)
        summary = [{"anchor": "", "label": "", "error": error} for error in self.non_field_errors()]
        for name, field in self.fields.items():
            bound = self[name]
            label = str(field.label)
            stakeholder = next((value for value in labels if name.startswith(f"{value}_")), "")
            if stakeholder and labels[stakeholder].lower() not in label.lower():
                label = f"Disclosure to {labels[stakeholder].lower()}: {label}"
            multiple = isinstance(field.widget, (forms.RadioSelect, forms.CheckboxSelectMultiple))
            anchor = f"{bound.auto_id}_0" if multiple else bound.auto_id
            summary += [{"anchor": anchor, "label": label, "error": e} for e in bound.errors]
        return summary

    @property
    def disclosure_blocks(self) -> list[dict[str, Any]]:
        return [
            {
                "stakeholder": stakeholder,
                "label": label,
                "done": self[f"{stakeholder}_done"],
                "date": self[f"{stakeholder}_date"],
                "evidence": self[f"{stakeholder}_evidence"],
                "remove_evidence": self[f"{stakeholder}_remove_evidence"],
                "existing": self.existing_disclosures.get(stakeholder),
            }
            for stakeholder, label in Stakeholder.choices
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        chosen = set(cleaned.get("stakeholders") or [])
        today = timezone.localdate()
        for stakeholder, label in Stakeholder.choices:
            done = cleaned.get(f"{stakeholder}_done")
            disclosed_on: date | None = cleaned.get(f"{stakeholder}_date")
            if done and stakeholder not in chosen:
                self.add_error(
                    f"{stakeholder}_done",
                    f"Tick {label.lower()} under “Must be disclosed to” first.",
                )
            if done and disclosed_on is None and f"{stakeholder}_date" not in self.errors:
                self.add_error(f"{stakeholder}_date", "Give the date of the disclosure.")
            if disclosed_on and disclosed_on > today:
                self.add_error(f"{stakeholder}_date", "The date cannot be in the future.")
        if (
            DataKind.OTHER in (cleaned.get("data_kinds") or [])
            and not (cleaned.get("other_data_description") or "").strip()
        ):
            self.add_error("other_data_description", "Describe the other data that was lost.")
        return cleaned


def data_loss_form_initial(review: Any) -> dict[str, Any]:
    """The form's initial values from a stored `DataLossReview` (or none yet)."""
    if review is None:
        return {"data_loss": DataLossAnswer.NOT_ANSWERED}
    initial: dict[str, Any] = {
        "data_loss": review.data_loss,
        "data_kinds": review.data_kinds,
        "other_data_description": review.other_data_description,
        "records_affected": review.records_affected,
        "stakeholders": review.stakeholders,
        "notes": review.notes,
    }
    for disclosure in review.disclosures.all():
        initial[f"{disclosure.stakeholder}_done"] = disclosure.done
        initial[f"{disclosure.stakeholder}_date"] = disclosure.disclosed_on
    return initial


def incident_filters_from(form: IncidentFilterForm) -> IncidentFilters:
    """The valid filters of a bound filter form (a bad one is said beside the filters)."""
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    return IncidentFilters(
        search=cleaned.get("q") or "",
        failing_only=bool(cleaned.get("failing")),
        severity=cleaned.get("severity") or "",
        status=cleaned.get("status") or "",
        source_id=cleaned.get("source"),
        data_loss=cleaned.get("data_loss") or "",
        created_from=cleaned.get("created_from"),
        created_to=cleaned.get("created_to"),
    )
