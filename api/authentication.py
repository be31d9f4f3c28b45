"""`Authorization: Bearer <token>` for organisation API tokens.

A token request has no user: `request.user` is anonymous and `request.auth` is the `ApiToken`,
so services record no actor for a token's writes (`sprintolike.actors.user_or_none`). The
secret is never logged: it is hashed at once and only the hash is looked up.
"""

from typing import Any

from django.contrib.auth.models import AnonymousUser
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from api.models import ApiToken
from api.services import api_token_authenticate, api_token_record_use

KEYWORD = b"bearer"


class BearerTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD:
            return None  # no token: the session may authenticate instead
        if len(parts) != 2:
            raise AuthenticationFailed("Send the header as “Authorization: Bearer <token>”.")
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed("Invalid, revoked or expired token.") from None
        token = api_token_authenticate(secret)
        if token is None:
            raise AuthenticationFailed("Invalid, revoked or expired token.")
        api_token_record_use(token=token)
        return AnonymousUser(), token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'
