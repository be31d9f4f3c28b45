"""Hostile or broken staff input gets a message per line or field and stores nothing, never a
server error (PostgreSQL refuses NUL characters and values longer than their column)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tenants.models import OrgRole, StaffMember
from tenants.staff_import import staff_import
from tests.factories import StaffMemberFactory

pytestmark = pytest.mark.django_db

HEADER = "name,email,org_role,status,start_date,last_working_day\n"
GOOD_ROW = "Grace Hopper,grace@example.com,,active,,\n"


def import_text(organization, text, create_roles=True):
    return staff_import(
        organization=organization, content=text.encode(), create_missing_org_roles=create_roles
    )


def post_import(client, organization, text):
    upload = SimpleUploadedFile("staff.csv", text.encode())
    return client.post(reverse("tenants:staff_import", args=[organization.slug]), {"file": upload})


def test_a_200000_character_cell_is_reported_not_a_server_error(admin_client, organization):
    text = HEADER + GOOD_ROW + f"{'A' * 200_000},ada@example.com,,active,,\n"

    result = import_text(organization, text)
    response = post_import(admin_client, organization, text)

    assert not result.ok and result.errors[0].line_number == 3
    assert "longer than" in result.errors[0].message
    assert response.status_code == 400 and "Nothing was imported" in response.content.decode()
    assert len(response.content) < 50_000
    assert not StaffMember.objects.exists()


def test_cr_only_line_endings_are_read_as_lines(organization):
    text = (HEADER + GOOD_ROW + "Ada Lovelace,ada@example.com,,active,2023-01-02,\n").replace(
        "\n", "\r"
    )

    result = import_text(organization, text)

    assert result.ok and result.created == 2
    assert StaffMember.objects.get(email="ada@example.com").name == "Ada Lovelace"


def test_cr_only_line_numbers_point_at_the_bad_line(organization):
    text = (HEADER + GOOD_ROW + "Ada,not-an-email,,active,,\n").replace("\n", "\r")
    result = import_text(organization, text)
    assert [error.line_number for error in result.errors] == [3]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (f"{'N' * 201},ada@example.com,,active,,", "name is 201 characters long; the most is 200"),
        (f"Ada,ada@example.com,{'R' * 101},active,,", "org_role is 101 characters long"),
        (f"Ada,{'a' * 64}@{'b' * 63}.{'c' * 63}.{'d' * 63}.com,,active,,", "email is"),
        ("Ada\x00Lovelace,ada@example.com,,active,,", "name contains a NUL character"),
        ("Ada,ada@exam\x00ple.com,,active,,", "email contains a NUL character"),
        ("Ada,ada@example.com,SR\x00E,active,,", "org_role contains a NUL character"),
        ("Ada,ada@example.com,,act\x00ive,,", "status contains a NUL character"),
        ("Ada,ada@example.com,,active,2023-01-0\x002,", "start_date contains a NUL character"),
    ],
)
def test_over_long_and_nul_cells_are_reported_and_nothing_is_stored(organization, row, message):
    result = import_text(organization, HEADER + GOOD_ROW + row + "\n")

    assert not result.ok
    assert [error.line_number for error in result.errors] == [3]
    assert message in result.errors[0].message
    assert not StaffMember.objects.exists()
    assert not OrgRole.objects.exists()


def test_the_import_page_shows_nul_and_length_problems(admin_client, organization):
    text = HEADER + f"{'N' * 300},ada@example.com,,active,,\nBo\x00b,bob@example.com,,active,,\n"
    response = post_import(admin_client, organization, text)
    page = response.content.decode()
    assert response.status_code == 400
    assert "name is 300 characters long" in page and "name contains a NUL character" in page


def test_a_nul_in_the_header_is_reported(organization):
    result = import_text(organization, "name,email,org\x00role\n" + GOOD_ROW)
    assert not result.ok and "Unknown column" in result.errors[0].message


STAFF_FORM = {"email": "ada@example.com", "name": "Ada", "status": "active"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Ada\x00Lovelace"),
        ("name", "N" * 201),
        ("email", "ada\x00@example.com"),
        ("email", f"{'a' * 64}@{'b' * 63}.{'c' * 63}.{'d' * 63}.com"),
        ("status", "act\x00ive"),
        ("start_date", "2023-01-0\x001"),
        ("last_working_day", "2" * 5000),
        ("org_role", "1\x00"),
    ],
)
def test_staff_add_and_edit_forms_refuse_nul_and_over_long_values(
    admin_client, organization, field, value
):
    data = {**STAFF_FORM, field: value}
    add = admin_client.post(reverse("tenants:staff_create", args=[organization.slug]), data)
    staff_member = StaffMemberFactory(organization=organization, email="grace@example.com")
    edit = admin_client.post(
        reverse("tenants:staff_edit", args=[organization.slug, staff_member.pk]),
        {**data, "email": data["email"] if field == "email" else "grace@example.com"},
    )

    for response in (add, edit):
        assert response.status_code == 400
        assert f'id="id_{field}_error"' in response.content.decode()
    assert list(StaffMember.objects.values_list("email", flat=True)) == ["grace@example.com"]
    staff_member.refresh_from_db()
    assert "\x00" not in staff_member.name and len(staff_member.name) <= 200


def test_staff_search_with_a_nul_byte_is_not_a_server_error(member_client, organization):
    response = member_client.get(
        reverse("tenants:staff_list", args=[organization.slug]), {"q": "a\x00b"}
    )
    assert response.status_code == 200
