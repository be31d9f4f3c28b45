"""Forms of Monitoring and special cases. Every refusal is a message beside its field."""

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone

from sprintolike.evidence import EvidenceFileField


class SpecialCaseForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Why this entity is out of scope (auditors read this).",
    )
    expires_on = forms.DateField(
        label="Expires on (optional)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="From this day on the check's own result applies again. Blank: until withdrawn.",
    )
    evidence = EvidenceFileField(label="Evidence (optional)")

    def clean_expires_on(self) -> Any:
        expires_on = self.cleaned_data.get("expires_on")
        if expires_on is not None and expires_on <= timezone.localdate():
            raise forms.ValidationError("The expiry date must be after today.")
        return expires_on


EVIDENCE_MAX_DAYS = 3 * 366


class EvidenceExportForm(forms.Form):
    """The range of an evidence export: UTC days, both included, ending by tomorrow at the
    latest and spanning at most about three years (an audit period with room to spare)."""

    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        latest_end = timezone.localdate() + timedelta(days=1)
        if end and end > latest_end:
            self.add_error(
                "end", f"The end date cannot be after {latest_end.isoformat()} (tomorrow)."
            )
        elif start and end and end < start:
            self.add_error("end", "The end date is before the start date.")
        elif start and end and (end - start).days + 1 > EVIDENCE_MAX_DAYS:
            self.add_error(
                "start",
                f"Export at most {EVIDENCE_MAX_DAYS} days at a time; pick a later start date "
                "or export the range in parts.",
            )
        return cleaned
