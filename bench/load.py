"""Drive one scenario for a fixed time: wrk when installed, else a small asyncio client.

Both keep `connections` keep-alive connections busy for `seconds` and report requests/s,
p50 and p99 latency (ms) and the number of error responses. A scenario is a list of
requests taken in turn on each connection; the write chain (create → take → close) uses
the id the create answered.
"""

import asyncio
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

LUA = r"""
local requests = {REQUESTS}
local token = "{TOKEN}"
local chain = {CHAIN}
local step, pending = 0, {}
wrk.headers["Content-Type"] = "application/json"
if token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
request = function()
  if chain then
    local id = table.remove(pending, 1)
    if id then
      return wrk.format("POST", "/api/v1/orders/" .. id.id .. "/" .. id.action, nil, id.body)
    end
    return wrk.format("POST", "/api/v1/orders", nil, requests[1][3])
  end
  step = step % #requests + 1
  local r = requests[step]
  return wrk.format(r[1], r[2], nil, r[3])
end
response = function(status, headers, body)
  -- Each step is queued only once the previous one answered, on whichever connection.
  if chain and (status == 201 or status == 200) then
    local id = string.match(body, '"id":(%d+)')
    local state = string.match(body, '"status":"(%w+)"')
    if id and state == "open" then
      table.insert(pending, {id = id, action = "take", body = "{}"})
    elseif id and state == "in_progress" then
      table.insert(pending, {id = id, action = "close", body = '{"solution":"ok"}'})
    end
  end
end
"""


def _lua_string(value: str | None) -> str:
    return "nil" if value is None else json.dumps(value)


def has_wrk() -> bool:
    """wrk when installed, unless BENCH_LOADGEN=python asks for the asyncio client."""
    return os.environ.get("BENCH_LOADGEN") != "python" and shutil.which("wrk") is not None


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(base: str, requests, token: str, seconds: float, connections: int, chain: bool):
    lua_requests = (
        "{"
        + ", ".join(
            f"{{{_lua_string(m)}, {_lua_string(p)}, {_lua_string(b)}}}" for m, p, b in requests
        )
        + "}"
    )
    script = (
        LUA.replace("{REQUESTS}", lua_requests)
        .replace("{TOKEN}", token or "")
        .replace("{CHAIN}", "true" if chain else "false")
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        out = subprocess.run(  # noqa: S603 - our own arguments
            [  # noqa: S607 - wrk from PATH, installed by bench/run
                "wrk",
                "-t",
                "1",
                "-c",
                str(connections),
                "-d",
                f"{max(1, round(seconds))}s",
                "--latency",
                "-s",
                handle.name,
                base,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        ).stdout
    finally:
        Path(handle.name).unlink()
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))

    def pick(key):
        value, unit = re.fullmatch(r"([\d.]+)(\w+)", latency[key]).groups()
        return _ms(value, unit)

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": pick("50"),
        "p99_ms": pick("99"),
        "errors": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
        "tool": "wrk",
    }


async def _connection(host, port, requests, token, deadline, latencies, counters, chain):
    reader, writer = await asyncio.open_connection(host, port)
    pending: list[tuple[str, str, str]] = []
    step = 0
    try:
        while time.perf_counter() < deadline:
            if chain and pending:
                method, path, body = pending.pop(0)
            elif chain:
                method, path, body = requests[0]
            else:
                method, path, body = requests[step % len(requests)]
                step += 1
            payload = (body or "").encode()
            head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            if token:
                head += f"Authorization: Bearer {token}\r\n"
            head += f"Content-Length: {len(payload)}\r\n\r\n"
            started = time.perf_counter()
            writer.write(head.encode() + payload)
            await writer.drain()
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            content = await reader.readexactly(length) if length else b""
            latencies.append(time.perf_counter() - started)
            status = int(status_line.split()[1])
            if status >= 400:
                counters["errors"] += 1
            if chain and status in (200, 201):
                answer = json.loads(content)
                if answer["status"] == "open":
                    pending.append(("POST", f"/api/v1/orders/{answer['id']}/take", "{}"))
                elif answer["status"] == "in_progress":
                    close = ("POST", f"/api/v1/orders/{answer['id']}/close", '{"solution":"ok"}')
                    pending.append(close)
    finally:
        writer.close()


def run_python(base: str, requests, token: str, seconds: float, connections: int, chain: bool):
    host, port = base.removeprefix("http://").rstrip("/").split(":")
    latencies: list[float] = []
    counters = {"errors": 0}

    async def main():
        deadline = time.perf_counter() + seconds
        await asyncio.gather(
            *(
                _connection(host, int(port), requests, token, deadline, latencies, counters, chain)
                for _ in range(connections)
            )
        )

    started = time.perf_counter()
    asyncio.run(main())
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "errors": counters["errors"],
        "socket_errors": "",
        "tool": "python",
    }


def run(base, requests, token, seconds, connections, chain=False):
    runner = run_wrk if has_wrk() else run_python
    return runner(base, requests, token, seconds, connections, chain)
