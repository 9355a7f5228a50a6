"""Files uploaded to an order through the API: real images, PDFs and office files are kept
and downloaded by whoever sees the order; anything else is refused with nothing stored."""

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from PIL import Image
from reportlab.pdfgen import canvas

from accounts.models import User
from companies.models import Company
from orders.models import Attachment, Message
from orders.tests.factories import MessageFactory
from orders.tests.mail import mime, post_mime, result_of

pytestmark = pytest.mark.django_db


def image_bytes(kind: str = "PNG", size: tuple[int, int] = (8, 6)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, kind)
    return buffer.getvalue()


def pdf_bytes() -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "Manual da impressora")
    page.save()
    return buffer.getvalue()


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


PNG = "image/png"


def upload(name: str, content: bytes, content_type: str = PNG) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(media: Path) -> list[Path]:
    return sorted(path for path in media.rglob("*") if path.is_file())


def post_file(client, order, file, **fields):
    return client.post(
        f"/api/v1/orders/{order.pk}/attachments", {"file": file, **fields}, format="multipart"
    )


def downloaded(response) -> bytes:
    return b"".join(response.streaming_content)


# --- success ---


def test_a_requester_uploads_a_photo_and_the_technician_downloads_it(
    client_for, tenant, order, media
):
    photo = image_bytes("PNG")

    response = post_file(client_for(tenant.requester), order, upload("impressora.png", photo))

    assert response.status_code == 201
    attachment = Attachment.objects.get()
    body = response.json()
    assert body == {
        "id": attachment.pk,
        "name": "impressora.png",
        "content_type": "image/png",
        "size": len(photo),
        "source": "upload",
        "message": None,
        "uploaded_by": {"id": tenant.requester.pk, "name": tenant.requester.name},
        "url": f"http://testserver/api/v1/orders/{order.pk}/attachments/{attachment.pk}/download",
        "skip_reason": "",
        "created_at": body["created_at"],
    }
    (stored,) = stored_files(media)
    assert stored.read_bytes() == photo
    assert stored.relative_to(media).parts[:2] == ("attachments", str(order.pk))

    download = client_for(tenant.agent).get(body["url"])

    assert download.status_code == 200
    assert downloaded(download) == photo
    assert download["Content-Type"] == "application/octet-stream"
    assert download["Content-Disposition"] == 'attachment; filename="impressora.png"'
    assert download["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("name", "content_type", "make"),
    [
        ("foto.jpg", "image/jpeg", lambda: image_bytes("JPEG")),
        ("foto.JPEG", "image/jpg", lambda: image_bytes("JPEG")),
        ("manual.pdf", "application/pdf", pdf_bytes),
        ("manual.pdf", "application/octet-stream", pdf_bytes),
        ("leia.txt", "text/plain; charset=utf-8", lambda: "Olá, técnico!".encode()),
        (
            "laudo.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            docx_bytes,
        ),
    ],
)
def test_real_files_of_each_kind_are_kept_as_their_type(
    client_for, tenant, order, name, content_type, make
):
    content = make()

    response = post_file(client_for(tenant.agent), order, upload(name, content, content_type))

    assert response.status_code == 201, response.json()
    expected_type = {"image/jpg": "image/jpeg", "application/octet-stream": "application/pdf"}
    assert response.json()["content_type"] == expected_type.get(
        content_type, content_type.split(";")[0]
    )
    assert Attachment.objects.get().file.read() == content


def test_a_file_goes_with_the_uploaders_own_message_and_shows_in_the_messages_list(
    client_for, tenant, order
):
    message = MessageFactory(order=order, author=tenant.requester, body="Segue a foto.")
    client = client_for(tenant.requester)

    response = post_file(client, order, upload("foto.png", image_bytes()), message=str(message.pk))

    assert response.status_code == 201
    assert response.json()["message"] == message.pk
    (listed,) = client.get(f"/api/v1/orders/{order.pk}/messages").json()["results"]
    assert [file["id"] for file in listed["attachments"]] == [response.json()["id"]]


def test_a_name_with_folders_and_unicode_is_cleaned_and_downloaded_under_it(
    client_for, tenant, order, media
):
    response = post_file(
        client_for(tenant.requester),
        order,
        upload("../../etc/\u202eRelatório da manutenção.png", image_bytes()),
    )

    assert response.status_code == 201
    assert response.json()["name"] == "Relatório da manutenção.png"
    (stored,) = stored_files(media)
    assert stored.is_relative_to(media / "attachments" / str(order.pk))
    assert stored.name == "Relatório_da_manutenção.png"
    download = client_for(tenant.requester).get(response.json()["url"])
    assert download["Content-Disposition"] == (
        "attachment; filename*=utf-8''Relat%C3%B3rio%20da%20manuten%C3%A7%C3%A3o.png"
    )


