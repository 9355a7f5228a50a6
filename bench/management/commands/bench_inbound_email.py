"""Measure how many inbound e-mails one worker process ingests per second.

Feeds N signed messages through the whole Django stack in this one process (WSGI handler,
middleware, the DRF view, signature check and replay record, parsing, routing, the dedup
insert, the order or the message, the events, and the acknowledgement and notification
outbox rows) into a throwaway company, then deletes what it created. Sending the outbox
is a worker's job, so it is not part of the measurement: the after-commit publish to the
broker is skipped.

`--form json` (the default) posts the relay's JSON batch form, `--batch` messages per
request; `--form mime` posts one raw message per request. The senders' first messages
open orders; their later ones are replies, every other one threaded by In-Reply-To and
the rest by the sender's open order.

Prints messages per second (wall clock), CPU milliseconds per message (the process's
`time.process_time()`, steadier than the wall clock on a shared machine) and SQL
statements per message (savepoints included; BEGIN and COMMIT are one pair per request).
"""

import json
import time
import uuid
from email.utils import format_datetime
from unittest import mock

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone

from accounts.models import User
from companies.models import Company, Membership
from core.models import OutboundEmail
from orders.email.security import sign
from orders.models import Order

URL = "/api/v1/inbound/email"


class Command(BaseCommand):
    help = "Ingest N signed inbound e-mails and print messages per second."

    def add_arguments(self, parser):
        parser.add_argument("--messages", type=int, default=500)
        parser.add_argument(
            "--senders", type=int, default=100, help="distinct senders (the rest are replies)"
        )
        parser.add_argument("--form", choices=["json", "mime"], default="json")
        parser.add_argument("--batch", type=int, default=100, help="messages per JSON request")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        parser.add_argument("--keep", action="store_true", help="keep the data it created")

    def handle(self, *args, messages: int, senders: int, form: str, batch: int, **options):
        run = uuid.uuid4().hex[:8]
        secret = uuid.uuid4().hex  # a one-off secret, only this process knows it
        company = Company.objects.create(
            cnpj=run.upper().ljust(14, "0")[:14],
            legal_name=f"Bench {run}",
            support_email=f"bench-{run}@bench.example",
            is_active=True,
        )
        admin = User.objects.create_user(f"admin-{run}@bench.example", None, name="Admin")
        Membership.objects.create(company=company, user=admin, role=Membership.Role.ADMIN)
        support = company.support_email
        if form == "mime":
            bodies = [
                (self._raw(run, n, senders, support), "message/rfc822") for n in range(messages)
            ]
        else:
            items = [self._item(run, n, senders, support) for n in range(messages)]
            bodies = [
                (json.dumps(items[start : start + batch]).encode(), "application/json")
                for start in range(0, messages, max(batch, 1))
            ]
        statuses: dict[str, int] = {}
        statements = [0]

        def count(execute, sql, params, many, context):
            statements[0] += 1
            return execute(sql, params, many, context)

        hosts = [host for host in settings.ALLOWED_HOSTS if host and "*" not in host]
        client = Client(SERVER_NAME=hosts[0].lstrip(".") if hosts else "localhost")
        try:
            with (
                override_settings(
                    INBOUND_EMAIL_SECRET=secret,
                    EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
                    EMAIL_AUTOMATIC_MAX_PER_HOUR=1_000_000,
                ),
                mock.patch("core.services._schedule_send"),
                connection.execute_wrapper(count),
            ):
                cpu, started = time.process_time(), time.perf_counter()
                for body, content_type in bodies:
                    self._post(client, body, content_type, secret, statuses)
                elapsed = time.perf_counter() - started
                cpu = time.process_time() - cpu
        finally:
            if not options["keep"]:
                self._clean(company, run)
        result = {
            "form": form,
            "batch": batch if form == "json" else 1,
            "messages": messages,
            "senders": senders,
            "seconds": round(elapsed, 3),
            "messages_per_second": round(messages / elapsed, 1),
            "cpu_ms_per_message": round(cpu * 1000 / messages, 3),
            "queries_per_message": round(statements[0] / messages, 2),
            "statuses": statuses,
        }
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        self.stdout.write(
            f"{messages} messages ({form}, {result['batch']} per request) in {elapsed:.2f}s: "
            f"{result['messages_per_second']} messages/s, "
            f"{result['cpu_ms_per_message']} ms CPU and "
            f"{result['queries_per_message']} SQL statements per message "
            f"({', '.join(f'{k} {v}' for k, v in sorted(statuses.items()))})"
        )

    def _post(self, client, body: bytes, content_type: str, secret: str, statuses: dict) -> None:
        timestamp = str(int(time.time()))
        response = client.generic(
            "POST",
            URL,
            body,
            content_type=content_type,
            secure=True,
            headers={
                "X-Mutirao-Timestamp": timestamp,
                "X-Mutirao-Signature": sign(body, timestamp=timestamp, secret=secret),
            },
        )
        if response.status_code != 200:
            raise SystemExit(f"inbound e-mail answered {response.status_code}: {response.content}")
        for result in response.json()["results"]:
            statuses[result["status"]] = statuses.get(result["status"], 0) + 1

    @staticmethod
    def _ids(run: str, n: int, senders: int) -> tuple[str, str]:
        """This message's Message-ID and, for every other reply, the one it answers."""
        reply_to = ""
        if n >= senders and (n // senders) % 2:
            reply_to = f"<{run}.{n - senders}@client.example>"
        return f"<{run}.{n}@client.example>", reply_to

    def _item(self, run: str, n: int, senders: int, support: str) -> dict:
        person = n % senders
        message_id, reply_to = self._ids(run, n, senders)
        return {
            "from": f"Person {person} <person{person}-{run}@client.example>",
            "to": [support],
            "subject": f"{'Re: ' if n >= senders else ''}Printer {person} =?utf-8?q?n=C3=A3o?= "
            "imprime",
            "text": f"Message {n}: a impressora parou.\n\nOn Mon, Support wrote:\n> old\n",
            "html": f"<p>Message {n}: a impressora <b>parou</b>.</p>",
            "message_id": message_id,
            "in_reply_to": reply_to,
            "references": [reply_to] if reply_to else [],
            "date": format_datetime(timezone.now()),
            "headers": {"X-Mailer": "bench"},
        }

    def _raw(self, run: str, n: int, senders: int, support: str) -> bytes:
        person = n % senders
        message_id, reply_to = self._ids(run, n, senders)
        threading = f"In-Reply-To: {reply_to}\r\nReferences: {reply_to}\r\n" if reply_to else ""
        return (
            f"From: Person {person} <person{person}-{run}@client.example>\r\n"
            f"To: {support}\r\n"
            f"Subject: Printer {person} =?utf-8?q?n=C3=A3o?= imprime\r\n"
            f"Message-ID: {message_id}\r\n"
            f"{threading}"
            "MIME-Version: 1.0\r\n"
            'Content-Type: multipart/alternative; boundary="b"\r\n\r\n'
            "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            f"Message {n}: a impressora parou.\r\n\r\nOn Mon, Support wrote:\r\n> old\r\n"
            "--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
            f"<p>Message {n}: a impressora <b>parou</b>.</p>\r\n--b--\r\n"
        ).encode()

    def _clean(self, company: Company, run: str) -> None:
        OutboundEmail.objects.filter(order_link__order__company=company).delete()
        Order.objects.filter(company=company).delete()
        company.inbound_emails.all().delete()
        people = User.objects.filter(
            email__endswith=f"-{run}@client.example"
        ) | User.objects.filter(email=f"admin-{run}@bench.example")
        company.delete()
        people.delete()
