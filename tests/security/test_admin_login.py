"""The Django admin signs in through allauth, so TOTP and login throttling apply to staff too."""

import pytest
from django.urls import reverse

from tests.factories import TEST_PASSWORD, UserFactory
from tests.security.mfa import totp_code, totp_enable

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_with_totp():
    staff = UserFactory(email="operator@example.com", is_staff=True, is_superuser=True)
    return staff, totp_enable(staff)


def test_admin_login_page_sends_to_allauth_login_with_next_admin(client):
    response = client.get("/admin/login/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next=%2Fadmin%2F"


def test_admin_index_for_anonymous_ends_at_allauth_login(client):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))


def test_admin_login_keeps_a_local_next_and_drops_a_foreign_one(client):
    local = client.get("/admin/login/", {"next": "/admin/tenants/organization/"})
    assert local["Location"].endswith("?next=%2Fadmin%2Ftenants%2Forganization%2F")
    foreign = client.get("/admin/login/", {"next": "https://evil.example.com/"})
    assert foreign["Location"].endswith("?next=%2Fadmin%2F")


def test_password_only_post_to_admin_login_does_not_authenticate(client, staff_with_totp):
    staff, _ = staff_with_totp
    response = client.post(
        "/admin/login/?next=/admin/", {"username": staff.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_staff_with_totp_cannot_reach_admin_without_the_code(client, staff_with_totp):
    staff, _ = staff_with_totp
    response = client.post(
        f"{reverse('account_login')}?next=/admin/",
        {"login": staff.email, "password": TEST_PASSWORD},
    )
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_staff_with_totp_reaches_admin_with_the_code(client, staff_with_totp):
    staff, secret = staff_with_totp
    client.post(
        f"{reverse('account_login')}?next=/admin/",
        {"login": staff.email, "password": TEST_PASSWORD},
    )
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_signed_in_non_staff_user_gets_403_not_a_redirect_loop(client, user):
    client.force_login(user)
    assert client.get("/admin/login/?next=/admin/").status_code == 403
    assert client.get("/admin/", follow=True).status_code == 403


def test_the_admin_sites_own_login_url_is_the_allauth_redirect():
    from django.urls import resolve

    from sprintolike.views import admin_login

    assert resolve(reverse("admin:login")).func is admin_login
