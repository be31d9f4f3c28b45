from django import forms

from tenants.alternate_emails import alternate_email_clashes, alternate_emails_parse
from tenants.models import Organization, OrgRole, Role, StaffMember, StaffStatus

STAFF_IMPORT_MAX_BYTES = 5 * 1024 * 1024


class OrganizationForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["name"]
        labels = {"name": "Organisation name"}


class InvitationForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)


class MembershipRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class OrgRoleForm(forms.ModelForm):
    class Meta:
        model = OrgRole
        fields = ["name", "description"]


class StaffMemberForm(forms.ModelForm):
    alternate_emails = forms.CharField(
        required=False,
        max_length=2000,
        help_text="Other addresses this person uses (aliases, an old domain), separated by ;",
    )

    class Meta:
        model = StaffMember
        fields = ["name", "email", "org_role", "status", "start_date", "last_working_day"]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "last_working_day": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, organization, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.instance.organization = organization
        self.fields["org_role"].queryset = organization.org_roles.all()
        if self.instance.pk and not self.is_bound:
            self.initial["alternate_emails"] = "; ".join(self.instance.alternate_emails)

    def clean_alternate_emails(self) -> list[str]:
        emails, problems = alternate_emails_parse(self.cleaned_data.get("alternate_emails", ""))
        if problems:
            raise forms.ValidationError("; ".join(problems))
        clashes = alternate_email_clashes(
            organization=self.organization,
            emails=emails,
            exclude_staff_ids=[self.instance.pk] if self.instance.pk else [],
        )
        if clashes:
            raise forms.ValidationError(
                "; ".join(f"{email} is already {name}’s" for email, name in clashes.items())
            )
        return emails

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        clash = self.organization.staff_members.filter(email=email)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("Someone in the staff directory already has this email.")
        return email

    def clean(self) -> dict:
        cleaned = super().clean()
        status = cleaned.get("status")
        start_date, last_working_day = cleaned.get("start_date"), cleaned.get("last_working_day")
        if status == StaffStatus.OFFBOARDED and not last_working_day:
            self.add_error("last_working_day", "An offboarded person needs a last working day.")
        if start_date and last_working_day and last_working_day < start_date:
            self.add_error("last_working_day", "The last working day is before the start date.")
        email = cleaned.get("email")
        if email and email in (cleaned.get("alternate_emails") or []):
            self.add_error("alternate_emails", "The main email cannot also be an alternate one.")
        return cleaned


class OffboardForm(forms.Form):
    last_working_day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))


class StaffFilterForm(forms.Form):
    q = forms.CharField(
        required=False,
        label="Search",
        widget=forms.TextInput(attrs={"placeholder": "Search name or email", "type": "search"}),
    )
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *StaffStatus.choices])
    org_role = forms.ModelChoiceField(
        required=False, queryset=OrgRole.objects.none(), empty_label="Any org role"
    )

    def __init__(self, *args, organization, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_role"].queryset = organization.org_roles.all()


class StaffImportForm(forms.Form):
    file = forms.FileField(
        help_text="CSV with columns name,email,org_role,status,start_date,last_working_day"
    )
    create_missing_org_roles = forms.BooleanField(
        required=False, label="Create org roles the file names that do not exist yet"
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > STAFF_IMPORT_MAX_BYTES:
            raise forms.ValidationError("The file is larger than 5 MB.")
        if not upload.name.lower().endswith((".csv", ".txt")):
            raise forms.ValidationError("Upload a .csv file.")
        return upload


class AuditLogFilterForm(forms.Form):
    """Filters of the audit log page and its CSV export (the same query string serves both)."""

    SYSTEM = "system"

    action = forms.ChoiceField(required=False)
    actor = forms.ChoiceField(required=False)
    start = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(
        self, *args, actions: list[tuple[str, str]], actors: list[tuple[int, str]], **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", "Any action"), *actions]
        self.fields["actor"].choices = [
            ("", "Anyone"),
            *((str(actor_id), email) for actor_id, email in actors),
            (self.SYSTEM, "System"),
        ]

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            self.add_error("end", "The end date is before the start date.")
        return cleaned
