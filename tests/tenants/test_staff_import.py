"""Staff CSV import: all rows or none, and every bad row reported with its line number."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from tenants.models import AuditEvent, OrgRole, StaffMember, StaffStatus
from tenants.staff_import import staff_import
from tests.factories import OrgRoleFactory, StaffMemberFactory

HEADER = "name,email,org_role,status,start_date,last_working_day\n"


def import_text(organization, text, create_roles=False):
    return staff_import(
        organization=organization, content=text.encode(), create_missing_org_roles=create_roles
    )


@pytest.mark.django_db
def test_good_file_imports_every_row(organization):
    OrgRoleFactory(organization=organization, name="SRE")
    result = import_text(
        organization,
        HEADER
        + "Ada Lovelace,Ada@Example.com,sre,active,2023-01-02,\n"
        + "Alan Turing,alan@example.com,,offboarded,2022-05-01,2024-03-31\n",
    )
    assert result.ok and (result.created, result.updated) == (2, 0)
    ada = StaffMember.objects.get(organization=organization, email="ada@example.com")
    assert ada.org_role.name == "SRE" and ada.status == StaffStatus.ACTIVE
    alan = StaffMember.objects.get(email="alan@example.com")
    assert alan.status == StaffStatus.OFFBOARDED and str(alan.last_working_day) == "2024-03-31"
    assert AuditEvent.objects.filter(organization=organization, action="staff.import").exists()


@pytest.mark.django_db
def test_existing_email_is_updated_not_duplicated(organization):
    StaffMemberFactory(organization=organization, email="ada@example.com", name="Old Name")
    result = import_text(organization, HEADER + "Ada Lovelace,ada@example.com,,active,,\n")
    assert (result.created, result.updated) == (0, 1)
    assert StaffMember.objects.get(email="ada@example.com").name == "Ada Lovelace"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("row", "message"),
    [
        (",ada@example.com,,active,,", "name is empty"),
        ("Ada,,,active,,", "email is empty"),
        ("Ada,not-an-email,,active,,", "not a valid address"),
        ("Ada,ada@example.com,,retired,,", "status “retired”"),
        ("Ada,ada@example.com,,active,02/01/2023,", "not a date"),
        ("Ada,ada@example.com,,active,2023-01-01,2022-01-01", "before start_date"),
        ("Ada,ada@example.com,,offboarded,,", "needs a last_working_day"),
        ("Ada,ada@example.com,Wizard,active,,", "org role “Wizard” does not exist"),
        ("Ada,ada@example.com,,active,,,extra", "more cells than the header"),
    ],
)
def test_each_kind_of_bad_row_is_reported_and_nothing_is_stored(organization, row, message):
    text = HEADER + "Grace Hopper,grace@example.com,,active,,\n" + row + "\n"
    result = import_text(organization, text)
    assert not result.ok
    assert [error.line_number for error in result.errors] == [3]
    assert message in result.errors[0].message
    assert not StaffMember.objects.filter(organization=organization).exists()


@pytest.mark.django_db
def test_every_bad_row_is_listed(organization):
    text = (
        HEADER + ",a@example.com,,active,,\nB,b@example.com,,nope,,\nB2,b@example.com,,active,,\n"
    )
    result = import_text(organization, text)
    assert [error.line_number for error in result.errors] == [2, 3]
    text = HEADER + "A,a@example.com,,active,,\nA again,a@example.com,,active,,\n"
    result = import_text(organization, text)
    assert result.errors[0].line_number == 3 and "line 2" in result.errors[0].message


@pytest.mark.django_db
def test_missing_columns_and_wrong_encoding_are_refused(organization):
    assert "Missing column" in import_text(organization, "name\nAda\n").errors[0].message
    result = staff_import(
        organization=organization,
        content="name,email\nÅsa,a@x.se\n".encode("latin-1"),
        create_missing_org_roles=False,
    )
    assert "UTF-8" in result.errors[0].message


@pytest.mark.django_db
def test_unknown_org_roles_are_created_only_when_asked(organization):
    text = HEADER + "Ada,ada@example.com,Wizard,active,,\n"
    assert not import_text(organization, text).ok
    assert not OrgRole.objects.filter(organization=organization).exists()
    result = import_text(organization, text, create_roles=True)
    assert result.ok and result.org_roles_created == ["Wizard"]
    assert StaffMember.objects.get(email="ada@example.com").org_role.name == "Wizard"


@pytest.mark.django_db
def test_import_page_lists_bad_rows_with_line_numbers(admin_client, organization):
    upload = SimpleUploadedFile("staff.csv", (HEADER + "Ada,bad,,active,,\n").encode())
    response = admin_client.post(
        reverse("tenants:staff_import", args=[organization.slug]), {"file": upload}
    )
    assert response.status_code == 400
    assert "Nothing was imported" in response.content.decode()
    assert "not a valid address" in response.content.decode()


@pytest.mark.django_db
def test_import_page_imports_a_good_file(admin_client, organization):
    upload = SimpleUploadedFile("staff.csv", (HEADER + "Ada,ada@example.com,,active,,\n").encode())
    response = admin_client.post(
        reverse("tenants:staff_import", args=[organization.slug]), {"file": upload}, follow=True
    )
    assert "1 added" in response.content.decode()
    assert StaffMember.objects.filter(organization=organization).count() == 1


@pytest.mark.django_db
def test_import_command_exits_1_with_the_row_errors(organization, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "Ada,ada@example.com,,later,,\n")
    with pytest.raises(CommandError, match="1 bad row"):
        call_command("import_staff", "--org", organization.slug, str(bad))
    assert "line 2" in capsys.readouterr().err
    good = tmp_path / "good.csv"
    good.write_text(HEADER + "Ada,ada@example.com,,active,,\n")
    call_command("import_staff", "--org", organization.slug, str(good))
    assert StaffMember.objects.filter(organization=organization).count() == 1
