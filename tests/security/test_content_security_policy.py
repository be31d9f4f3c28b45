"""Content-Security-Policy: no inline script, assets from our own origin only."""

import pytest


@pytest.mark.django_db
def test_pages_carry_a_policy_without_inline_script(client):
    response = client.get("/accounts/login/")

    policy = response.headers["Content-Security-Policy"]
    directives = dict(
        (part.split(" ", 1) + [""])[:2] for part in (item.strip() for item in policy.split(";"))
    )
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy
