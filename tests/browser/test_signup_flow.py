"""End to end in a real browser: sign up, create an organisation, add a staff member."""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail

from tenants.models import Membership, StaffMember

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_up_create_org_and_add_staff_member(live_server, page, screenshot):
    page.goto(f"{live_server.url}/accounts/signup/")
    page.fill("input[name=email]", "founder@example.com")
    page.fill("input[name=password1]", "a-long-and-unusual-passphrase")
    page.fill("input[name=password2]", "a-long-and-unusual-passphrase")
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/confirm-email/"))

    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", mail.outbox[-1].body).group(0)
    page.goto(live_server.url + urlsplit(link).path)
    page.click("form button[type=submit]")

    page.wait_for_url(re.compile(r"/orgs/new/"))
    page.fill("input[name=name]", "Acme Corp")
    page.click("form.card button[type=submit]")
    page.wait_for_url(re.compile(r"/o/acme-corp/"))

    page.click("text=Staff directory")
    page.click("text=Add staff member")
    page.fill("input[name=name]", "Grace Hopper")
    page.fill("input[name=email]", "grace@example.com")
    page.click("form.card button[type=submit]")

    page.wait_for_url(re.compile(r"/o/acme-corp/staff/$"))
    assert page.locator("table").get_by_text("Grace Hopper").is_visible()
    assert page.get_by_text("Grace Hopper added to the staff directory.").is_visible()
    screenshot("staff-directory")
    assert Membership.objects.get(user__email="founder@example.com").role == "owner"
    assert StaffMember.objects.filter(email="grace@example.com").exists()