def test_a_very_long_name_in_any_script_is_shortened_and_kept(client_for, tenant, order, media):
    response = post_file(
        client_for(tenant.requester), order, upload("文" * 300 + ".png", image_bytes())
    )

    assert response.status_code == 201
    assert response.json()["name"] == "文" * 146 + ".png"
    (stored,) = stored_files(media)
    assert stored.name == "文" * 58 + ".png"


def test_uploads_and_emailed_files_are_listed_together(
    api_client, client_for, tenant, order, inbound_secret
):
    raw = mime(
        sender=tenant.requester.email,
        to=tenant.company.support_email,
        subject=f"Re: [#{order.pk}] {order.title}",
        text="A foto do erro.",
        attachments=[("erro.jpg", "image/jpeg", image_bytes("JPEG"))],
    )
    assert result_of(post_mime(api_client, raw))["status"] == "joined"
    post_file(client_for(tenant.agent), order, upload("laudo.pdf", pdf_bytes(), "application/pdf"))
    emailed_message = Message.objects.get(order=order)

    response = client_for(tenant.requester).get(f"/api/v1/orders/{order.pk}/attachments")

    assert response.status_code == 200
    rows = [
        (row["name"], row["source"], row["message"], row["uploaded_by"]["id"])
        for row in response.json()["results"]
    ]
    assert rows == [
        ("erro.jpg", "email", emailed_message.pk, tenant.requester.pk),
        ("laudo.pdf", "upload", None, tenant.agent.pk),
    ]


def test_an_emailed_photo_is_downloaded_like_an_upload(
    api_client, client_for, tenant, inbound_secret
):
    photo = image_bytes("JPEG")
    raw = mime(
        sender=tenant.requester.email,
        to=tenant.company.support_email,
        subject="Nobreak apitando",
        attachments=[("nobreak.jpg", "image/jpeg", photo)],
    )
    opened = result_of(post_mime(api_client, raw))
    (listed,) = (
        client_for(tenant.agent)
        .get(f"/api/v1/orders/{opened['order']}/attachments")
        .json()["results"]
    )

    download = client_for(tenant.agent).get(listed["url"])

    assert (listed["source"], listed["message"]) == ("email", None)
    assert download.status_code == 200
    assert downloaded(download) == photo
    assert download["Content-Disposition"] == 'attachment; filename="nobreak.jpg"'


def test_the_attachment_is_read_on_its_own(client_for, tenant, order):
    created = post_file(client_for(tenant.requester), order, upload("a.png", image_bytes()))

    response = client_for(tenant.admin).get(created.json()["url"].removesuffix("/download"))

    assert response.status_code == 200
    assert response.json() == created.json()


# --- internal notes ---


def test_files_of_an_internal_note_are_hidden_from_the_requester(client_for, tenant, order):
    note = MessageFactory(order=order, author=tenant.agent, body="Peça reserva.", is_internal=True)
    created = post_file(
        client_for(tenant.agent), order, upload("nota.png", image_bytes()), message=note.pk
    )
    requester = client_for(tenant.requester)

    listed = requester.get(f"/api/v1/orders/{order.pk}/attachments").json()["results"]

    assert created.status_code == 201
    assert listed == []
    assert requester.get(created.json()["url"]).status_code == 404
    assert requester.get(created.json()["url"].removesuffix("/download")).status_code == 404
    assert client_for(tenant.admin).get(created.json()["url"]).status_code == 200


