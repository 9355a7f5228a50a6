"""Schema fuzzing (docs/security.md, "Schema fuzzing").

Seeds one PostgreSQL database with the demo world (`manage.py seed_demo`: companies with an
admin, agents and requesters, an NGO with its owner, events and donations, a home with its
admin, payment methods, orders, bills...), keeps it as a template, and for each role copies
it, serves the copy under gunicorn on 127.0.0.1 and runs schemathesis' `st run` over every
operation of /api/schema/ with that role's access token: fuzzing and the stateful phase
(links inferred between create and read/update/delete) everywhere, the coverage phase on the
operations the role owns (see ROLES), every check, fixed seeds: every role on the first seed
of --seeds, the roles of --later-seed-roles (anonymous, a plain user and staff) on each
further seed. Two runs at a time (one per core), each against its own database and server
with one schemathesis worker, so the generated inputs repeat from run to run. Prints the
counts per seed and role and exits non-zero on any failure.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench import loopback
from core.demo import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("FUZZ_PG", "postgres://postgres@127.0.0.1:5432")

ST = str(Path(sys.executable).with_name("st"))

# (role, demo login or None for anonymous, operations of its coverage phase). Every role
# runs the fuzzing and stateful phases over every operation. The coverage phase (boundary
# and invalid values of every parameter and field, thousands of requests) is the costly one:
# each operation gets it once, under the role that owns that part of the API, so it gets
# past permissions into validation and the service. Every role fuzzes every operation but
# the two that end its own session (they would turn the rest of its run into 401s); those
# run as a person of their own (`session`), with every phase. `user` is a plain person (no
# company, NGO or home role; registered for one event) and owns no operation's coverage:
# what it can reach is what any signed-up person can.
NOTHING = "^$"  # matches no operation
ROLES = [
    ("staff", "staff@mutirao.demo", r"^/api/v1/(users|ping)"),
    ("company-admin", "admin@softclient.demo", r"^/api/v1/(companies|teams|equipment|webhooks)"),
    ("agent", "lead@softclient.demo", r"^/api/v1/orders/\{id\}"),
    ("requester", "user@softclient.demo", r"^/api/v1/orders(/report|/stats)?$"),
    ("ngo-owner", "ongowner@mutirao.demo", r"^/api/v1/(ongs|events|donations|payment-methods)"),
    ("home-admin", "home@mutirao.demo", r"^/api/v1/(homes|bills|tasks|rules|routines)"),
    ("anonymous", None, r"^(/api/v1/(auth|inbound)/|/health/)"),
    ("user", "pessoa@mutirao.demo", NOTHING),
    ("session", "pessoa@mutirao.demo", None),
]
# Every role runs on the first seed; these also run on each further seed.
LATER_SEED_ROLES = "anonymous,user,staff"
DEFAULT_SEEDS = "20261123,7"
# Scheduled first, so the other worker is not left waiting on them at the end.
LONGEST = ("home-admin", "ngo-owner")
SESSION_ENDERS = "^/api/v1/(auth/logout-all|users/me)$"

# Checks that do not apply here, and why (also in docs/security.md):
# - positive_data_acceptance: it expects every schema-valid body to be accepted, but the
#   schema cannot say that a CNPJ's or card number's check digits must be right, that a
#   foreign key must exist and be visible to the caller, or that a password must not be
#   common; those are refused with 400 by design. Invalid data being refused is still checked
#   (negative_data_rejection).
# - negative_data_rejection and use_after_free run as their copies in fuzz/hooks.py, which
#   leave out what DRF accepts by design (a number for a text field, a blank optional form
#   field), a "violation" of a body property schemathesis invented from our error envelope,
#   and the DELETEs that deactivate (companies, NGOs, events); see fuzz/hooks.py.
# - ensure_resource_availability runs as its copy too, leaving out a 404 under a home after
#   the scenario removed a membership of it: a sole member may leave their home, which then
#   disappears for them by design.
# Their copies (negative_data_rejection_except_coercion, use_after_free_except_deactivation,
# ensure_resource_availability_except_leaving) are registered checks, so `--checks all` runs
# them; every other check runs as it is, unsupported_method included (see
# PROBES_UNEXPECTED_METHODS).
EXCLUDED_CHECKS = [
    "positive_data_acceptance",
    "negative_data_rejection",
    "use_after_free",
    "ensure_resource_availability",
]


# schemathesis settings (a schemathesis.toml per role, written next to its report).
CONFIG = """
[cache]
# This run's own cache (what error feedback learned from 4xx answers, crash files for
# `st replay`), emptied before the run. The default, .schemathesis/ in the checkout, is
# shared by every role, seed and run (and anyone else fuzzing there): requests learned in
# one were replayed in another, so runs did not repeat and roles leaked into each other.
directory = {cache}

