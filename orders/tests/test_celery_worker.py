"""The outbox end to end with real parts: the API commits a change, Celery publishes to a
real Redis, a real worker process sends the e-mail. PostgreSQL and Redis only."""

import os
import subprocess
import sys
import time
from email import message_from_bytes
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from core.models import OutboundEmail
from orders.tests.factories import OrderFactory
from tests.faults import publishing_to

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_is_up() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        return False


@pytest.fixture
def worker(tmp_path):
    """A real `celery worker` on the test Redis database, sharing the test database,
    writing the e-mail it sends as files into tmp_path."""
    if connection.vendor != "postgresql" or not _redis_is_up():
        pytest.skip(
            "WORKER TEST SKIPPED: needs PostgreSQL (DATABASE_URL) and Redis (TEST_REDIS_URL)"
        )
    redis.Redis.from_url(REDIS_URL).flushdb()  # no leftovers from an earlier run
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "worker-test-secret",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": REDIS_URL,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path),
        "CONN_MAX_AGE": "0",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        # Eager runs earlier in this process cached an in-memory producer: publishing_to
        # forgets it, and puts Celery back as it found it.
        with publishing_to(REDIS_URL):
            yield tmp_path
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0].decode(errors="replace")
        print(output)  # shown when the test fails


def test_a_real_worker_sends_the_outbox_email(worker, client_for, tenant_factory):
    # given
    tenant = tenant_factory()
    order = OrderFactory(company=tenant.company, requester=tenant.requester)

    # when: the agent takes the order; the commit queues the e-mail on Redis
    response = client_for(tenant.agent).post(f"/api/v1/orders/{order.id}/take")
    assert response.status_code == 200

    # then: the worker sends it, once
    deadline = time.monotonic() + 60  # a cold worker start on a busy 2-core CI box is slow
    files: list[Path] = []
    while time.monotonic() < deadline and not files:
        files = sorted(worker.glob("*.log"))
        time.sleep(0.2)
    assert files, "the worker sent no e-mail within 60 s"
    outbound = OutboundEmail.objects.get()
    for _ in range(50):
        outbound.refresh_from_db()
        if outbound.status == OutboundEmail.Status.SENT:
            break
        time.sleep(0.1)
    assert outbound.status == OutboundEmail.Status.SENT
    assert outbound.attempts == 1
    sent = message_from_bytes(files[0].read_bytes().split(b"\n" + b"-" * 79)[0])
    assert sent["To"] == tenant.requester.email
    assert sent["Subject"] == f"[#{order.id}] {order.title}"
    assert sent["Message-ID"] == outbound.message_id
    assert sent["Auto-Submitted"] == "auto-generated"
    assert len(files) == 1
