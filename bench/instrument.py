"""The measurements that need Django itself, run in a child process per database size.

`prepare`: mints the access tokens, picks the ids the scenarios use and counts the SQL
queries each scenario's request runs (Django's test client + CaptureQueriesContext against
the same database; nothing of this ships in the application).
`export`: the CSV report of every open order as staff, in a fresh process so its peak RSS
is the export's own, beside PostgreSQL COPY of the same rows.

Prints one JSON object on stdout.
"""

import json
import os
import resource
import sys
import time

import django


def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()


def _tokens():
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.authentication import SESSION_VERSION_CLAIM
    from accounts.models import User
    from bench.management.commands.seed_bench import BENCH_DOMAIN

    tokens = {}
    for who in ("staff", "admin", "agent"):
        user = User.objects.get(email=f"bench-{who}@{BENCH_DOMAIN}")
        token = AccessToken.for_user(user)
        token.set_exp(lifetime=__import__("datetime").timedelta(hours=6))
        token[SESSION_VERSION_CLAIM] = user.session_version
        tokens[who] = str(token)
    return tokens


def prepare(scenarios: list[dict]) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from orders.models import Order

    tokens = _tokens()
    visible = Order.objects.filter(company_id=1).count()
    detail = (
        Order.objects.filter(company_id=1, messages__isnull=False).order_by("id").values("id")[:1]
    )
    ids = {
        "order": detail[0]["id"],
        "deep_page": max(1, min(200, -(-visible // 50))),
    }
    client = Client(SERVER_NAME="127.0.0.1")
    queries = {}
    for scenario in scenarios:
        counts = []
        for method, path, body in scenario["requests"]:
            path = path.format(**ids)
            headers = {}
            if scenario.get("who"):
                headers["HTTP_AUTHORIZATION"] = f"Bearer {tokens[scenario['who']]}"
            if "{id}" in path:
                continue  # take/close of the write chain: counted below
            with CaptureQueriesContext(connection) as captured:
                if method == "GET":
                    response = client.get(path, **headers)
                else:
                    response = client.post(
                        path, data=body or "{}", content_type="application/json", **headers
                    )
            if response.status_code >= 400:
                raise SystemExit(f"{scenario['name']}: {path} answered {response.status_code}")
            counts.append(len(captured))
            if scenario["name"] == "write":
                order_id = response.json()["id"]
                for action, data in (("take", "{}"), ("close", '{"solution": "ok"}')):
                    with CaptureQueriesContext(connection) as captured:
                        response = client.post(
                            f"/api/v1/orders/{order_id}/{action}",
                            data=data,
                            content_type="application/json",
                            **headers,
                        )
                    assert response.status_code == 200, (action, response.content[:200])
                    counts.append(len(captured))
        queries[scenario["name"]] = max(counts) if counts else None
    return {"tokens": tokens, "ids": ids, "queries": queries}


def export() -> dict:
    from django.db import connection
    from django.test import Client

    from orders.models import Order
    from orders.reports import COLUMNS, EXPRESSIONS

    tokens = _tokens()
    client = Client(SERVER_NAME="127.0.0.1")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {tokens['staff']}"}
    # Warm the code paths on a tiny export, so the baseline includes them.
    warm = client.get("/api/v1/orders/report?format=csv&status=open&company=1", **headers)
    for _chunk in warm.streaming_content:
        pass
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    response = client.get("/api/v1/orders/report?format=csv&status=open", **headers)
    size = rows = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        rows += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    queryset = (
        Order.objects.filter(status="open")
        .order_by("id")
        .values_list(*[EXPRESSIONS.get(name, name) for name in COLUMNS])
    )
    sql, params = queryset.query.sql_with_params()

    class Sink:
        size = 0

        def write(self, data):
            self.size += len(data)

    sink = Sink()
    with connection.cursor() as cursor:
        statement = cursor.mogrify(sql, params).decode()
        started = time.perf_counter()
        cursor.cursor.copy_expert(f"COPY ({statement}) TO STDOUT WITH CSV", sink)
        copy_seconds = time.perf_counter() - started
    return {
        "rows": rows - 1,
        "bytes": size,
        "seconds": seconds,
        "rows_per_second": (rows - 1) / seconds if seconds else 0,
        "rss_baseline_mb": baseline / 1024,
        "rss_peak_mb": peak / 1024,
        "rss_growth_mb": (peak - baseline) / 1024,
        "copy_seconds": copy_seconds,
        "copy_bytes": sink.size,
        "ratio_to_copy": seconds / copy_seconds if copy_seconds else None,
    }


if __name__ == "__main__":
    _setup()
    result = prepare(json.loads(sys.stdin.read())) if sys.argv[1] == "prepare" else export()
    sys.stdout.write(json.dumps(result))
