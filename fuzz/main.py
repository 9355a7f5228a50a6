"""Schema fuzzing (docs/security.md, "Schema fuzzing").

Seeds one PostgreSQL database with the demo world (`manage.py seed_demo`: companies with an
admin, agents and requesters, an NGO with its owner, events and donations, a home with its
admin, payment methods, orders, bills...), keeps it as a template, and for each role copies
it, serves the copy under gunicorn on 127.0.0.1 and runs schemathesis' `st run` over every
operation of /api/schema/ with that role's access token: fuzzing and the stateful phase
(links inferred between create and read/update/delete) everywhere, the coverage phase on the
operations the role owns (see ROLES), every check, a fixed seed. Two roles run at a time
(one per core), each against its own database and server with one schemathesis worker, so
the generated inputs repeat from run to run. Exits non-zero on any failure.
"""

import argparse
import json
import os
import re
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
# run as a person of their own (`session`), with every phase.
ROLES = [
    ("staff", "staff@mutirao.demo", r"^/api/v1/(users|ping)"),
    ("company-admin", "admin@softclient.demo", r"^/api/v1/(companies|teams)"),
    ("agent", "lead@softclient.demo", r"^/api/v1/orders/\{id\}"),
    ("requester", "user@softclient.demo", r"^/api/v1/orders(/report|/stats)?$"),
    ("ngo-owner", "ongowner@mutirao.demo", r"^/api/v1/(ongs|events|donations|payment-methods)"),
    ("home-admin", "home@mutirao.demo", r"^/api/v1/(homes|bills|tasks|rules|routines)"),
    ("anonymous", None, r"^(/api/v1/(auth|inbound)/|/health/)"),
    ("session", "pessoa@mutirao.demo", None),
]
SESSION_ENDERS = "^/api/v1/(auth/logout-all|users/me)$"

# Checks that do not apply here, and why (also in docs/security.md):
# - positive_data_acceptance: it expects every schema-valid body to be accepted, but the
#   schema cannot say that a CNPJ's or card number's check digits must be right, that a
#   foreign key must exist and be visible to the caller, or that a password must not be
#   common; those are refused with 400 by design. Invalid data being refused is still checked
#   (negative_data_rejection).
# - negative_data_rejection and use_after_free run as their copies in fuzz/hooks.py, which
#   leave out what DRF accepts by design (a number for a text field, a blank optional form
#   field) and the DELETEs that deactivate (companies, NGOs, events); see fuzz/hooks.py.
# - ensure_resource_availability runs as its copy too, leaving out what hangs under a home:
#   a sole member may leave their home, which then disappears for them by design.
EXCLUDED_CHECKS = [
    "positive_data_acceptance",
    "negative_data_rejection",
    "use_after_free",
    "ensure_resource_availability",
]


# schemathesis settings (a schemathesis.toml per role, written next to its report).
CONFIG = """
[phases.coverage]
# Methods an operation does not declare (expect 405): probed by the staff run only, where
# authentication lets the request reach the method check; the other roles skip them.
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
PROBES_UNEXPECTED_METHODS = "staff"


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


def fuzz_role(role: str, email: str | None, owned: str | None, args, template: str) -> dict:
    database = f"{args.db}_{role.replace('-', '_')}"
    psql(f'DROP DATABASE IF EXISTS "{database}"')
    psql(f'CREATE DATABASE "{database}" TEMPLATE "{template}"')
    port = loopback.free_port()
    env = app_env(database)
    out = Path(args.out) / role
    out.mkdir(parents=True, exist_ok=True)
    server = start_server(env, port, out / "server.log")
    started = time.monotonic()
    try:
        config = out / "schemathesis.toml"
        config.write_text(
            CONFIG.format(
                unexpected_methods=""
                if role == PROBES_UNEXPECTED_METHODS
                else "unexpected-methods = []",
                stateful_examples=args.stateful_examples,
                coverage_elsewhere=COVERAGE_ELSEWHERE.format(owned=owned) if owned else "",
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
            str(args.seed),
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
            "junit",
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
        f"{role}: {summary['operations']} operations, {summary['cases']} test cases, "
        f"{summary['scenarios']} stateful scenarios ({summary['links']} links covered), "
        f"{summary['failures']} failures "
        f"in {summary['seconds']}s (exit {result.returncode})"
    )
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=os.environ.get("FUZZ_DB", "mutirao_fuzz"))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("FUZZ_SEED", "20261123")))
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
    parser.add_argument("--jobs", type=int, default=2, help="roles fuzzed at a time")
    parser.add_argument("--out", default=str(ROOT / "test-output" / "fuzz"))
    args = parser.parse_args()

    started = time.monotonic()
    template = f"{args.db}_template"
    seed_template(template)
    chosen = [entry for entry in ROLES if entry[0] in args.roles.split(",")]
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(lambda entry: fuzz_role(*entry, args, template), chosen))
    psql(f'DROP DATABASE IF EXISTS "{template}"')

    width = max(len(result["role"]) for result in results)
    print(f"\nSchema fuzzing: seed {args.seed}, {args.max_examples} examples per operation")
    print(
        f"{'role'.ljust(width)}  operations  test cases  stateful scenarios  links covered"
        "  failures  seconds"
    )
    for r in results:
        print(
            f"{r['role'].ljust(width)}  {r['operations']:>10}  {r['cases']:>10}  "
            f"{r['scenarios']:>18}  {r['links']:>13}  {r['failures']:>8}  {r['seconds']:>7}"
        )
    failures = sum(r["failures"] for r in results)
    print(
        f"{'total'.ljust(width)}  {sum(r['operations'] for r in results):>10}  "
        f"{sum(r['cases'] for r in results):>10}  {sum(r['scenarios'] for r in results):>18}  "
        f"{sum(r['links'] for r in results):>13}  {failures:>8}  "
        f"{round(time.monotonic() - started):>7}"
    )
    print(f"Reports (JUnit, console output and server log per role): {args.out}")
    for r in results:
        if r["failures"]:
            output = (Path(args.out) / r["role"] / "output.txt").read_text()
            print(f"\n--- {r['role']}: failures (full output in {r['role']}/output.txt)")
            print(
                output[output.find("Failures:") :][:3000]
                if "Failures:" in output
                else output[-3000:]
            )
    failed = sum(1 for r in results if r["failures"])
    # One line per role, read like a test runner's: a role passes with zero failures.
    print(f"fuzz: {len(results) - failed} passed, {failed} failed")
    if failures:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
