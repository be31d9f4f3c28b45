"""Forms of the access pages: they validate input; services make the changes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from access.models import (
    MAX_GRACE_DAYS,
    MAX_REVIEW_PERIOD_MONTHS,
    MIN_REVIEW_PERIOD_MONTHS,
    CriticalSystem,
    NotStaffKind,
    ReviewDecision,
    SystemKind,
    ValidAccessMode,
)
from access.rules import IDENTIFICATION_CHOICES
from integrations.pagerduty.roles import ROLE_CHOICES, PagerDutyRole
from tenants.models import Organization, OrgRole, StaffMember, StaffStatus


def member_choices(organization: Organization):
    return get_user_model().objects.filter(memberships__organization=organization).order_by("email")


class SystemAddForm(forms.Form):
    """Pick from the library: PagerDuty (fed by the sync) or a system kept by hand."""

    kind = forms.ChoiceField(choices=SystemKind.choices, widget=forms.RadioSelect, label="System")
    name = forms.CharField(max_length=100, required=False, help_text="For a system kept by hand.")
    description = forms.CharField(max_length=300, required=False)
    owner = forms.ModelChoiceField(
        queryset=None, required=False, help_text="A member of the organisation."
    )

    def __init__(self, *args, organization: Organization, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = member_choices(organization)
        if CriticalSystem.objects.filter(
            organization=organization, kind=SystemKind.PAGERDUTY
        ).exists():
            self.fields["kind"].choices = [(SystemKind.MANUAL.value, SystemKind.MANUAL.label)]
            self.fields["kind"].initial = SystemKind.MANUAL

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("kind") == SystemKind.MANUAL and not cleaned.get("name", "").strip():
            self.add_error("name", "Give the system a name.")
        return cleaned


class SystemSettingsForm(forms.Form):
    description = forms.CharField(max_length=300, required=False)
    owner = forms.ModelChoiceField(queryset=None, required=False)
    review_delegate = forms.ModelChoiceField(
        queryset=None,
        required=False,
        help_text="A member who may review access in the owner's stead.",
    )

    def __init__(self, *args, organization: Organization, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = member_choices(organization)
        self.fields["review_delegate"].queryset = member_choices(organization)


class ValidAccessForm(forms.Form):
    """All staff, or role-based with a limit per org role; grace days and review period.

    One row per org role: a tick (`role_<id>`) and, for PagerDuty, the highest role
    (`max_role_<id>`)."""

    mode = forms.ChoiceField(
        choices=ValidAccessMode.choices, widget=forms.RadioSelect, label="Valid access type"
    )
    grace_days = forms.IntegerField(
        min_value=0, max_value=MAX_GRACE_DAYS, initial=0, label="Offboarding grace period (days)"
    )
    review_period_months = forms.IntegerField(
        min_value=MIN_REVIEW_PERIOD_MONTHS,
        max_value=MAX_REVIEW_PERIOD_MONTHS,
        initial=12,
        label="Review period (months)",
    )

    def __init__(self, *args, system: CriticalSystem, allowances: dict[int, str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.system = system
        self.org_roles = list(
            OrgRole.objects.filter(organization=system.organization).order_by("name")
        )
        self.role_rows = []
        for org_role in self.org_roles:
            tick = forms.BooleanField(
                required=False, label=org_role.name, initial=org_role.pk in allowances
            )
            self.fields[f"role_{org_role.pk}"] = tick
            limit = None
            if system.is_pagerduty:
                limit = forms.ChoiceField(
                    choices=ROLE_CHOICES,
                    required=False,
                    label=f"Highest PagerDuty role for {org_role.name}",
                    initial=allowances.get(org_role.pk) or PagerDutyRole.RESPONDER.value,
                )
                self.fields[f"max_role_{org_role.pk}"] = limit
            self.role_rows.append(org_role)

    def rows(self):
        return [
            (
                org_role,
                self[f"role_{org_role.pk}"],
                self[f"max_role_{org_role.pk}"] if self.system.is_pagerduty else None,
            )
            for org_role in self.role_rows
        ]

    def clean(self) -> dict:
        cleaned = super().clean()
        allowances = {}
        for org_role in self.org_roles:
            if cleaned.get(f"role_{org_role.pk}"):
                allowances[org_role] = cleaned.get(f"max_role_{org_role.pk}", "") or ""
                if self.system.is_pagerduty and not allowances[org_role]:
                    self.add_error(f"max_role_{org_role.pk}", "Choose the highest PagerDuty role.")
        if cleaned.get("mode") == ValidAccessMode.ROLE_BASED and not allowances:
            self.add_error("mode", "Tick at least one org role that may hold an account.")
        cleaned["allowances"] = allowances
        return cleaned


STAFF_SELECT_LIMIT = 300


class StaffMemberField(forms.ModelChoiceField):
    """A staff member by id (a choice of the select) or by email or alternate email (typed)."""

    def to_python(self, value: Any) -> StaffMember | None:
        if isinstance(value, str) and "@" in value:
            email = value.strip().lower()
            member = (
                self.queryset.filter(email=email).first()
                or self.queryset.filter(alternate_email_rows__email=email).first()
            )
            if member is None:
                raise forms.ValidationError(
                    "No staff member has this email.", code="invalid_choice"
                )
            return member
        return super().to_python(value)


class MapAccountForm(forms.Form):
    """Map an account to a staff member: picked from a select in an organisation of up to
    `STAFF_SELECT_LIMIT` staff members; typed as an email or alternate email in a larger one,
    where a select of every staff member would weigh on every account page (10,000 options
    are seconds to render and half a megabyte to send)."""

    staff_member = StaffMemberField(queryset=None, label="Staff member")

    def __init__(self, *args, organization: Organization, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["staff_member"]
        field.queryset = StaffMember.objects.filter(organization=organization).order_by("name")
        if field.queryset.count() > STAFF_SELECT_LIMIT:
            field.widget = forms.EmailInput(attrs={"placeholder": "name@example.com"})
            field.help_text = "The staff member's email or alternate email."
            self.initial.pop("staff_member", None)


class NotStaffForm(forms.Form):
    not_staff_kind = forms.ChoiceField(choices=NotStaffKind.choices, label="Kind of account")
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    expires_on = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Optional: the account is judged again after this day.",
    )


class ManualAccountImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file", help_text="Columns: email,name,role. Replaces the system's accounts."
    )


class ReviewStartForm(forms.Form):
    reviewer = forms.ModelChoiceField(
        queryset=None, required=False, help_text="Defaults to the delegate, else the owner."
    )
    due_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), required=False)

    def __init__(self, *args, organization: Organization, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = member_choices(organization)


class ReviewDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=ReviewDecision.choices)
    downgrade_to = forms.ChoiceField(choices=[("", "—"), *ROLE_CHOICES], required=False)
    comment = forms.CharField(max_length=500, required=False)


YES_NO = [("", "Any"), ("yes", "Yes"), ("no", "No")]
CHECK_STATUS_CHOICES = [
    ("", "Any check status"),
    ("failing", "Failing"),
    ("due", "Due"),
    ("passing", "Passing"),
    ("not_evaluated", "Not evaluated"),
]
SORTS = {
    "name": "name",
    "-name": "-name",
    "email": "email",
    "role": "role",
    "last_login": "last_sign_in_at",
    "-last_login": "-last_sign_in_at",
    "staff": "staff_name",
    "identification": "identification",
}


class AccountFilterForm(forms.Form):
    q = forms.CharField(
        required=False,
        label="Search",
        widget=forms.TextInput(attrs={"placeholder": "Name or email"}),
    )
    identification = forms.ChoiceField(
        choices=[("", "Any identification"), *IDENTIFICATION_CHOICES], required=False
    )
    staff_status = forms.ChoiceField(
        choices=[("", "Any staff status"), *StaffStatus.choices], required=False
    )
    org_role = forms.ModelChoiceField(queryset=None, required=False, empty_label="Any org role")
    role = forms.ChoiceField(choices=[("", "Any PagerDuty role"), *ROLE_CHOICES], required=False)
    license = forms.ChoiceField(choices=[("", "Any license")], required=False)
    on_call = forms.ChoiceField(
        choices=[("", "On call: any"), ("yes", "On call"), ("no", "Not on call")], required=False
    )
    check_status = forms.ChoiceField(choices=CHECK_STATUS_CHOICES, required=False)
    sort = forms.ChoiceField(choices=[(key, key) for key in SORTS], required=False)

    def __init__(
        self, *args, organization: Organization, licenses: list[tuple[str, str]], **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_role"].queryset = OrgRole.objects.filter(
            organization=organization
        ).order_by("name")
        self.fields["license"].choices = [("", "Any license"), *licenses]
