"""`POST equipment/import` with files as spreadsheets save them: all rows or none."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from companies.models import Membership
from companies.tests.factories import MembershipFactory
from equipment.models import Equipment
from equipment.tests.factories import EquipmentFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/equipment/import"


def _upload(client, content: bytes, name="equipment.csv", headers=None, **fields):
    file = SimpleUploadedFile(name, content, content_type="text/csv")
    return client.post(URL, {"file": file, **fields}, format="multipart", headers=headers)


def _stored(company) -> list[tuple]:
    return list(
        Equipment.objects.filter(company=company)
        .order_by("id")
        .values_list("kind", "brand", "model", "serial_number", "patrimony_tag", "room", "notes")
    )


# Excel in a Brazilian locale, "CSV UTF-8": BOM, `;`, CRLF, quoted cells holding `;`, a
# line break and doubled quotes, a row with its trailing empty cells dropped, blank lines.
EXCEL_BR = (
    "\ufeffKind;Brand;Model;Serial Number;Patrimony Tag;Room;Notes\r\n"
    'printer;HP;"LaserJet; M428";BRB001;PAT-1;"Sala 2";"Toner ""original"" only"\r\n'
    'NOTEBOOK;Dell;Latitude 5420;CN-77;PAT-2;Diretoria;"Screen\r\ncracked"\r\n'
    "ups;APC;Back-UPS;;PAT-3\r\n"
    ";;;;;;\r\n"
    "\r\n"
).encode()


def test_an_excel_file_with_bom_semicolons_crlf_and_quotes_is_imported(client_for, tenant):
    response = _upload(client_for(tenant.admin), EXCEL_BR)

    assert response.status_code == 201, response.json()
    assert response.json() == {"created": 3}
    assert _stored(tenant.company) == [
        ("printer", "HP", "LaserJet; M428", "BRB001", "PAT-1", "Sala 2", 'Toner "original" only'),
        ("notebook", "Dell", "Latitude 5420", "CN-77", "PAT-2", "Diretoria", "Screen\r\ncracked"),
        ("ups", "APC", "Back-UPS", "", "PAT-3", "", ""),
    ]
    assert set(Equipment.objects.values_list("status", flat=True)) == {"in_use"}


def test_a_windows_1252_file_with_commas_and_lf_is_imported(client_for, tenant):
    content = "kind,brand,room\nprinter,Epson,Recepção\nother,,Almoxarifado\n".encode("cp1252")

    response = _upload(client_for(tenant.agent), content)

    assert response.status_code == 201
    assert list(Equipment.objects.values_list("brand", "room")) == [
        ("Epson", "Recepção"),
        ("", "Almoxarifado"),
    ]


def test_any_bad_row_rejects_the_file_with_a_report_per_row_and_stores_nothing(client_for, tenant):
    existing = EquipmentFactory(company=tenant.company, serial_number="TAKEN-1")
    content = (
        "kind;serial_number;patrimony_tag;brand\n"
        "printer;S-1;T-1;HP\n"  # row 2: fine
        "scanner;S-2;T-2;HP\n"  # row 3: unknown kind
        "printer;s-1;T-3;HP\n"  # row 4: the serial of row 2, in another case
        "ups;taken-1;T-4;APC\n"  # row 5: the company already has it
        f"printer;S-5;T-5;{'x' * 101}\n"  # row 6: brand too long
        "printer;S-6;T-1;HP;extra\n"  # row 7: more cells than columns
    ).encode()

    response = _upload(client_for(tenant.admin), content)

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Nothing was imported: fix the rows listed and send the file again.",
        "code": "invalid_rows",
        "rows": [
            {"row": 3, "errors": {"kind": ['"scanner" is not a valid choice.']}},
            {"row": 4, "errors": {"serial_number": ["The same value is on row 2."]}},
            {
                "row": 5,
                "errors": {
                    "serial_number": ["This company already has equipment with this serial number."]
                },
            },
            {
                "row": 6,
                "errors": {"brand": ["Ensure this field has no more than 100 characters."]},
            },
            {
                "row": 7,
                "errors": {
                    "non_field_errors": ["This row has more cells than the header has columns."]
                },
            },
        ],
    }
    assert list(Equipment.objects.all()) == [existing]


def test_the_report_is_translated(client_for, tenant):
    response = _upload(
        client_for(tenant.admin), b"kind\nscanner\n", headers={"Accept-Language": "pt-br"}
    )

    assert response.status_code == 400
    assert response.json()["rows"][0]["row"] == 2
    assert "Nada foi importado" in response.json()["detail"]


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"kind;brand\n",
        b"kind;colour\nprinter;red\n",
        b"brand\nHP\n",
        b"kind;kind\nprinter;printer\n",
        b"PK\x03\x04\x00\x00binary spreadsheet",
        b"\xff\xfek\x00i\x00n\x00d\x00",
    ],
)
def test_a_file_that_cannot_be_read_is_a_400_on_file(client_for, tenant, content):
    response = _upload(client_for(tenant.admin), content)

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"file"}
    assert not Equipment.objects.exists()


def test_size_and_row_limits(client_for, tenant, settings):
    settings.EQUIPMENT_IMPORT_MAX_ROWS = 2
    client = client_for(tenant.admin)

    too_many = _upload(client, b"kind\nups\nups\nups\n")
    settings.EQUIPMENT_IMPORT_MAX_BYTES = 10
    too_large = _upload(client, b"kind\nups\nups\n")

    assert too_many.status_code == 400
    assert too_many.json()["errors"] == {"file": ["Send at most 2 rows in one file."]}
    assert too_large.status_code == 400
    assert too_large.json()["errors"] == {"file": ["The file is larger than 10 bytes."]}
    assert not Equipment.objects.exists()


def test_the_company_is_chosen_by_a_field_when_the_caller_manages_several(
    client_for, tenant, other_tenant
):
    MembershipFactory(company=other_tenant.company, user=tenant.agent, role=Membership.Role.AGENT)
    client = client_for(tenant.agent)

    unchosen = _upload(client, b"kind\nups\n")
    chosen = _upload(client, b"kind\nups\n", company=other_tenant.company.pk)

    assert unchosen.status_code == 400
    assert set(unchosen.json()["errors"]) == {"company"}
    assert chosen.status_code == 201
    assert list(Equipment.objects.values_list("company", flat=True)) == [other_tenant.company.pk]


def test_a_requester_may_not_import(client_for, tenant):
    response = _upload(client_for(tenant.requester), b"kind\nups\n", company=tenant.company.pk)

    assert response.status_code == 403
    assert not Equipment.objects.exists()


def test_another_companys_id_is_a_400(client_for, tenant, other_tenant):
    response = _upload(client_for(tenant.admin), b"kind\nups\n", company=other_tenant.company.pk)

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"company"}
    assert not Equipment.objects.exists()


def test_a_field_the_import_does_not_take_is_refused(client_for, tenant):
    response = _upload(client_for(tenant.admin), b"kind\nups\n", status="retired")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"status"}
    assert not Equipment.objects.exists()