def test_a_requester_cannot_name_an_internal_note(client_for, tenant, order, media):
    note = MessageFactory(order=order, author=tenant.agent, body="Peça reserva.", is_internal=True)

    response = post_file(
        client_for(tenant.requester), order, upload("a.png", image_bytes()), message=note.pk
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["message"]
    assert not Attachment.objects.exists()
    assert stored_files(media) == []


# --- who may: 404 and 403 ---


def test_another_companys_people_get_404_and_nothing_is_stored(
    client_for, tenant, other_tenant, order, media
):
    created = post_file(client_for(tenant.requester), order, upload("a.png", image_bytes()))
    url = created.json()["url"]
    outsider = client_for(other_tenant.admin)

    responses = [
        post_file(outsider, order, upload("b.png", image_bytes())),
        outsider.get(f"/api/v1/orders/{order.pk}/attachments"),
        outsider.get(url.removesuffix("/download")),
        outsider.get(url),
        outsider.delete(url.removesuffix("/download")),
    ]

    assert [response.status_code for response in responses] == [404] * 5
    assert Attachment.objects.count() == 1
    assert len(stored_files(media)) == 1


def test_attaching_to_someone_elses_message_is_403(client_for, tenant, order, media):
    reply = MessageFactory(order=order, author=tenant.agent, body="Estou a caminho.")

    response = post_file(
        client_for(tenant.requester), order, upload("a.png", image_bytes()), message=reply.pk
    )

    assert response.status_code == 403
    assert response.json()["code"] == "message_not_yours"
    assert not Attachment.objects.exists()
    assert stored_files(media) == []


@pytest.mark.parametrize("where", ["another order", "another company"])
def test_a_message_of_another_order_does_not_exist_here(
    client_for, tenant, other_tenant, order, where
):
    company = tenant.company if where == "another order" else other_tenant.company
    elsewhere = MessageFactory(order__company=company, author=tenant.requester)

    response = post_file(
        client_for(tenant.requester), order, upload("a.png", image_bytes()), message=elsewhere.pk
    )

    assert response.status_code == 400
    assert response.json()["errors"]["message"][0].startswith("Invalid pk")


def test_an_inactive_companys_order_takes_no_file(client_for, tenant, order, media):
    Company.objects.filter(pk=tenant.company.pk).update(is_active=False)

    response = post_file(client_for(tenant.requester), order, upload("a.png", image_bytes()))

    assert response.status_code == 403
    assert response.json()["code"] == "company_inactive"
    assert stored_files(media) == []


@pytest.mark.parametrize(
    ("uploader", "deleter", "expected"),
    [
        ("requester", "requester", 204),
        ("agent", "agent", 204),
        ("requester", "admin", 204),
        ("requester", "staff", 204),
        ("requester", "agent", 403),
        ("requester", "lead", 403),
        ("agent", "requester", 403),
    ],
)
def test_the_uploader_and_admins_delete_a_file_others_get_403(
    client_for,
    tenant,
    order,
    media,
    staff_user,
    django_capture_on_commit_callbacks,
    uploader,
    deleter,
    expected,
):
    people = {**vars(tenant), "staff": staff_user}
    created = post_file(client_for(people[uploader]), order, upload("a.png", image_bytes()))
    detail = created.json()["url"].removesuffix("/download")

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(people[deleter]).delete(detail)

    assert response.status_code == expected
    if expected == 204:
        assert not Attachment.objects.exists()
        assert stored_files(media) == []
    else:
        assert response.json()["code"] == "attachment_not_yours"
        assert Attachment.objects.count() == 1
        assert len(stored_files(media)) == 1


def test_deleting_an_order_removes_its_stored_files(
    client_for, tenant, order, media, django_capture_on_commit_callbacks
):
    post_file(client_for(tenant.requester), order, upload("a.png", image_bytes()))

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(tenant.admin).delete(f"/api/v1/orders/{order.pk}")

    assert response.status_code == 204
    assert stored_files(media) == []


# --- bad input: 400, 413, 415, nothing stored ---


@pytest.mark.parametrize(
    ("name", "content", "content_type", "code"),
    [
        ("foto.pdf", image_bytes(), "image/png", "attachment_extension_mismatch"),
        ("foto.png", b"MZ\x90\x00 not an image", "image/png", "attachment_content_mismatch"),
        ("foto.png", image_bytes("JPEG"), "image/png", "attachment_content_mismatch"),
        ("manual.pdf", b"just text", "application/pdf", "attachment_content_mismatch"),
        ("laudo.docx", b"PK not really", "application/zip", "attachment_extension_mismatch"),
        ("nota.txt", b"\x00\x01binary", "text/plain", "attachment_content_mismatch"),
        ("setup.exe", b"MZ\x90\x00", "application/x-msdownload", "attachment_type_not_allowed"),
        ("setup.exe", b"MZ\x90\x00", "application/octet-stream", "attachment_type_not_allowed"),
        ("pagina.html", b"<script>", "text/html", "attachment_type_not_allowed"),
        ("vazio.png", b"", "image/png", "attachment_empty"),
    ],
)
def test_a_file_that_is_not_what_it_says_is_400_and_nothing_is_stored(
    client_for, tenant, order, media, name, content, content_type, code
):
    response = post_file(client_for(tenant.requester), order, upload(name, content, content_type))

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert not Attachment.objects.exists()
    assert stored_files(media) == []


def test_a_type_the_settings_leave_out_is_refused(client_for, tenant, order, settings, media):
    settings.ATTACHMENT_ALLOWED_TYPES = ["application/pdf"]

    response = post_file(client_for(tenant.requester), order, upload("a.png", image_bytes()))

    assert response.status_code == 400
    assert response.json()["code"] == "attachment_type_not_allowed"
    assert stored_files(media) == []


@pytest.mark.parametrize("limit", [100, 40_000])
def test_a_file_over_the_limit_is_413_and_nothing_is_stored(
    client_for, tenant, order, settings, media, limit
):
    # 100: refused by the file's size; 40 000: by the body's Content-Length, unread.
    settings.ATTACHMENT_MAX_BYTES = limit
    photo = image_bytes("PNG", size=(200, 200)) + b"\x00" * 60_000

    response = post_file(client_for(tenant.requester), order, upload("big.png", photo))

    assert response.status_code == 413
    assert response.json()["code"] == "attachment_too_large"
    assert not Attachment.objects.exists()
    assert stored_files(media) == []


def test_a_json_body_is_415(client_for, tenant, order):
    response = client_for(tenant.requester).post(
        f"/api/v1/orders/{order.pk}/attachments", {"file": "aGVsbG8="}, format="json"
    )

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({}, "file"),
        ({"file": "not a file"}, "file"),
        ({"message": "abc"}, "message"),
        ({"source": "email"}, "source"),
        ({"uploaded_by": "1"}, "uploaded_by"),
    ],
)
def test_a_body_without_a_file_or_with_fields_of_its_own_is_400(
    client_for, tenant, order, media, fields, field
):
    body = {**fields}
    if field not in ("file",):
        body["file"] = upload("a.png", image_bytes())

    response = client_for(tenant.requester).post(
        f"/api/v1/orders/{order.pk}/attachments", body, format="multipart"
    )

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert stored_files(media) == []


