"""CPU time per request, in-process: far less noisy than wall-clock latency on a shared
machine, so it is what decides whether a change helps (docs/performance.md).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<bench db> \\
        .venv/bin/python -m bench.cpu [--requests 200] [--only list,deep] [--profile list]

Runs the list scenarios of bench/main.py through Django's test client against a seeded
benchmark database and prints, per scenario, `time.process_time()` per request, the ratio
to the floor's, the median wall time and the SQL queries of one request. `--profile NAME`
adds a cProfile of that scenario (CPU time, cumulative).
"""

import argparse
import cProfile
import os
import pstats
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--only", default="")
    parser.add_argument("--profile", default="")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 50)
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
    os.environ.setdefault("CONN_MAX_AGE", "600")
    os.environ.setdefault("CELERY_BROKER_URL", "")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from bench.instrument import _tokens
    from bench.main import SCENARIOS
    from orders.models import Order

    tokens = _tokens()
    visible = Order.objects.filter(company_id=1).count()
    ids = {"deep_page": max(1, min(200, -(-visible // 50)))}
    client = Client(SERVER_NAME="127.0.0.1")
    only = set(filter(None, args.only.split(",")))
    floor_cpu = None
    for name, label, who, requests, kind in SCENARIOS:
        if kind not in ("floor", "list") or (only and name not in only and kind != "floor"):
            continue
        path = requests[0][1].format(**ids)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {tokens[who]}"} if who else {}
        for _ in range(5):
            assert client.get(path, **headers).status_code == 200, path
        queries = []

        def count(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            client.get(path, **headers)
        walls = []
        started = time.process_time()
        for _ in range(args.requests):
            begun = time.perf_counter()
            client.get(path, **headers)
            walls.append(time.perf_counter() - begun)
        cpu = (time.process_time() - started) / args.requests * 1000
        floor_cpu = floor_cpu or cpu
        walls.sort()
        sys.stdout.write(
            f"{label:<28} cpu {cpu:6.2f} ms  ÷ floor {cpu / floor_cpu:4.2f}  "
            f"wall p50 {walls[len(walls) // 2] * 1000:6.2f} ms  {len(queries)} queries\n"
        )
        if name == args.profile:
            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
            for _ in range(args.requests):
                client.get(path, **headers)
            profiler.disable()
            pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
