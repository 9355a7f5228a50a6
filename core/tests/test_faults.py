"""Fault injection with real parts: Redis stopped and started again, PostgreSQL restarted
under load, a Celery worker killed mid-task. Each test starts its own throwaway servers on
free ports (see `core/tests/faults.py`) and reports its numbers on stdout (`-s`); the
latest numbers are in docs/security.md, "Faults".
"""

import json
import re
import time
from collections import Counter

import pytest

from core.models import OutboundEmail
from core.tasks import outbox_flush
from core.tests.faults import (
    RedisServer,
    Worker,
    publishing_to,
    require_postgres_test_database,
    sent_message_ids,
    wait_for,
)
from orders.tests.factories import OrderFactory

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

TASK_RECEIVED = re.compile(r"Task core\.tasks\.outbox_send\[([0-9a-f-]+)\] received")


def report(name: str, **numbers) -> None:
    print(f"\nFAULTS {name}: " + json.dumps(numbers, sort_keys=True))


@pytest.fixture
def redis_server(tmp_path):
    require_postgres_test_database()  # the worker process shares the test database
    server = RedisServer(tmp_path).start()
    yield server
    if server.process is not None:
        server.stop()


@pytest.fixture
def workers():
    """Start workers with `workers(...)`; all are stopped at the end, and their logs printed
    (pytest shows them when the test fails)."""
    started: list[Worker] = []

    def start(**kwargs) -> Worker:
        worker = Worker(**kwargs)
        started.append(worker)
        return worker

    yield start
    for number, worker in enumerate(started, 1):
        worker.stop()
        print(f"\n--- worker {number} log ---\n{worker.output()}")


def _take(client, order) -> float:
    started = time.monotonic()
    response = client.post(f"/api/v1/orders/{order.id}/take")
    assert response.status_code == 200, response.content
    return time.monotonic() - started


# --- A worker killed mid-task ----------------------------------------------------------------


def test_a_worker_killed_mid_task_has_its_email_redelivered_and_sent_once(
    redis_server, workers, tmp_path, client_for, tenant
):
    mail_dir, marker_dir = tmp_path / "mail", tmp_path / "marker"
    mail_dir.mkdir()
    marker_dir.mkdir()
    worker_env = {
        "EMAIL_BACKEND": "core.tests.mail_backends.BlockOnceEmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "FAULTS_MARKER_DIR": str(marker_dir),
        # Unacknowledged messages of a dead worker return after 3 s (production: 1 h).
        "CELERY_VISIBILITY_TIMEOUT": "3",
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
        "CELERY_UNACKED_RESTORE_THROTTLE": "1",
    }
    order = OrderFactory(company=tenant.company, requester=tenant.requester)
    first = workers(broker_url=redis_server.url(), log=tmp_path / "worker1.log", env=worker_env)

    # given: the agent takes the order; the worker starts sending and hangs mid-send
    with publishing_to(redis_server.url()):
        _take(client_for(tenant.agent), order)
    blocked = wait_for(
        lambda: (marker_dir / "blocked").is_file() and (marker_dir / "blocked").read_text(),
        timeout=90,
        what="the worker to start sending the e-mail",
    )
    assert int(blocked) == first.process.pid
    outbound = OutboundEmail.objects.get()

    # when: the worker is killed (SIGKILL: no shutdown, no ack, no requeue by itself)
    first.kill()
    assert OutboundEmail.objects.get().status == OutboundEmail.Status.PENDING
    assert sent_message_ids(mail_dir) == []
    second = workers(broker_url=redis_server.url(), log=tmp_path / "worker2.log", env=worker_env)

    # then: the broker hands the unacknowledged message to the new worker, which sends it
    wait_for(lambda: sent_message_ids(mail_dir), timeout=90, what="the redelivered e-mail")
    wait_for(
        lambda: OutboundEmail.objects.get().status == OutboundEmail.Status.SENT,
        timeout=10,
        what="the outbox row to be marked sent",
    )
    time.sleep(5)  # longer than the visibility timeout: a second delivery would show now
    sent = sent_message_ids(mail_dir)
    assert sent == [outbound.message_id]
    stored = OutboundEmail.objects.get()
    assert stored.status == OutboundEmail.Status.SENT
    assert stored.attempts == 1  # the killed attempt's transaction was rolled back
    received_first = TASK_RECEIVED.findall(first.output())
    received_second = TASK_RECEIVED.findall(second.output())
    assert len(received_first) == 1
    assert received_second == received_first  # the same message, redelivered once
    report("worker-kill", redelivered=len(received_second), sent=len(sent))


