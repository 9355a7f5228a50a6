"""Every model in the admin opens for staff: list (with its filters and search) and form."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

pytestmark = pytest.mark.django_db

MUTIRAO_APPS = {
    "core",
    "accounts",
    "companies",
    "equipment",
    "orders",
    "sla",
    "fieldservice",
    "desk",
    "ongs",
    "events",
    "payments",
    "homes",
}
REGISTERED = sorted(
    (model for model in admin.site._registry if model._meta.app_label in MUTIRAO_APPS),
    key=lambda model: model._meta.label,
)


@pytest.mark.parametrize("model", REGISTERED, ids=[model._meta.label for model in REGISTERED])
def test_admin_pages_open(client, staff_user, model):
    client.force_login(staff_user)
    prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    request = RequestFactory().get("/")
    request.user = staff_user

    assert client.get(reverse(f"{prefix}_changelist")).status_code == 200
    assert client.get(reverse(f"{prefix}_changelist"), {"q": "x"}).status_code == 200
    if admin.site._registry[model].has_add_permission(request):
        assert client.get(reverse(f"{prefix}_add")).status_code == 200


def test_every_mutirao_model_is_in_the_admin():
    missing = [
        model.__name__
        for app_label in MUTIRAO_APPS
        for model in apps.get_app_config(app_label).get_models()
        if model not in admin.site._registry
    ]

    assert missing == []


def test_admin_send_again_with_the_broker_down_keeps_the_email_pending(client, staff_user):
    from core.models import OutboundEmail
    from tests.faults import free_port, publishing_to

    email = OutboundEmail.objects.create(
        key="k", to="a@example.com", subject="S", body_text="B", message_id="<m@x>"
    )
    client.force_login(staff_user)

    with publishing_to(f"redis://127.0.0.1:{free_port()}/0"):  # nothing listens there
        response = client.post(
            reverse("admin:core_outboundemail_changelist"),
            {"action": "resend", "_selected_action": [email.pk]},
        )

    assert response.status_code == 302
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.PENDING
