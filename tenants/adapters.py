"""The one place allauth is customised."""

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        from django.conf import settings

        return getattr(settings, "ACCOUNT_ALLOW_SIGNUP", True)
