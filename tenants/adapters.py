"""The one place allauth is customised."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal.httpkit import clean_client_ip
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from tenants.mfa_secrets import mfa_secret_decrypt, mfa_secret_encrypt


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address, counting `TRUSTED_PROXY_COUNT` proxies from the right of X-Forwarded-For.

    allauth raises ImproperlyConfigured (a 500 on the login page) when the header holds fewer
    entries than the proxies we trust, which a direct hit on the app server or a proxy that
    replaces rather than appends the header does. Then the left-most entry is the nearest to the
    client we have; a malformed entry falls back to REMOTE_ADDR.
    """
    trusted_header = getattr(settings, "ALLAUTH_TRUSTED_CLIENT_IP_HEADER", None)
    if trusted_header:
        header_ip = request.headers.get(trusted_header)
        return clean_client_ip(header_ip) if header_ip else None
    proxy_count = getattr(settings, "ALLAUTH_TRUSTED_PROXY_COUNT", 0)
    forwarded_for = request.headers.get("x-forwarded-for", "")
    entries = [entry.strip() for entry in forwarded_for.split(",") if entry.strip()]
    if proxy_count > 0 and entries:
        forwarded_ip = entries[-proxy_count] if len(entries) >= proxy_count else entries[0]
        cleaned = clean_client_ip(forwarded_ip)
        if cleaned:
            return cleaned
    remote_addr = request.META.get("REMOTE_ADDR")
    return clean_client_ip(remote_addr) if remote_addr else None


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return getattr(settings, "ACCOUNT_ALLOW_SIGNUP", True)

    def get_client_ip(self, request: HttpRequest) -> str:
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip


class MFAAdapter(DefaultMFAAdapter):
    """TOTP secrets and recovery seeds are stored encrypted (allauth stores them in the clear)."""

    def encrypt(self, text: str) -> str:
        return mfa_secret_encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return mfa_secret_decrypt(encrypted_text)