[phases.coverage]
# Methods an operation does not declare (expect 405, or 401/403 first where a login is
# required): probed on every path by the roles of PROBES_UNEXPECTED_METHODS; the others skip
# them.
{unexpected_methods}

[phases.stateful]
# Chains of calls along the links inferred between operations (create -> read / update /
# delete), up to this many steps each.
max-steps = 12

[phases.stateful.generation]
max-examples = {stateful_examples}

{coverage_elsewhere}"""
COVERAGE_ELSEWHERE = """
# Operations whose coverage phase runs under another role.
[[operations]]
exclude-path-regex = '{owned}'
phases.coverage.enabled = false
"""
# Roles that probe undeclared methods (unsupported_method) on every path: all of them. Their
# coverage phase runs on every operation, and fuzz/hooks.py's filter_case keeps only the
# method probes on the operations they do not own (FUZZ_COVERAGE_OWNED), so it costs a few
# hundred requests per role, not the whole coverage phase again. A role left out of this
# list would run the coverage phase on its own operations only and skip the probes.
PROBES_UNEXPECTED_METHODS = tuple(entry[0] for entry in ROLES)


def log(message: str) -> None:
    sys.stderr.write(f"[fuzz] {message}\n")
    sys.stderr.flush()


def psql(sql: str, database: str = "postgres") -> None:
    loopback.psql(PG, sql, database)


def app_env(database: str) -> dict:
    return loopback.app_env(
        f"{PG}/{database}",
        SECRET_KEY="fuzz-only-" + "x" * 50,
        JWT_ACCESS_MINUTES="120",
        # Thousands of requests from one address in a few minutes: raise the limits so the
        # fuzzer reaches the views. Throttling itself is tested in accounts/tests.
        THROTTLE_LOGIN="100000/min",
        THROTTLE_LOGIN_EMAIL="100000/min",
        THROTTLE_REGISTER="100000/min",
        THROTTLE_REGISTER_EMAIL="100000/min",
        THROTTLE_DONATIONS="100000/min",
        AXES_FAILURE_LIMIT="100000",
        SCHEMATHESIS_HOOKS="fuzz.hooks",
    )


def seed_template(database: str) -> None:
    log(f"{database}: creating, migrating and seeding the demo world")
    psql(f'DROP DATABASE IF EXISTS "{database}"')
    psql(f'CREATE DATABASE "{database}"')
    env = app_env(database)
    for args in (["migrate", "--noinput", "-v0"], ["seed_demo"]):
        subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )


def start_server(env: dict, port: int, log_file: Path) -> subprocess.Popen:
    with log_file.open("w") as server_log:
        return loopback.start_gunicorn(
            env, port, ["--workers", "1", "--timeout", "60"], output=server_log
        )


def login(port: int, email: str) -> str:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/auth/login",
        data=json.dumps({"email": email, "password": DEMO_PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["access"]


def number(pattern: str, text: str) -> int:
    found = re.search(pattern, text)
    return int(found.group(1)) if found else 0


def run_dir(args, seed: int, role: str) -> Path:
    return Path(args.out) / f"seed-{seed}" / role


def fuzz_role(
    seed_index: int, seed: int, role: str, email: str | None, owned: str | None, args, template
) -> dict:
    # Names derive from --db (FUZZ_DB): <db>_s<n>_<role>, dropped at the end.
    database = f"{args.db}_s{seed_index}_{role.replace('-', '_')}"
    psql(f'DROP DATABASE IF EXISTS "{database}"')
    psql(f'CREATE DATABASE "{database}" TEMPLATE "{template}"')
    port = loopback.free_port()
    env = app_env(database)
    probes = role in PROBES_UNEXPECTED_METHODS
    if probes and owned:
        env["FUZZ_COVERAGE_OWNED"] = owned
    out = run_dir(args, seed, role)
    out.mkdir(parents=True, exist_ok=True)
    server = start_server(env, port, out / "server.log")
    started = time.monotonic()
    try:
        config = out / "schemathesis.toml"
        shutil.rmtree(out / "cache", ignore_errors=True)
        config.write_text(
            CONFIG.format(
                cache=json.dumps(str(out / "cache")),
                unexpected_methods="" if probes else "unexpected-methods = []",
                stateful_examples=args.stateful_examples,
                coverage_elsewhere=COVERAGE_ELSEWHERE.format(owned=owned)
                if owned and not probes
                else "",
            )
        )
        command = [
            ST,
            "--config-file",
            str(config),
            "run",
            f"http://127.0.0.1:{port}/api/schema/",
            "--checks",
            "all",
            "--exclude-checks",
            ",".join(EXCLUDED_CHECKS),
            "--seed",
            str(seed),
            "--max-examples",
            str(args.max_examples),
            "--phases",
            args.phases,
            "--workers",
            "1",
            "--generation-database",
            "none",
            "--no-color",
            "--report",
            args.report,
            "--report-dir",
            str(out),
        ]
        if email:
            command += ["--header", f"Authorization: Bearer {login(port, email)}"]
        if role == "session":
            command += ["--include-path-regex", SESSION_ENDERS]
        elif email:
            command += ["--exclude-path-regex", SESSION_ENDERS]
        result = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
    finally:
        loopback.stop_server(server)
        psql(f'DROP DATABASE IF EXISTS "{database}"')
    output = result.stdout + result.stderr
    (out / "output.txt").write_text(output)
    summary = {
        "seed": seed,
        "role": role,
        "exit": result.returncode,
        "operations": number(r"Tested:\s+(\d+)", output),
        "cases": number(r"(\d+) generated", output),
        "scenarios": number(r"Scenarios:\s+(\d+)", output),
        "links": number(r"API Links:\s+(\d+) covered", output),
        "failures": number(r"(\d+) unique failures", output),
        "seconds": round(time.monotonic() - started),
    }
    if result.returncode != 0 and not summary["failures"]:
        summary["failures"] = 1  # an error (not a failed check) still fails the run
    log(
        f"seed {seed} {role}: {summary['operations']} operations, {summary['cases']} test cases, "
        f"{summary['scenarios']} stateful scenarios ({summary['links']} links covered), "
        f"{summary['failures']} failures "
        f"in {summary['seconds']}s (exit {result.returncode})"
    )
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=os.environ.get("FUZZ_DB", "mutirao_fuzz"))
    parser.add_argument(
        "--seeds",
        default=os.environ.get("FUZZ_SEEDS", os.environ.get("FUZZ_SEED", DEFAULT_SEEDS)),
        help="comma-separated: every role runs on the first, --later-seed-roles on the others",
    )
    parser.add_argument("--seed", type=int, help="one seed only, every role (same as --seeds N)")
    parser.add_argument(
        "--later-seed-roles",
        default=LATER_SEED_ROLES,
        help="roles that also run on the seeds after the first",
    )
    parser.add_argument(
        "--max-examples", type=int, default=int(os.environ.get("FUZZ_EXAMPLES", "5"))
    )
    parser.add_argument(
        "--stateful-examples",
        type=int,
        default=int(os.environ.get("FUZZ_STATEFUL_EXAMPLES", "30")),
        help="stateful scenarios per role",
    )
    parser.add_argument("--phases", default="examples,coverage,fuzzing,stateful")
    parser.add_argument("--roles", default=",".join(entry[0] for entry in ROLES))
    parser.add_argument("--jobs", type=int, default=2, help="runs (seed, role) at a time")
    parser.add_argument("--out", default=str(ROOT / "test-output" / "fuzz"))
    parser.add_argument(
        "--report", default="junit", help="schemathesis report formats, e.g. junit,har"
    )
    args = parser.parse_args()
    seeds = [args.seed] if args.seed is not None else [int(s) for s in args.seeds.split(",")]
    known = {entry[0] for entry in ROLES}
    for names in (args.roles, args.later_seed_roles):
        unknown = set(names.split(",")) - known - {""}
        if unknown:
            parser.error(f"unknown roles: {', '.join(sorted(unknown))} (known: {', '.join(known)})")

    started = time.monotonic()
    template = f"{args.db}_template"
    seed_template(template)
    roles = args.roles.split(",")
    runs = [
        (index, seed, *entry)
        for index, seed in enumerate(seeds, start=1)
        for entry in ROLES
        if entry[0] in roles and (index == 1 or entry[0] in args.later_seed_roles.split(","))
    ]
    order = sorted(runs, key=lambda run: (run[2] not in LONGEST, run[0]))
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        done = list(pool.map(lambda run: fuzz_role(*run, args, template), order))
    psql(f'DROP DATABASE IF EXISTS "{template}"')
    results = [done[order.index(run)] for run in runs]  # back in seed, then role order
    report(results, args, seeds, round(time.monotonic() - started))


def report(results: list[dict], args, seeds: list[int], seconds: int) -> None:
    width = max(len(r["role"]) for r in [*results, {"role": "total"}])
    seed_width = max(len(str(seed)) for seed in [*seeds, "seed"])
    print(
        f"\nSchema fuzzing: seeds {', '.join(map(str, seeds))}, "
        f"{args.max_examples} examples per operation"
    )
    print(
        f"{'seed'.ljust(seed_width)}  {'role'.ljust(width)}  operations  test cases"
        "  stateful scenarios  links covered  failures  seconds"
    )

    def row(seed: str, role: str, rows: list[dict], secs: int) -> None:
        print(
            f"{seed.ljust(seed_width)}  {role.ljust(width)}  "
            f"{sum(r['operations'] for r in rows):>10}  {sum(r['cases'] for r in rows):>10}  "
            f"{sum(r['scenarios'] for r in rows):>18}  {sum(r['links'] for r in rows):>13}  "
            f"{sum(r['failures'] for r in rows):>8}  {secs:>7}"
        )

    for seed in seeds:
        rows = [r for r in results if r["seed"] == seed]
        for r in rows:
            row(str(seed), r["role"], [r], r["seconds"])
        if len(seeds) > 1 and rows:
            row(str(seed), "total", rows, sum(r["seconds"] for r in rows))
    row("all", "total", results, seconds)  # seconds: wall clock, runs overlap
    print(f"Reports (JUnit, console output and server log per seed and role): {args.out}")
    for r in results:
        if r["failures"]:
            path = run_dir(args, r["seed"], r["role"]) / "output.txt"
            output = path.read_text()
            print(f"\n--- seed {r['seed']} {r['role']}: failures (full output in {path})")
            begin = output.rfind("\n", 0, output.find("= FAILURES =")) + 1
            if "= FAILURES =" not in output:
                print(output[-3000:])
            else:
                end = output.find("= WARNINGS =", begin)
                section = output[begin : end if end != -1 else None]
                print(section[:8000] + ("\n[...]" if len(section) > 8000 else ""))
    if any(r["failures"] for r in results):
        print(
            "\nTo replay a failure: serve a fresh copy of the demo world (manage.py seed_demo),"
            " then .venv/bin/st --config-file <run dir>/schemathesis.toml replay <Test Case ID>"
            " --url http://127.0.0.1:<port> -H 'Authorization: Bearer <access token>'"
        )
    failed = sum(1 for r in results if r["failures"])
    # One line per run, read like a test runner's: a (seed, role) run passes with 0 failures.
    print(f"fuzz: {len(results) - failed} passed, {failed} failed")
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
