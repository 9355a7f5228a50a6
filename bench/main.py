"""`make bench`: seed (or reuse) a PostgreSQL database per size, serve the app under
gunicorn with production settings on 127.0.0.1, drive every scenario for a fixed time,
and write bench/results/results.json, a table (results.md) and a chart (chart.png).

See docs/performance.md for what each scenario measures and the targets.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench import chart, inbound, load, loopback

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


CREATE = '{"company": 1, "equipment": "printer", "title": "Bench", "priority": "high"}'

# (name, label, who, requests, kind). Requests are (method, path, body), taken in turn.
SCENARIOS = [
    ("floor", "1 floor (ping)", "agent", [("GET", "/api/v1/ping", None)], "floor"),
    ("list", "2 list, agent", "agent", [("GET", "/api/v1/orders?page_size=50", None)], "list"),
    (
        "filtered",
        "3 open by priority, admin",
        "admin",
        [("GET", "/api/v1/orders?status=open&ordering=-priority&page_size=50", None)],
        "list",
    ),
    (
        "staff",
        "4 list, staff (all)",
        "staff",
        [("GET", "/api/v1/orders?page_size=50", None)],
        "list",
    ),
    (
        "deep",
        "5 page 200, agent",
        "agent",
        [("GET", "/api/v1/orders?page_size=50&page={deep_page}", None)],
        "list",
    ),
    (
        "detail",
        "6 detail + messages",
        "agent",
        [
            ("GET", "/api/v1/orders/{order}", None),
            ("GET", "/api/v1/orders/{order}/messages", None),
        ],
        "detail",
    ),
    ("write", "7 create, take, close", "agent", [("POST", "/api/v1/orders", CREATE)], "write"),
    # 9: inbound e-mail ingestion lands with the e-mail channel: add it to EXTRA_SCENARIOS.
    ("ongs", "10 public NGO list", None, [("GET", "/api/v1/ongs?page_size=50", None)], "list"),
    (
        "events",
        "10 public event list",
        None,
        [("GET", "/api/v1/events?page_size=50", None)],
        "list",
    ),
]

# Hook for scenario 9 (inbound e-mail, messages/s into one worker): a callable
# `fn(env: dict, seconds: float) -> dict` with at least {"messages_per_second": float}.
EXTRA_SCENARIOS: dict[str, object] = {"inbound": inbound.run}


def log(message: str) -> None:
    sys.stderr.write(f"[bench] {message}\n")
    sys.stderr.flush()


def psql(sql: str, database: str = "postgres") -> str:
    return loopback.psql(PG, sql, database)


def app_env(database: str) -> dict:
    return loopback.app_env(
        f"{PG}/{database}",
        SECRET_KEY="bench-" + "x" * 50,
        CONN_MAX_AGE="600",
        AXES_FAILURE_LIMIT="1000",
    )


def manage(env: dict, *args: str) -> None:
    subprocess.run(  # noqa: S603 - our own arguments
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True
    )


# Bumped whenever seed_bench writes other rows for the same arguments, so that a database
# seeded before is seeded again instead of reused.
SEED_LAYOUT = 2


def ensure_database(database: str, orders: int, seed: int, fresh: bool) -> None:
    """Create, migrate and seed the database unless it already holds this exact seed."""
    mark = f"seed_bench layout={SEED_LAYOUT} orders={orders} seed={seed}"
    # Database names come from bench's own settings, never from a request.
    exists = psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}'") == "1"  # noqa: S608  # nosec B608
    if exists and not fresh:
        where = f"WHERE datname = '{database}'"
        comment = psql(f"SELECT shobj_description(oid, 'pg_database') FROM pg_database {where}")  # noqa: S608  # nosec B608
        if comment == mark:
            log(f"{database}: reusing ({mark}); migrating and vacuuming")
            manage(app_env(database), "migrate", "--noinput", "-v0")
            # The seed ends with VACUUM ANALYZE; so does a reuse, or what earlier runs
            # wrote (scenario 7, the inbound e-mail) would leave heap pages that index-only
            # scans must visit, and each run would start from another state.
            psql("VACUUM (ANALYZE)", database)
            return
    log(f"{database}: creating and seeding {orders:,} orders")
    psql(f'DROP DATABASE IF EXISTS "{database}"')
    psql(f'CREATE DATABASE "{database}"')
    env = app_env(database)
    manage(env, "migrate", "--noinput", "-v0")
    started = time.monotonic()
    manage(env, "seed_bench", "--orders", str(orders), "--seed", str(seed))
    psql(f"COMMENT ON DATABASE \"{database}\" IS '{mark}'")
    log(f"{database}: seeded in {time.monotonic() - started:.0f}s")


def start_server(env: dict, args) -> tuple[subprocess.Popen, str]:
    """gunicorn on a free port of 127.0.0.1, and its base URL."""
    options = ["--workers", str(args.workers), "--worker-class", args.worker_class]
    if args.worker_class == "gthread":
        options += ["--threads", str(args.threads), "--keep-alive", "30"]
    port = loopback.free_port()
    return loopback.start_gunicorn(env, port, options), f"http://127.0.0.1:{port}"


def child(env: dict, *args: str, stdin: str = "") -> dict:
    out = subprocess.run(  # noqa: S603 - our own arguments
        [sys.executable, "-m", "bench.instrument", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"bench.instrument {args[0]} failed")
    return json.loads(out.stdout)


def database_for(size: int) -> str:
    if size >= 100_000:
        return os.environ.get("BENCH_DB_LARGE", "mutirao_bench_data")
    return os.environ.get("BENCH_DB_SMALL", "mutirao_bench_small")


def run_sizes(sizes: list[int], args) -> dict:
    """Every scenario at every size, back to back: one server per size's database, and
    each scenario driven against one size right after the other, so that a machine that
    slows down or speeds up while the benchmark runs moves both sides of the "1M ÷ 10k"
    ratio alike. Then scenario 9 and the export, size by size."""
    sites = []
    for size in sizes:
        database = database_for(size)
        ensure_database(database, size, args.seed, args.fresh)
        sites.append({"size": size, "env": app_env(database)})
    scenarios = [
        {"name": name, "who": who, "requests": requests}
        for name, _label, who, requests, _kind in SCENARIOS
    ]
    for site in sites:
        site["prepared"] = child(site["env"], "prepare", stdin=json.dumps(scenarios))
    results = {str(size): {} for size in sizes}
    try:
        for site in sites:
            site["server"], site["base"] = start_server(site["env"], args)
        for name, label, who, requests, kind in SCENARIOS:
            for site in sites:
                measured = measure(site, label, who, requests, kind, args)
                measured["queries"] = site["prepared"]["queries"].get(name)
                results[str(site["size"])][name] = measured
                log(
                    f"{site['size']:>9,} {label:<28} {measured['rps']:8.1f} req/s  "
                    f"p50 {measured['p50_ms']:7.2f} ms  p99 {measured['p99_ms']:7.2f} ms  "
                    f"{measured['queries']} queries"
                )
        for site in sites:
            for name, hook in EXTRA_SCENARIOS.items():
                results[str(site["size"])][name] = hook(site["env"], args.seconds)
                if name == "inbound":
                    log(inbound.describe(site["size"], results[str(site["size"])][name]))
    finally:
        for site in sites:
            if "server" in site:
                loopback.stop_server(site["server"])
    for site in sites:
        size = site["size"]
        log(f"{size:>9,} 8 CSV export of open orders (staff)")
        exported = results[str(size)]["export"] = child(site["env"], "export")
        log(
            f"{size:>9,} export: {exported['rows']:,} rows in {exported['seconds']:.2f}s "
            f"({exported['rows_per_second']:,.0f} rows/s), "
            f"RSS +{exported['rss_growth_mb']:.1f} MB; COPY {exported['copy_seconds']:.2f}s"
        )
    return results


def measure(site: dict, label: str, who, requests, kind: str, args) -> dict:
    """One scenario against one size's server: warm-up, then the measured run."""
    ids, tokens = site["prepared"]["ids"], site["prepared"]["tokens"]
    concrete = [(method, path.format(**ids), body) for method, path, body in requests]
    token = tokens[who] if who else ""
    chain = kind == "write"
    if args.warmup:
        load.run(site["base"], concrete, token, args.warmup, args.connections, chain)
    measured = load.run(site["base"], concrete, token, args.seconds, args.connections, chain)
    measured.update(label=label, kind=kind)
    if measured["errors"]:
        raise SystemExit(f"{label}: {measured['errors']} error responses")
    return measured


