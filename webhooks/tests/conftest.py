import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from webhooks import ssrf
from webhooks.models import WebhookEndpoint
from webhooks.tests.factories import WebhookEndpointFactory

PUBLIC_ADDRESS = "93.184.215.14"


@pytest.fixture(autouse=True)
def dns(monkeypatch) -> dict[str, list[str]]:
    """The DNS, a true boundary: names answer from this map (edit it in a test); every
    `*.example.com` name is a public address; anything else does not resolve."""
    answers: dict[str, list[str]] = {}

    def resolve(host: str, port: int) -> list[str]:
        if host in answers:
            return answers[host]
        if host.endswith(".example.com"):
            return [PUBLIC_ADDRESS]
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(ssrf, "resolve", resolve)
    return answers


@pytest.fixture
def endpoint(tenant) -> WebhookEndpoint:
    return WebhookEndpointFactory(company=tenant.company, url="https://erp.example.com/hooks")


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1 that records what it receives and answers
    `status` (set it in a test)."""

    url: str
    status: int = 200
    requests: list[dict] = field(default_factory=list)


@pytest.fixture
def receiver(settings):
    """A local endpoint; private targets and http are allowed for this test only."""
    settings.WEBHOOKS_ALLOW_HTTP = True
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            answer = json.dumps({"received": True}).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            if 300 <= state.status < 400:
                self.send_header("Location", "http://127.0.0.1:1/elsewhere")
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook?source=mutirao"
    yield state
    server.shutdown()
    server.server_close()
