import re

import pytest
from django.core import mail
from django.db import OperationalError, connection, transaction
from django.test import override_settings

from core.emails import RenderedEmail
from core.models import OutboundEmail
from core.services import outbox_enqueue

pytestmark = pytest.mark.django_db


def test_health_ok(api_client):
    response = api_client.get("/health/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}


def test_health_503_when_database_unreachable(api_client, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(connection, "cursor", unreachable)

    response = api_client.get("/health/")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "down"}}


@override_settings(CACHE_URL="redis://127.0.0.1:1/0")
def test_health_reports_a_configured_cache_that_is_down_but_stays_ready(api_client, monkeypatch):
    from core import health

    def refused(*args, **kwargs):
        raise ConnectionError("connection refused")

    monkeypatch.setattr(health.cache, "set", refused)

    response = api_client.get("/health/")

    # The API still serves without the cache: degraded, not out of the load balancer.
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "checks": {"database": "ok", "cache": "down"}}


def test_api_answers_503_json_when_the_database_is_unreachable(user_client, monkeypatch):
    from accounts.authentication import SessionAwareJWTAuthentication

    def unreachable(*args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(SessionAwareJWTAuthentication, "get_user", unreachable)

    response = user_client.get("/api/v1/ping")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "detail": "The service is temporarily unavailable. Try again shortly.",
        "code": "service_unavailable",
    }


def test_non_api_pages_answer_503_json_when_the_database_is_unreachable(client, monkeypatch):
    from django.contrib.admin import AdminSite

    def unreachable(*args, **kwargs):
        raise OperationalError("the database system is shutting down")

    monkeypatch.setattr(AdminSite, "each_context", unreachable)
    client.raise_request_exception = False

    response = client.get("/admin/login/")

    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"


def test_swagger_ui_uses_only_local_static_files(api_client):
    response = api_client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any("swagger-ui-dist" in asset for asset in assets)
    assert not [asset for asset in assets if asset.startswith(("http:", "https:", "//"))]
    assert "cdn" not in html.lower()


def test_redoc_uses_only_local_static_files(api_client):
    response = api_client.get("/api/redoc/")

    assert response.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', response.content.decode())
    assert assets and not [a for a in assets if a.startswith(("http:", "https:", "//"))]


def test_schema_is_served(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert "/api/v1/auth/login" in response.json()["paths"]


def test_admin_login_page(client):
    response = client.get("/admin/login/")

    assert response.status_code == 200


def test_admin_login_with_email_works(client, staff_user, password):
    response = client.post(
        "/admin/login/?next=/admin/", {"username": staff_user.email, "password": password}
    )

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_unknown_api_route_is_json_404(api_client):
    response = api_client.get("/api/v1/nothing-here")

    assert response.status_code == 404


def _email(subject="Hello") -> RenderedEmail:
    return RenderedEmail(subject=subject, text="Body", html="<p>Body</p>")


def test_outbox_sends_once_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        outbox_enqueue(key="order-1-created-to-a", to="a@example.com", email=_email())
        outbox_enqueue(key="order-1-created-to-a", to="a@example.com", email=_email())

    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.extra_headers["Auto-Submitted"] == "auto-generated"
    assert sent.alternatives[0][1] == "text/html"
    stored = OutboundEmail.objects.get()
    assert stored.status == OutboundEmail.Status.SENT
    assert stored.message_id == sent.extra_headers["Message-ID"]


def test_outbox_rolled_back_change_sends_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                outbox_enqueue(key="k", to="a@example.com", email=_email())
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass

    assert callbacks == []
    assert OutboundEmail.objects.count() == 0
    assert mail.outbox == []


def test_outbox_keeps_failed_mail_pending_and_flush_sends_it(
    django_capture_on_commit_callbacks, monkeypatch
):
    from core import tasks

    def smtp_down(self, *args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    with monkeypatch.context() as patch:
        patch.setattr("django.core.mail.EmailMultiAlternatives.send", smtp_down)
        with django_capture_on_commit_callbacks(execute=True):
            outbox_enqueue(key="k", to="a@example.com", email=_email())

    stored = OutboundEmail.objects.get()
    assert stored.status == OutboundEmail.Status.PENDING
    assert stored.attempts >= 1 and "mail server down" in stored.last_error
    assert mail.outbox == []

    OutboundEmail.objects.update(
        created_at=stored.created_at - __import__("datetime").timedelta(minutes=5)
    )
    assert tasks.outbox_flush() == 1
    assert tasks.outbox_flush() == 0
    assert len(mail.outbox) == 1
    assert OutboundEmail.objects.get().status == OutboundEmail.Status.SENT


def test_database_unavailable_is_translated(user_client, monkeypatch):
    from accounts.authentication import SessionAwareJWTAuthentication

    def unreachable(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(SessionAwareJWTAuthentication, "get_user", unreachable)

    response = user_client.get("/api/v1/ping", HTTP_ACCEPT_LANGUAGE="pt-br")

    assert response.status_code == 503
    assert response.json()["detail"] == (
        "O serviço está temporariamente indisponível. Tente novamente em instantes."
    )


def test_an_unreachable_redis_cache_is_a_miss_and_throttled_logins_still_work(
    api_client, user, password, settings
):
    from django.core.cache import cache

    from tests.faults import free_port

    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.DegradingRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }

    response = api_client.post(
        "/api/v1/auth/login", {"email": user.email, "password": password}, format="json"
    )

    assert response.status_code == 200
    assert "access" in response.json()
    cache.set("k", "v")
    assert cache.get("k", "missing") == "missing"
    assert cache.add("k", "v") is False
    with pytest.raises(ValueError):
        cache.incr("k")


def test_health_with_the_broker_and_cache_unreachable_answers_fast_and_degraded(
    api_client, settings
):
    import time

    from tests.faults import free_port, publishing_to

    closed = f"redis://127.0.0.1:{free_port()}"  # nothing listens there
    settings.CACHE_URL = f"{closed}/1"
    settings.CACHES = {
        "default": {"BACKEND": "core.cache.DegradingRedisCache", "LOCATION": f"{closed}/1"}
    }
    settings.CELERY_TASK_ALWAYS_EAGER = False  # what makes /health/ check the broker

    with publishing_to(f"{closed}/0"):
        started = time.monotonic()
        response = api_client.get("/health/")
        elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "checks": {"database": "ok", "cache": "down", "broker": "down"},
    }
    assert elapsed < 1.5  # it waited 2 s between two broker attempts before
