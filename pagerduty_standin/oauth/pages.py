"""The two HTML pages PagerDuty's identity server shows: consent, and errors it never redirects."""

from __future__ import annotations

import html

from pagerduty_standin.oauth.provider import AuthorizationRequest


def consent_page(
    request: AuthorizationRequest,
    *,
    subdomain: str,
    signed_in_choices: list[tuple[str, str]],
    selected_user_id: str,
) -> str:
    """The small HTML page asking the user to approve or deny the requested scopes."""
    hidden_fields = {
        "response_type": "code",
        "client_id": request.client_id,
        "redirect_uri": request.redirect_uri,
        "scope": " ".join(request.requested_scopes),
        "state": request.state or "",
        "code_challenge": request.code_challenge,
        "code_challenge_method": "S256",
    }
    hidden_html = "\n".join(
        f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
        for name, value in hidden_fields.items()
    )
    granted_items = "\n".join(
        f"<li><code>{html.escape(scope)}</code></li>" for scope in sorted(request.granted_scopes)
    )
    dropped = [scope for scope in request.requested_scopes if scope not in request.granted_scopes]
    dropped_html = (
        "<p>Not granted (unknown or not allowed for this app): "
        + ", ".join(f"<code>{html.escape(scope)}</code>" for scope in dropped)
        + "</p>"
        if dropped
        else ""
    )
    user_options = "\n".join(
        f'<option value="{html.escape(user_id)}"{" selected" if user_id == selected_user_id else ""}>'
        f"{html.escape(label)}</option>"
        for user_id, label in signed_in_choices
    )
    return f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Authorize app - PagerDuty stand-in</title></head>
<body>
<h1>Authorize access to {html.escape(subdomain)}.pagerduty.com</h1>
<p>An app (client <code>{html.escape(request.client_id)}</code>) asks for these scopes:</p>
<ul>
{granted_items}
</ul>
{dropped_html}
<form method="post" action="/oauth/authorize">
{hidden_html}
<label>Signed in as <select name="user_id">
{user_options}
</select></label>
<p>
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny">Deny</button>
</p>
</form>
</body>
</html>
"""


def error_page(message: str) -> str:
    """PagerDuty shows client and redirect URI problems on its own page, never redirecting."""
    return f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>OAuth error - PagerDuty stand-in</title></head>
<body><h1>Something went wrong</h1><p>{html.escape(message)}</p></body>
</html>
"""
