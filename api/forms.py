from django import forms

from api.models import TokenRole
from api.services import MAX_EXPIRES_DAYS


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="What it is for, e.g. “Nightly evidence export”."
    )
    role = forms.ChoiceField(
        choices=TokenRole.choices,
        initial=TokenRole.MEMBER,
        help_text="Member tokens read; admin tokens also record data loss, special cases, staff "
        "changes and start syncs.",
    )
    expires_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_EXPIRES_DAYS,
        label="Expires after (days)",
        help_text="Leave blank for a token that never expires.",
    )
