"""Fault injection with real parts: Redis stopped and started again, PostgreSQL restarted
under load, a Celery worker killed mid-task. Each test starts its own throwaway servers on
free ports (see `tests/faults.py`) and reports its numbers on stdout (`-s`).
"""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings

from core.models import OutboundEmail
from core.tasks import outbox_flush
from orders.tests.factories import OrderFactory
from tests.faults import (
    PostgresCluster,
    RedisServer,
    Worker,
    free_port,
    publishing_to,
    require_postgres_test_database,
    sent_message_ids,
    wait_for,
)

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

TASK_RECEIVED = re.compile(r"Task core\.tasks\.outbox_send\[([0-9a-f-]+)\] received")


def report(request, name: str, **numbers) -> None:
    """Print the test's numbers in the terminal summary, without needing `-s`."""
    with request.getfixturevalue("capsys").disabled():
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
    request, redis_server, workers, tmp_path, client_for, tenant
):
    mail_dir, marker_dir = tmp_path / "mail", tmp_path / "marker"
    mail_dir.mkdir()
    marker_dir.mkdir()
    worker_env = {
        "EMAIL_BACKEND": "tests.mail_backends.BlockOnceEmailBackend",
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
    report(request, "worker-kill", redelivered=len(received_second), sent=len(sent))


def test_a_killed_worker_child_has_its_task_requeued_at_once_and_sent_once(
    request, redis_server, workers, tmp_path, client_for, tenant
):
    """The OOM killer's usual victim: the pool child running the task, not the worker.
    `task_reject_on_worker_lost` requeues the message at once (no visibility timeout)."""
    mail_dir, marker_dir = tmp_path / "mail", tmp_path / "marker"
    mail_dir.mkdir()
    marker_dir.mkdir()
    worker = workers(
        broker_url=redis_server.url(),
        log=tmp_path / "worker.log",
        pool="prefork",
        env={
            "EMAIL_BACKEND": "tests.mail_backends.BlockOnceEmailBackend",
            "EMAIL_FILE_PATH": str(mail_dir),
            "FAULTS_MARKER_DIR": str(marker_dir),
        },
    )
    order = OrderFactory(company=tenant.company, requester=tenant.requester)

    with publishing_to(redis_server.url()):
        _take(client_for(tenant.agent), order)
    child = int(
        wait_for(
            lambda: (marker_dir / "blocked").is_file() and (marker_dir / "blocked").read_text(),
            timeout=90,
            what="the pool child to start sending the e-mail",
        )
    )
    assert child != worker.process.pid
    os.kill(child, signal.SIGKILL)

    wait_for(lambda: sent_message_ids(mail_dir), timeout=60, what="the requeued e-mail")
    wait_for(
        lambda: OutboundEmail.objects.get().status == OutboundEmail.Status.SENT,
        timeout=10,
        what="the outbox row to be marked sent",
    )
    time.sleep(2)
    sent = sent_message_ids(mail_dir)
    stored = OutboundEmail.objects.get()
    assert sent == [stored.message_id]
    assert stored.attempts == 1
    received = TASK_RECEIVED.findall(worker.output())
    assert len(received) == 2 and received[0] == received[1]  # the same message, twice
    assert "WorkerLostError" in worker.output()
    assert worker.process.poll() is None  # the worker itself lives on
    report(request, "worker-child-kill", redelivered=len(received) - 1, sent=len(sent))


# --- Redis (cache and broker) down ------------------------------------------------------------


def _login(api_client, user, password) -> float:
    started = time.monotonic()
    response = api_client.post(
        "/api/v1/auth/login", {"email": user.email, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    return time.monotonic() - started


def test_redis_down_keeps_the_api_serving_and_every_queued_email_is_sent_once_after(
    request, redis_server, workers, tmp_path, settings, api_client, client_for, tenant, password
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
        login_seconds = _login(api_client, tenant.requester, password)  # a throttled view
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
        request,
        "redis-down",
        queued_while_down=len(queued),
        sent_after=len(sent) - 1,
        lost=stored.count() - len(set(sent)),
        duplicates=len(sent) - len(set(sent)),
        slowest_write_seconds_while_down=round(max(latencies), 3),
        login_seconds_while_down=round(login_seconds, 3),  # Argon2 is most of it
        health_ok_again_after_seconds=round(health_recovery, 1),
    )


# --- PostgreSQL restarted under load -----------------------------------------------------------


class Http:
    """A tiny JSON client for the served app (urllib: no extra dependency)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.token = ""

    def call(self, method: str, path: str, body: dict | None = None, timeout: float = 30):
        request = urllib.request.Request(
            self.base + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={
                "Content-Type": "application/json",
                **({"Authorization": f"Bearer {self.token}"} if self.token else {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.headers.get("Content-Type", ""), response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Content-Type", ""), error.read()


@pytest.fixture
def pg_cluster():
    cluster = PostgresCluster()
    try:
        cluster.init()
        cluster.createdb("mutirao")
        yield cluster
    finally:
        cluster.destroy()


def _children(pid: int) -> set[int]:
    return {int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


@pytest.fixture
def served_app(pg_cluster, tmp_path):
    """The project served by gunicorn (2 workers x 4 threads), on the temporary cluster."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "fault-test-secret",
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": pg_cluster.url("mutirao"),
        "CELERY_BROKER_URL": "",
        "THROTTLE_REGISTER": "1000/min",
        "THROTTLE_LOGIN": "1000/min",
        "LOG_LEVEL": "WARNING",
    }
    for name in ("CACHE_URL", "REDIS_URL", "CONN_MAX_AGE"):
        env.pop(name, None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=settings.BASE_DIR,
        env=env,
        check=True,
        timeout=300,
    )
    port = free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [
                *(sys.executable, "-m", "gunicorn", "config.wsgi:application"),
                *("--bind", f"127.0.0.1:{port}", "--workers", "2"),
                *("--worker-class", "gthread", "--threads", "4", "--timeout", "60"),
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    http = Http(f"http://127.0.0.1:{port}")
    try:
        wait_for(
            lambda: _quietly(lambda: http.call("GET", "/health/", timeout=2)[0] == 200),
            timeout=60,
            what="gunicorn to serve /health/",
            step=0.3,
        )
        yield server, http
    finally:
        server.terminate()
        server.wait(timeout=30)
        print(f"\n--- gunicorn log (tail) ---\n{log.read_text(errors='replace')[-6000:]}")


def _quietly(probe):
    try:
        return probe()
    except OSError:
        return False


def test_postgres_restart_under_load_gives_json_503s_then_recovers_without_a_restart(
    request, pg_cluster, served_app
):
    server, http = served_app
    account = {"email": "load@example.com", "password": "a-long-unusual-passphrase"}
    status, _, _ = http.call("POST", "/api/v1/auth/register", {**account, "name": "Load"})
    assert status == 201
    status, _, body = http.call("POST", "/api/v1/auth/login", account)
    assert status == 200
    http.token = json.loads(body)["access"]
    workers_before = _children(server.pid)
    assert len(workers_before) == 2

    results: list[tuple[float, float, str, int, str, bytes]] = []
    stop = threading.Event()

    def load(number: int) -> None:
        for sequence in range(100_000):
            if stop.is_set():
                return
            kind = "write" if sequence % 3 == 0 else "read"
            started = time.monotonic()
            try:
                if kind == "write":
                    reply = http.call("POST", "/api/v1/homes", {"name": f"H{number}-{sequence}"})
                else:
                    reply = http.call("GET", "/api/v1/users/me")
            except OSError as error:  # a refused or reset connection is a failure too
                reply = (0, "", repr(error).encode())
            results.append((started, time.monotonic() - started, kind, *reply))

    threads = [threading.Thread(target=load, args=(n,), daemon=True) for n in range(6)]
    for thread in threads:
        thread.start()
    time.sleep(2)
    down_at = time.monotonic()
    pg_cluster.stop()  # -m fast: every open connection is terminated
    time.sleep(3)
    pg_cluster.start()
    up_at = time.monotonic()
    time.sleep(4)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)

    statuses = Counter(result[3] for result in results)
    assert set(statuses) <= {200, 201, 503}, statuses
    unavailable = [result for result in results if result[3] == 503]
    assert unavailable, "no request saw the database down"
    for *_, content_type, body in unavailable:
        assert content_type == "application/json"
        assert json.loads(body)["code"] == "service_unavailable"
    max_latency = max(result[1] for result in results)
    assert max_latency < 10
    after = [result for result in results if result[0] >= up_at + 1]
    assert after and all(result[3] in (200, 201) for result in after)
    first_ok = min(r[0] + r[1] for r in results if r[0] >= up_at and r[3] in (200, 201))
    # the same processes serve again: nothing was restarted
    assert server.poll() is None
    assert _children(server.pid) == workers_before
    assert [http.call("GET", "/api/v1/users/me")[0] for _ in range(10)] == [200] * 10
    # every write answered 201 is stored and whole (a home with its admin member); a 503 can
    # still follow a commit when PostgreSQL stops between the commit and the response
    writes = Counter(result[3] for result in results if result[2] == "write")
    with psycopg2.connect(pg_cluster.url("mutirao")) as db, db.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM homes_home")
        stored = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM homes_home h WHERE NOT EXISTS "
            "(SELECT 1 FROM homes_homemember m WHERE m.home_id = h.id)"
        )
        half_written = cursor.fetchone()[0]
    db.close()
    assert writes[201] <= stored <= writes[201] + writes[503]
    assert half_written == 0
    report(
        request,
        "postgres-restart",
        requests=len(results),
        ok=statuses[200] + statuses[201],
        unavailable_503=len(unavailable),
        during_outage=sum(1 for r in results if down_at <= r[0] < up_at),
        max_latency_seconds=round(max_latency, 3),
        served_again_after_seconds=round(first_ok - up_at, 2),
        writes_201=writes[201],
        writes_503=writes[503],
        writes_503_that_committed=stored - writes[201],
        half_written=half_written,
    )
