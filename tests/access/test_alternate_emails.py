"""Staff alternate emails: the form (separated by ;) and the CSV column `alternate_emails`."""

import pytest
from django.urls import reverse

from tenants.models import StaffAlternateEmail, StaffMember
from tenants.staff_import import staff_import

pytestmark = pytest.mark.django_db


def test_form_saves_alternate_emails_in_lower_case(admin_client, organization):
    url = reverse("tenants:staff_create", args=[organization.slug])
    response = admin_client.post(
        url,
        {
            "name": "Ada",
            "email": "ada@example.com",
            "status": "active",
            "alternate_emails": "Ada@Old.example; a.l@example.com",
        },
    )
    assert response.status_code == 302
    ada = StaffMember.objects.get(email="ada@example.com")
    assert sorted(ada.alternate_emails) == ["a.l@example.com", "ada@old.example"]
    edit = admin_client.get(reverse("tenants:staff_edit", args=[organization.slug, ada.pk]))
    assert "ada@old.example" in edit.content.decode()


def test_form_refuses_an_address_someone_else_has(admin_client, organization):
    StaffMember.objects.create(organization=organization, name="Bob", email="bob@example.com")
    url = reverse("tenants:staff_create", args=[organization.slug])
    response = admin_client.post(
        url,
        {
            "name": "Ada",
            "email": "ada@example.com",
            "status": "active",
            "alternate_emails": "BOB@example.com; nope",
        },
    )
    assert response.status_code == 400
    assert "alternate_emails" in response.context["form"].errors
    assert not StaffAlternateEmail.objects.exists()


def test_csv_column_imports_alternate_emails_and_reports_bad_ones(organization):
    good = b"name,email,alternate_emails\nAda,ada@example.com,ada@old.example;A.L@example.com\nBob,bob@example.com,\n"
    result = staff_import(organization=organization, content=good, create_missing_org_roles=False)
    assert result.ok, result.errors
    assert sorted(StaffAlternateEmail.objects.values_list("email", flat=True)) == [
        "a.l@example.com",
        "ada@old.example",
    ]

    bad = b"name,email,alternate_emails\nCy,cy@example.com,not-an-email\nDi,di@example.com,ada@old.example\n"
    result = staff_import(organization=organization, content=bad, create_missing_org_roles=False)
    assert [error.line_number for error in result.errors] == [2, 3]
    assert not StaffMember.objects.filter(email__in=["cy@example.com", "di@example.com"]).exists()
