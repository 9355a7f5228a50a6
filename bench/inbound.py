"""Scenario 9: inbound e-mail ingestion, messages per second into one worker process.

Runs `manage.py bench_inbound_email` in one child process against the size's database
with the benchmark's production settings: signed JSON batches of 100 messages (the
relay's batch form) go through the whole Django stack in that one process (middleware,
the view, signature check and replay record, parsing, threading, dedup, orders,
messages, events and outbox rows), a fifth of them opening orders and the rest replies.
The process's CPU time per message is reported beside the wall clock, because it stays
steady on a shared machine.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BATCH = 100


def run(env: dict, seconds: float) -> dict:
    # About one second of work per 200 messages on the reference machine; never fewer
    # than three batches, so the first one's warm-up does not dominate.
    messages = max(3 * BATCH, min(4000, int(seconds * 200) // BATCH * BATCH))
    out = subprocess.run(  # noqa: S603 - our own arguments
        [
            sys.executable,
            "manage.py",
            "bench_inbound_email",
            "--messages",
            str(messages),
            "--senders",
            str(messages // 5),
            "--batch",
            str(BATCH),
            "--json",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        sys.stderr.write(out.stderr)
        raise SystemExit("bench_inbound_email failed")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["label"] = "9 inbound e-mail (one process)"
    result["kind"] = "inbound"
    return result


def describe(size: int, result: dict) -> str:
    return (
        f"{size:>9,} {result['label']:<28} {result['messages_per_second']:8.1f} msg/s  "
        f"{result['cpu_ms_per_message']:.2f} ms CPU/msg  "
        f"{result['queries_per_message']} queries/msg"
    )


def table(sizes: list[int], results: dict) -> str:
    lines = [
        "| 9 inbound e-mail, one process | messages | per request | msg/s | CPU ms/msg | "
        "queries/msg |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for size in sizes:
        r = results[str(size)].get("inbound")
        if r:
            lines.append(
                f"| {size:,} orders | {r['messages']:,} | {r['batch']} | "
                f"{r['messages_per_second']:.0f} | {r['cpu_ms_per_message']:.2f} | "
                f"{r['queries_per_message']} |"
            )
    return "\n".join(lines) + "\n"
