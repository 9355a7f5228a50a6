"""Readiness checks for `/health/`: the database always, cache and broker when configured."""

import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection

logger = logging.getLogger(__name__)


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    probe = f"health:{uuid.uuid4().hex}"
    cache.set(probe, "ok", timeout=5)
    if cache.get(probe) != "ok":
        raise RuntimeError("cache did not return the value it was given")
    cache.delete(probe)


def check_broker() -> None:
    from config.celery import app

    # One quick retry and short connect timeouts: a probe must answer well within a load
    # balancer's timeout even when Redis hangs (it waited 2 s between attempts before).
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=1)


def run_checks() -> dict[str, str]:
    checks = {"database": check_database}
    if settings.CACHE_URL:
        checks["cache"] = check_cache
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        checks["broker"] = check_broker
    results = {}
    for name, check in checks.items():
        try:
            check()
        except Exception as exc:
            logger.warning("Health check %s failed: %r", name, exc)
            results[name] = "down"
        else:
            results[name] = "ok"
    return results
