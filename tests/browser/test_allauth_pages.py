"""Sign-in, sign-up, email, password and two-factor pages wear the app's layout and form styles.

Each page is looked at on a desktop and at phone width (screenshots in test-output/): it loads the
app's stylesheet, its form is a card, errors sit beside their field and nothing scrolls sideways.
"""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail

from tenants.models import Role
from tests.browser.conftest import OUTPUT_DIR
from tests.factories import TEST_PASSWORD, MembershipFactory
from tests.security.mfa import totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def looks_like_the_app(page, name: str) -> None:
    """The page uses the app's layout and fits a desktop and a phone; screenshots of both."""
    assert page.locator("link[rel=stylesheet][href*='css/app.css']").count() == 1
    assert page.locator("header.topbar .brand").is_visible()
    assert page.locator("main.content h1").count() == 1
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.screenshot(path=str(OUTPUT_DIR / f"allauth-{name}-{label}.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"{name} is {width}px wide at {label} width"
    page.set_viewport_size(DESKTOP)


def error_beside(page, field_name: str):
    return page.locator(f".field.has-error:has([name={field_name}]) .error")


def test_entrance_pages_sign_up_and_verify_email(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.locator("main.entrance form.card").is_visible()
    assert page.locator("form.card button.primary[type=submit]").is_visible()
    looks_like_the_app(page, "login")

    page.fill("input[name=login]", "nobody@example.com")
    page.fill("input[name=password]", "wrong-password")
    page.click("form.card button[type=submit]")
    assert page.locator("form.card .error").first.is_visible()
    looks_like_the_app(page, "login-error")

    page.goto(f"{live_server.url}/accounts/signup/")
    looks_like_the_app(page, "signup")
    page.fill("input[name=email]", "newcomer@example.com")
    page.fill("input[name=password1]", "a-long-and-unusual-passphrase")
    page.fill("input[name=password2]", "a-different-passphrase")
    page.click("form.card button[type=submit]")
    assert error_beside(page, "password2").is_visible()
    looks_like_the_app(page, "signup-error")

    page.fill("input[name=password1]", "a-long-and-unusual-passphrase")
    page.fill("input[name=password2]", "a-long-and-unusual-passphrase")
    page.click("form.card button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/confirm-email/$"))
    looks_like_the_app(page, "verification-sent")

    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", mail.outbox[-1].body).group(0)
    page.goto(live_server.url + urlsplit(link).path)
    assert page.locator("form button.primary").is_visible()
    looks_like_the_app(page, "confirm-email")

    page.goto(f"{live_server.url}/accounts/password/reset/")
    looks_like_the_app(page, "password-reset")
    page.fill("input[name=email]", "newcomer@example.com")
    page.click("form.card button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/password/reset/done/$"))
    looks_like_the_app(page, "password-reset-done")


def sign_in(page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("form.card button[type=submit]")


def test_account_and_two_factor_pages(page, live_server):
    membership = MembershipFactory(role=Role.OWNER, user__email="owner@example.com")
    sign_in(page, live_server, "owner@example.com")
    page.wait_for_url(re.compile(r"/o/[\w-]+/$"))

    page.goto(f"{live_server.url}/accounts/email/")
    assert page.locator("nav.tabs a.current").inner_text() == "Email addresses"
    assert page.locator(".badge.success").first.is_visible()  # "Verified"
    looks_like_the_app(page, "email")
    page.fill("input[name=email][type=email]", "owner@example.com")
    page.click("button[name=action_add]")
    assert page.locator(".field.has-error:has(input[type=email]) .error").is_visible()
    looks_like_the_app(page, "email-error")

    page.goto(f"{live_server.url}/accounts/password/change/")
    looks_like_the_app(page, "password-change")

    page.goto(f"{live_server.url}/accounts/2fa/")
    assert page.locator("section.card.panel").first.is_visible()
    looks_like_the_app(page, "two-factor")

    page.goto(f"{live_server.url}/accounts/2fa/totp/activate/")
    if "/reauthenticate/" in page.url:
        looks_like_the_app(page, "reauthenticate")
        page.fill("input[name=password]", TEST_PASSWORD)
        page.click("form.card button[type=submit]")
        page.wait_for_url(re.compile(r"/accounts/2fa/totp/activate/$"))
    assert page.locator("img.qr").is_visible()
    looks_like_the_app(page, "totp-activate")
    page.fill("input[name=code]", "000000")
    page.click("form.card button[type=submit]")
    assert error_beside(page, "code").is_visible()
    looks_like_the_app(page, "totp-activate-error")
    secret = page.locator("#authenticator_secret").input_value()
    page.fill("input[name=code]", totp_code(secret))
    page.click("form.card button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/2fa/"))

    page.goto(f"{live_server.url}/accounts/2fa/recovery-codes/")
    looks_like_the_app(page, "recovery-codes")

    page.goto(f"{live_server.url}/accounts/2fa/totp/deactivate/")
    assert page.locator("button.danger, button.primary").first.is_visible()
    looks_like_the_app(page, "totp-deactivate")

    page.context.clear_cookies()
    sign_in(page, live_server, membership.user.email)
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/$"))
    looks_like_the_app(page, "two-factor-authenticate")
    page.fill("input[name=code]", "000000")
    page.click("form.card button[type=submit]")
    assert error_beside(page, "code").is_visible()
