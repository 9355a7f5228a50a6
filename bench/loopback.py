"""The app served on loopback for a harness (the benchmark, the schema fuzzing): a free
port, psql against the harness's PostgreSQL, the environment of a production-like run, and
gunicorn started in its own process group and stopped with it."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def psql(pg: str, sql: str, database: str = "postgres") -> str:
    return subprocess.run(  # noqa: S603 - our own arguments
        ["psql", f"{pg}/{database}", "-Atqc", sql],  # noqa: S607 - psql from PATH
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def app_env(database_url: str, **overrides: str) -> dict:
    """Production settings on loopback: no TLS redirect, e-mail to a dummy backend, Celery
    eager and no Redis, so a run needs nothing but PostgreSQL."""
    env = dict(os.environ)
    env.update(
        DEBUG="false",
        SECURE_SSL_REDIRECT="false",
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=database_url,
        LOG_LEVEL="ERROR",
        PYTHONWARNINGS="ignore::UserWarning",
        EMAIL_URL="dummymail://",
        CELERY_BROKER_URL="",
        CACHE_URL="",
        REDIS_URL="",
        PYTHONPATH=str(ROOT),
    )
    env.update(overrides)
    return env


def start_gunicorn(
    env: dict, port: int, options: list[str], output: IO | None = None
) -> subprocess.Popen:
    """gunicorn serving config.wsgi on 127.0.0.1:port, returned once /health/ answers."""
    server = subprocess.Popen(  # noqa: S603 - our own arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            *options,
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=output,
        stderr=subprocess.STDOUT if output else None,
    )
    health = f"http://127.0.0.1:{port}/health/"
    for _ in range(150):
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited ({server.returncode}): is port {port} taken?")
        try:
            urllib.request.urlopen(health, timeout=2)  # nosec B310 - our loopback
            return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    raise SystemExit("gunicorn did not start")


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