def table(sizes: list[int], results: dict) -> str:
    small, large = str(sizes[0]), str(sizes[-1])
    floor = results[large]["floor"]
    lines = [
        f"| scenario | req/s {small} | p50 ms {small} | req/s {large} | p50 ms {large} | "
        f"p99 ms {large} | p50 ÷ floor | req/s ÷ floor | p50 {large} ÷ {small} | queries |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, label, *_rest in SCENARIOS:
        a, b = results[small][name], results[large][name]
        lines.append(
            f"| {label} | {a['rps']:.0f} | {a['p50_ms']:.2f} | {b['rps']:.0f} | "
            f"{b['p50_ms']:.2f} | {b['p99_ms']:.2f} | {b['p50_ms'] / floor['p50_ms']:.2f} | "
            f"{b['rps'] / floor['rps']:.0%} | {b['p50_ms'] / a['p50_ms']:.2f} | "
            f"{b['queries'] if b['queries'] is not None else '—'} |"
        )
    lines += [
        "",
        "| CSV export of open orders (staff) | rows | seconds | rows/s | RSS growth MB | "
        "COPY seconds | ÷ COPY |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for size in (small, large):
        e = results[size]["export"]
        lines.append(
            f"| {int(size):,} orders | {e['rows']:,} | {e['seconds']:.2f} | "
            f"{e['rows_per_second']:,.0f} | {e['rss_growth_mb']:.1f} | {e['copy_seconds']:.2f} | "
            f"{e['ratio_to_copy']:.1f} |"
        )
    return "\n".join(lines) + "\n\n" + inbound.table(sizes, results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--fresh", action="store_true", help="reseed even if the seed matches")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    parser.add_argument(
        "--publish",
        metavar="DIR",
        help="also copy the chart to DIR/bench-chart.png (docs/performance.md shows "
        "docs/img/bench-chart.png; bench/results/ is not committed)",
    )
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))
    started = time.monotonic()
    log(f"load generator: {'wrk' if load.has_wrk() else 'python asyncio'}")
    results = run_sizes(sizes, args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report = {
        "sizes": sizes,
        "seconds": args.seconds,
        "connections": args.connections,
        "worker_class": args.worker_class,
        "workers": args.workers,
        "threads": args.threads,
        "tool": "wrk" if load.has_wrk() else "python",
        "elapsed_seconds": round(time.monotonic() - started),
        "results": results,
    }
    (out / "results.json").write_text(json.dumps(report, indent=2) + "\n")
    markdown = table(sizes, results)
    (out / "results.md").write_text(markdown)
    chart.draw(sizes, results, SCENARIOS, out / "chart.png")
    if args.publish:
        published = Path(args.publish)
        published.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out / "chart.png", published / "bench-chart.png")
        log(f"chart published as {published / 'bench-chart.png'}")
    sys.stdout.write(markdown)
    log(f"done in {time.monotonic() - started:.0f}s: {out}/results.json, results.md, chart.png")


if __name__ == "__main__":
    main()
