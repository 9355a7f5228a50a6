"""Throwaway servers for the fault tests: a Redis, a PostgreSQL cluster, Celery workers.

Every server here is started by the test on a free port and torn down by it; the shared
PostgreSQL and Redis of the machine are never touched. Without the binaries the tests
skip, except under CI (`CI=true`), where a missing prerequisite is a failure.
"""

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from email import message_from_bytes
from glob import glob
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from kombu import pools as kombu_pools

from config.celery import app as celery_app

IN_CI = os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str) -> None:
    """Skip with a loud reason; under CI, fail: the fault tests must run there."""
    if IN_CI:
        pytest.fail(f"FAULT TEST CANNOT RUN IN CI: {reason}", pytrace=False)
    pytest.skip(f"FAULT TEST SKIPPED: {reason}")


def require_postgres_test_database() -> None:
    if connection.vendor != "postgresql":
        unavailable("needs PostgreSQL as the test database (set DATABASE_URL)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate: Callable[[], object], *, timeout: float, what: str, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class RedisServer:
    """`redis-server` on a free port, no persistence: stopping it loses everything."""

    def __init__(self, workdir: Path) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            unavailable("redis-server is not installed")
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def ping(self) -> bool:
        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()
        except redis.exceptions.RedisError:
            return False

    def start(self) -> "RedisServer":
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.ping, timeout=10, what=f"redis-server on port {self.port}")
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None
        wait_for(lambda: not self.ping(), timeout=5, what="redis-server to stop")


def postgres_bin_dir() -> Path | None:
    found = sorted(glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PostgresCluster:
    """A temporary PostgreSQL cluster (initdb) on a free port, owned by `postgres` when the
    tests run as root (PostgreSQL refuses to run as root)."""

    def __init__(self) -> None:
        bin_dir = postgres_bin_dir()
        if bin_dir is None:
            unavailable("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
        self.bin_dir = bin_dir
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                unavailable("running as root and there is no `postgres` user for initdb")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="mutirao-faults-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        if self.as_user:
            shutil.chown(self.root, "postgres", "postgres")

    def _run(self, *args: str) -> None:
        command = [*self.as_user, str(self.bin_dir / args[0]), *args[1:]]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def init(self) -> "PostgresCluster":
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")
        return self.start()

    def start(self) -> "PostgresCluster":
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start")
        return self

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def createdb(self, name: str) -> None:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def test_database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


test_database_url.__test__ = False  # a helper, not a test


class Worker:
    """A real `celery worker` process. With the solo pool the task runs in the worker
    process itself; with `pool="prefork"` in one child process."""

    def __init__(
        self, *, broker_url: str, log: Path, env: dict[str, str], pool: str = "solo"
    ) -> None:
        self.log = log
        full_env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": "fault-test-secret",
            "DATABASE_URL": test_database_url(),
            "CELERY_BROKER_URL": broker_url,
            "CONN_MAX_AGE": "0",
            "LOG_LEVEL": "INFO",
            **env,
        }
        full_env.pop("CACHE_URL", None)
        full_env.pop("REDIS_URL", None)
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                f"--pool={pool}",
                "--concurrency=1",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
            cwd=settings.BASE_DIR,
            env=full_env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log_file.close()


def _forget_broker_connections() -> None:
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    # kombu keeps producer pools per broker URL in a global registry; left alone, the
    # next publish to the same URL would pick up a pool whose connections are closed.
    kombu_pools.reset()


@contextlib.contextmanager
def publishing_to(broker_url: str):
    """This process (the API under test) publishes its tasks to `broker_url`.

    Afterwards the two settings are taken out of Celery's own overrides again (not written
    back), so they follow Django's settings once more, whatever a test did to those."""
    overrides = celery_app.conf.changes
    keys = ("task_always_eager", "broker_url")
    saved = {key: overrides[key] for key in keys if key in overrides}
    celery_app.conf.update(task_always_eager=False, broker_url=broker_url)
    _forget_broker_connections()
    try:
        yield
    finally:
        _forget_broker_connections()
        for key in keys:
            overrides.pop(key, None)
        overrides.update(saved)


def sent_files(mail_dir: Path) -> list[Path]:
    """E-mails the file backend wrote (one `.log` file per connection, one message each)."""
    return sorted(mail_dir.glob("*.log"))


def sent_message_ids(mail_dir: Path) -> list[str]:
    """The Message-ID of every e-mail the file backend wrote, duplicates included."""
    ids = []
    for path in sent_files(mail_dir):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                ids.append(message_from_bytes(chunk)["Message-ID"])
    return ids