# --- Redis (cache and broker) down ------------------------------------------------------------


def _login(api_client, user, password) -> float:
    started = time.monotonic()
    response = api_client.post(
        "/api/v1/auth/login", {"email": user.email, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    return time.monotonic() - started


def test_redis_down_keeps_the_api_serving_and_every_queued_email_is_sent_once_after(
    redis_server, workers, tmp_path, settings, api_client, client_for, tenant, password
):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    settings.CACHE_URL = redis_server.url(1)
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.DegradingRedisCache",
            "LOCATION": redis_server.url(1),
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    settings.CELERY_TASK_ALWAYS_EAGER = False  # /health/ checks the broker too
    orders = [OrderFactory(company=tenant.company, requester=tenant.requester) for _ in range(7)]
    agent = client_for(tenant.agent)
    workers(
        broker_url=redis_server.url(),
        log=tmp_path / "worker.log",
        env={
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(mail_dir),
        },
    )

    with publishing_to(redis_server.url()):
        # given: everything up; one e-mail goes through the worker
        health = api_client.get("/health/")
        assert (health.status_code, health.json()["status"]) == (200, "ok")
        _take(agent, orders[0])
        wait_for(lambda: sent_message_ids(mail_dir), timeout=90, what="the first e-mail")

        # when: Redis stops; the API keeps taking reads, writes and logins
        redis_server.stop()
        health = api_client.get("/health/")
        assert health.status_code == 200
        assert health.json() == {
            "status": "degraded",
            "checks": {"database": "ok", "cache": "down", "broker": "down"},
        }
        latencies = [_take(agent, order) for order in orders[1:]]
        latencies.append(_login(api_client, tenant.requester, password))  # throttled view
        listing = agent.get("/api/v1/orders")
        assert listing.status_code == 200
        assert listing.json()["count"] == len(orders)
        queued = list(OutboundEmail.objects.filter(status=OutboundEmail.Status.PENDING))
        assert len(queued) == len(orders) - 1
        time.sleep(1)
        assert len(sent_message_ids(mail_dir)) == 1  # nothing reached the worker meanwhile

        # then: Redis comes back (empty); beat's outbox_flush sends each pending e-mail once
        redis_server.start()
        back = time.monotonic()
        wait_for(  # the cache backend leaves Redis alone for 2 s after a failure
            lambda: api_client.get("/health/").json()["status"] == "ok",
            timeout=10,
            what="/health/ to report ok again",
            step=0.5,
        )
        health_recovery = time.monotonic() - back
        for _ in range(2):  # two flushes (two beat ticks) must not send anything twice
            outbox_flush.apply_async(kwargs={"older_than_seconds": 0})
        wait_for(
            lambda: not OutboundEmail.objects.filter(status=OutboundEmail.Status.PENDING).exists(),
            timeout=120,
            what="the outbox to empty after Redis came back",
        )
    time.sleep(2)  # let the second flush run: it must find nothing to send

    sent = sent_message_ids(mail_dir)
    stored = OutboundEmail.objects.order_by("pk")
    assert Counter(sent) == Counter(email.message_id for email in stored)
    assert all(email.status == OutboundEmail.Status.SENT for email in stored)
    assert all(email.attempts == 1 for email in stored)
    report(
        "redis-down",
        queued_while_down=len(queued),
        sent_after=len(sent) - 1,
        lost=stored.count() - len(set(sent)),
        duplicates=len(sent) - len(set(sent)),
        max_request_seconds_while_down=round(max(latencies), 3),
        health_ok_again_after_seconds=round(health_recovery, 1),
    )
