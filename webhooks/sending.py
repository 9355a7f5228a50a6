"""One HTTP POST of one delivery, to the address the SSRF guard checked.

urllib3 (already a dependency of django-anymail through requests, pinned in pyproject) lets
the connection go to an IP address while TLS still checks the certificate of the host name
(`server_hostname`, `assert_hostname`): the request cannot be sent anywhere but the checked
address. Redirects are never followed, timeouts are short, and only the first bytes of the
answer are read.
"""

import time
from dataclasses import dataclass

import urllib3
from django.conf import settings

from webhooks.ssrf import Target

EXCERPT_BYTES = 500
USER_AGENT = "Mutirao-Webhooks/1"


@dataclass(frozen=True)
class Answer:
    """What one attempt got: the status code (None: no answer), a short excerpt of the body
    or the error, and how long it took."""

    code: int | None
    excerpt: str
    duration_ms: int
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return self.code is not None and 200 <= self.code < 300


def _host_header(target: Target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default_port = 443 if target.scheme == "https" else 80
    return host if target.port == default_port else f"{host}:{target.port}"


def _pool(target: Target) -> urllib3.HTTPConnectionPool:
    timeout = urllib3.Timeout(
        connect=settings.WEBHOOKS_CONNECT_TIMEOUT, read=settings.WEBHOOKS_READ_TIMEOUT
    )
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            target.address,
            target.port,
            timeout=timeout,
            retries=False,
            maxsize=1,
            cert_reqs="CERT_REQUIRED",
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    return urllib3.HTTPConnectionPool(
        target.address, target.port, timeout=timeout, retries=False, maxsize=1
    )


def post(target: Target, *, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` to the target; never raises for what the network or the endpoint does."""
    headers = {
        **headers,
        "Host": _host_header(target),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }
    started = time.monotonic()
    try:
        with _pool(target) as pool:
            response = pool.urlopen(
                "POST",
                target.path,
                body=body,
                headers=headers,
                redirect=False,
                retries=False,
                preload_content=False,
                assert_same_host=False,
            )
            try:
                excerpt = response.read(EXCERPT_BYTES, decode_content=False)
            finally:
                response.release_conn()
    # OSError: TLS and socket errors urllib3 does not wrap; ValueError: a URL http.client
    # refuses. Either is a failed attempt, logged and retried, never a crashed task.
    except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
        return Answer(None, "", _elapsed(started), error=_describe(exc))
    text = excerpt.decode("utf-8", "replace")[:EXCERPT_BYTES]
    return Answer(response.status, text, _elapsed(started))


def _elapsed(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]