# --- query budgets ---


def test_the_attachments_list_has_a_fixed_query_budget(
    client_for, tenant, order, django_assert_max_num_queries
):
    agent = client_for(tenant.agent)
    note = MessageFactory(order=order, author=tenant.agent, body="Nota.", is_internal=True)
    for number in range(6):
        fields = {"message": note.pk} if number % 2 else {}
        post_file(agent, order, upload(f"foto-{number}.png", image_bytes()), **fields)
    for number in range(3):
        post_file(client_for(tenant.requester), order, upload(f"r-{number}.png", image_bytes()))
    requester = client_for(tenant.requester)

    with django_assert_max_num_queries(6):
        small = requester.get(f"/api/v1/orders/{order.pk}/attachments?page_size=2")
    with django_assert_max_num_queries(6):
        full = requester.get(f"/api/v1/orders/{order.pk}/attachments?page_size=100")
    with django_assert_max_num_queries(6):
        staff_side = agent.get(f"/api/v1/orders/{order.pk}/attachments?page_size=100")
    with django_assert_max_num_queries(7):
        messages = agent.get(f"/api/v1/orders/{order.pk}/messages?page_size=100")

    assert len(small.json()["results"]) == 2
    assert len(full.json()["results"]) == 6  # the three on the internal note left out
    assert len(staff_side.json()["results"]) == 9
    (listed_note,) = messages.json()["results"]
    assert len(listed_note["attachments"]) == 3


# --- admin ---


def test_staff_find_and_download_files_in_the_admin(client, client_for, tenant, order, staff_user):
    photo = image_bytes()
    created = post_file(client_for(tenant.requester), order, upload("impressora.png", photo))
    client.force_login(staff_user)

    listing = client.get("/admin/orders/attachment/", {"q": "impressora", "source": "upload"})
    download = client.get(f"/admin/orders/attachment/{created.json()['id']}/download/")

    assert listing.status_code == 200
    assert b"impressora.png" in listing.content
    assert download.status_code == 200
    assert downloaded(download) == photo
    assert download["Content-Disposition"] == 'attachment; filename="impressora.png"'


def test_the_admin_download_is_for_staff_only(client, client_for, tenant, order):
    created = post_file(client_for(tenant.requester), order, upload("a.png", image_bytes()))
    client.force_login(tenant.admin)

    response = client.get(f"/admin/orders/attachment/{created.json()['id']}/download/")

    assert response.status_code == 302  # to the admin's login page


def test_the_demo_printer_order_has_its_photo(client_for, media):
    call_command("seed_demo")
    call_command("seed_demo")
    (photo,) = Attachment.objects.all()
    technician = User.objects.get(email="tech@softclient.demo")

    download = client_for(technician).get(
        f"/api/v1/orders/{photo.order_id}/attachments/{photo.pk}/download"
    )

    assert (photo.order.title, photo.filename) == (
        "Impressora do 2º andar não imprime",
        "painel-da-impressora.jpg",
    )
    assert Image.open(io.BytesIO(downloaded(download))).format == "JPEG"


def test_refusals_are_translated(client_for, tenant, order):
    response = client_for(tenant.requester).post(
        f"/api/v1/orders/{order.pk}/attachments",
        {"file": upload("setup.exe", b"MZ", "application/x-msdownload")},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="pt-BR",
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Arquivos do tipo application/x-msdownload não podem ser anexados.",
        "code": "attachment_type_not_allowed",
    }
