from django import forms

from integrations.models import Purpose, Region


class PurposesForm(forms.Form):
    purposes = forms.MultipleChoiceField(
        choices=Purpose.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[Purpose.INCIDENT_MANAGEMENT],
        error_messages={"required": "Choose at least one use for PagerDuty."},
        label="Use PagerDuty for",
    )


class _ConnectForm(PurposesForm):
    """Access management reads every user's details, so it needs an explicit acknowledgement."""

    acknowledge_access_management = forms.BooleanField(required=False)

    def __init__(self, *args, acknowledgement: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["acknowledge_access_management"].label = acknowledgement

    def clean(self) -> dict:
        cleaned = super().clean()
        if Purpose.ACCESS_MANAGEMENT in cleaned.get("purposes", []) and not cleaned.get(
            "acknowledge_access_management"
        ):
            self.add_error(
                "acknowledge_access_management",
                "Tick this box to connect PagerDuty for access management.",
            )
        return cleaned


class OAuthConnectForm(_ConnectForm):
    """Second step of the OAuth flow: the purposes chosen on the first step ride along hidden."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["purposes"].widget = forms.MultipleHiddenInput()


class ApiKeyConnectForm(_ConnectForm):
    api_key = forms.CharField(
        label="Read-only REST API key",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        min_length=10,
        max_length=200,
    )
    region = forms.ChoiceField(choices=Region.choices, initial=Region.US)


class RevokeForm(forms.Form):
    KEEP, PURGE = "keep", "purge"
    data = forms.ChoiceField(
        choices=[
            (KEEP, "Keep the data synced so far (evidence stays available)"),
            (PURGE, "Delete every record synced through this connection"),
        ],
        widget=forms.RadioSelect,
        initial=KEEP,
        label="Synced data",
    )
    confirm = forms.BooleanField(label="Yes, revoke this connection")
