"""Files that came by e-mail are listed with their order and its messages, and downloaded
only by people who can see that order."""

import pytest

from orders.models import Message
from orders.tests.mail import mime, post_mime, result_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("inbound_secret")]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _email(api_client, tenant, sender, **fields) -> dict:
    raw = mime(sender=sender, to=tenant.company.support_email, **fields)
    return result_of(post_mime(api_client, raw))


@pytest.fixture
def emailed_order(api_client, tenant, settings):
    """An order opened by the requester's e-mail with a photo, then a reply with a PDF and
    a file too large to keep."""
    settings.INBOUND_EMAIL_ATTACHMENT_MAX_BYTES = 1000
    requester = tenant.requester.email
    opened = _email(
        api_client,
        tenant,
        requester,
        subject="Impressora",
        attachments=[("foto.png", "image/png", PNG)],
    )
    reply = _email(
        api_client,
        tenant,
        requester,
        subject=f"Re: [#{opened['order']}] Impressora",
        text="Segue o manual.",
        attachments=[
            ("manual.pdf", "application/pdf", b"%PDF-1.4 manual"),
            ("video.mp4", "video/mp4", b"\x00" * 5000),
        ],
    )
    assert (opened["status"], reply["status"]) == ("created", "joined")
    return opened["order"]


def test_the_messages_list_shows_each_messages_attachments(client_for, tenant, emailed_order):
    response = client_for(tenant.requester).get(f"/api/v1/orders/{emailed_order}/messages")

    assert response.status_code == 200
    (message,) = response.json()["results"]
    assert message["body"] == "Segue o manual."
    pdf, video = message["attachments"]
    assert (pdf["name"], pdf["content_type"], pdf["size"]) == (
        "manual.pdf",
        "application/pdf",
        15,
    )
    assert pdf["url"].endswith(f"/api/v1/orders/{emailed_order}/attachments/{pdf['id']}/download")
    assert (video["name"], video["size"], video["url"]) == ("video.mp4", 5000, None)
    assert video["skip_reason"] == "larger than 1000 bytes"


def test_the_attachments_list_includes_the_opening_emails_files(client_for, tenant, emailed_order):
    response = client_for(tenant.agent).get(f"/api/v1/orders/{emailed_order}/attachments")

    assert response.status_code == 200
    message = Message.objects.get(order_id=emailed_order)
    rows = [(row["name"], row["message"]) for row in response.json()["results"]]
    assert rows == [("foto.png", None), ("manual.pdf", message.pk), ("video.mp4", message.pk)]


@pytest.mark.parametrize("role", ["requester", "agent", "admin"])
def test_people_who_see_the_order_download_the_file(client_for, tenant, emailed_order, role):
    (photo, *_rest) = (
        client_for(tenant.admin)
        .get(f"/api/v1/orders/{emailed_order}/attachments")
        .json()["results"]
    )

    response = client_for(getattr(tenant, role)).get(photo["url"])

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="foto.png"'


def test_another_companys_people_get_404(client_for, tenant, other_tenant, emailed_order):
    (photo, *_rest) = (
        client_for(tenant.admin)
        .get(f"/api/v1/orders/{emailed_order}/attachments")
        .json()["results"]
    )
    outsider = client_for(other_tenant.admin)

    assert outsider.get(photo["url"]).status_code == 404
    assert outsider.get(f"/api/v1/orders/{emailed_order}/attachments").status_code == 404


def test_a_requester_who_is_not_the_orders_gets_404(client_for, tenant, emailed_order):
    from companies.models import Membership
    from companies.tests.factories import MembershipFactory

    colleague = MembershipFactory(company=tenant.company, role=Membership.Role.REQUESTER).user
    (photo, *_rest) = (
        client_for(tenant.admin)
        .get(f"/api/v1/orders/{emailed_order}/attachments")
        .json()["results"]
    )

    assert client_for(colleague).get(photo["url"]).status_code == 404


def test_an_attachment_of_another_order_is_404_under_this_one(
    api_client, client_for, tenant, emailed_order, order
):
    (photo, *_rest) = (
        client_for(tenant.admin)
        .get(f"/api/v1/orders/{emailed_order}/attachments")
        .json()["results"]
    )

    admin = client_for(tenant.admin)

    assert admin.get(f"/api/v1/orders/{order.pk}/attachments/{photo['id']}").status_code == 404
    assert admin.get(photo["url"].replace(f"/{emailed_order}/", f"/{order.pk}/")).status_code == 404


def test_a_file_too_large_to_keep_is_404_with_a_reason(client_for, tenant, emailed_order):
    video = (
        client_for(tenant.admin)
        .get(f"/api/v1/orders/{emailed_order}/attachments")
        .json()["results"][-1]
    )

    response = client_for(tenant.admin).get(
        f"/api/v1/orders/{emailed_order}/attachments/{video['id']}/download"
    )

    assert response.status_code == 404
    assert response.json()["detail"] == "This file was too large to be kept."


def test_anonymous_download_is_401(api_client, client_for, tenant, emailed_order):
    (photo, *_rest) = (
        client_for(tenant.admin)
        .get(f"/api/v1/orders/{emailed_order}/attachments")
        .json()["results"]
    )

    assert api_client.get(photo["url"]).status_code == 401


def test_attachment_lists_have_a_fixed_query_budget(
    api_client, client_for, tenant, emailed_order, django_assert_max_num_queries
):
    for number in range(5):
        _email(
            api_client,
            tenant,
            tenant.requester.email,
            subject=f"Re: [#{emailed_order}] Impressora",
            text=f"Foto {number}",
            attachments=[(f"foto-{number}.png", "image/png", PNG)] * 2,
        )
    client = client_for(tenant.requester)

    with django_assert_max_num_queries(7):
        messages = client.get(f"/api/v1/orders/{emailed_order}/messages")
    with django_assert_max_num_queries(6):
        attachments = client.get(f"/api/v1/orders/{emailed_order}/attachments")

    assert len(messages.json()["results"]) == 6
    assert len(attachments.json()["results"]) == 13
