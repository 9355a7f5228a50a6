"""Measure how many inbound e-mails one process ingests per second.

Posts N signed raw messages through the whole HTTP stack (signature check, parsing,
routing, dedup insert, order or message, acknowledgement and notification outbox rows)
into a throwaway company, then deletes what it created. Sending the outbox is a worker's
job, so it is not part of the measurement: the after-commit publish is skipped.
"""

import time
import uuid
from unittest import mock

from django.core.management.base import BaseCommand
from django.test import Client, override_settings

from accounts.models import User
from companies.models import Company, Membership
from core.models import OutboundEmail
from orders.email.security import sign
from orders.models import Order


class Command(BaseCommand):
    help = "Ingest N signed inbound e-mails and print messages per second."

    def add_arguments(self, parser):
        parser.add_argument("--messages", type=int, default=500)
        parser.add_argument(
            "--senders", type=int, default=100, help="distinct senders (the rest are replies)"
        )
        parser.add_argument("--keep", action="store_true", help="keep the data it created")

    def handle(self, *args, messages: int, senders: int, keep: bool, **options):
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
        client = Client()
        bodies = [self._raw(run, n, senders, company.support_email) for n in range(messages)]
        statuses: dict[str, int] = {}
        with (
            override_settings(
                INBOUND_EMAIL_SECRET=secret,
                EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
                EMAIL_AUTOMATIC_MAX_PER_HOUR=1_000_000,
            ),
            mock.patch("core.services._schedule_send"),
        ):
            started = time.perf_counter()
            for body in bodies:
                timestamp = str(int(time.time()))
                response = client.generic(
                    "POST",
                    "/api/v1/inbound/email",
                    body,
                    content_type="message/rfc822",
                    secure=True,
                    headers={
                        "X-Mutirao-Timestamp": timestamp,
                        "X-Mutirao-Signature": sign(body, timestamp=timestamp, secret=secret),
                    },
                )
                status = (
                    response.json()["results"][0]["status"]
                    if response.status_code == 200
                    else str(response.status_code)
                )
                statuses[status] = statuses.get(status, 0) + 1
            elapsed = time.perf_counter() - started
        self.stdout.write(
            f"{messages} messages in {elapsed:.2f}s: {messages / elapsed:.1f} messages/s "
            f"({', '.join(f'{k} {v}' for k, v in sorted(statuses.items()))})"
        )
        if not keep:
            self._clean(company, run)

    def _raw(self, run: str, n: int, senders: int, support: str) -> bytes:
        sender = f"person{n % senders}-{run}@client.example"
        return (
            f"From: Person {n % senders} <{sender}>\r\n"
            f"To: {support}\r\n"
            f"Subject: Printer {n % senders} =?utf-8?q?n=C3=A3o?= imprime\r\n"
            f"Message-ID: <{run}.{n}@client.example>\r\n"
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
