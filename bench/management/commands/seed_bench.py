"""Deterministic benchmark data at any size, loaded with PostgreSQL COPY.

Same `--seed`, same sizes → the same rows, ids included, so two runs of the benchmark
measure the same thing. Rows are generated as tab-separated text in memory, a batch at a
time, and streamed with `COPY ... FROM STDIN`; foreign-key triggers are skipped for the
session (`session_replication_role = replica`) because the generator only points at rows it
has already written, while CHECK and UNIQUE constraints still hold every row to the models'
rules. Sequences are moved past the loaded ids and the tables ANALYZEd at the end.

The first company ("the big customer") holds about min(orders, 12,000) orders (enough for
page 200 of 50), interleaved with the other companies' orders. Its logins, which docs/performance.md
uses, are `bench-admin@bench.mutirao.test`, `bench-agent@bench.mutirao.test` and the staff
`bench-staff@bench.mutirao.test`, all with the password `bench-password`.
"""

import io
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction

from accounts.models import User
from companies.cnpj import cnpj_is_valid
from companies.models import Company, Membership, Team
from events.models import Event
from homes.models import Home, HomeMember
from ongs.models import LedgerEntry, Ong
from orders.models import Message, Order, OrderEvent
from payments.models import Donation

BENCH_PASSWORD = "bench-password"  # noqa: S105 - a throwaway benchmark database
BENCH_DOMAIN = "bench.mutirao.test"
BIG_COMPANY_ORDERS = 12_000
BATCH = 100_000
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
SPAN_SECONDS = 2 * 365 * 24 * 3600
DONATIONS_PER_ONG = 20
DONATION_STATUSES = ["approved"] * 8 + ["declined", "pending"]
RESIDENTS_PER_HOME = 3

STATUSES = [("open", 30), ("in_progress", 17), ("waiting", 3), ("closed", 50)]
PRIORITIES = [("low", 25), ("medium", 40), ("high", 25), ("urgent", 10)]
EQUIPMENT = [value for value, _label in Order.Equipment.choices]
WORDS = (
    "impressora",
    "não",
    "liga",
    "tela",
    "azul",
    "nobreak",
    "apitando",
    "teclado",
    "sem",
    "resposta",
    "rede",
    "lenta",
    "troca",
    "de",
    "toner",
    "notebook",
    "esquentando",
    "backup",
    "falhou",
    "monitor",
    "piscando",
    "senha",
    "expirada",
    "cabo",
    "rompido",
    "ventoinha",
    "barulhenta",
    "atualização",
    "travada",
)


def _weighted(pairs):
    return [value for value, weight in pairs for _ in range(weight)]


def cnpj_from(number: int) -> str:
    """A valid CNPJ whose root is `number` (unique per number), branch 0001."""
    digits = [int(d) for d in f"{number:08d}0001"]
    for weights in ([5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2], [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]):
        total = sum(d * w for d, w in zip(digits, weights, strict=True))
        rest = total % 11
        digits.append(0 if rest < 2 else 11 - rest)
    return "".join(map(str, digits))


def _text(value) -> str:
    """One value in COPY's text format."""
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        value = json.dumps(value)
    value = str(value)
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = (
            value.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return value


class Table:
    """Rows of one model, copied in batches. A row is a dict of attnames; the fields it
    leaves out get the model's default (auto_now fields: the seed's clock)."""

    def __init__(self, model, now: datetime, progress):
        self.model = model
        self.fields = [
            f for f in model._meta.concrete_fields if not isinstance(f, models.GeneratedField)
        ]
        self.defaults = {}
        for f in self.fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                self.defaults[f.attname] = now
            elif f.has_default():
                self.defaults[f.attname] = f.get_default()
            else:
                self.defaults[f.attname] = None if f.null else ""
        self.attnames = [f.attname for f in self.fields]
        self.sql = "COPY {} ({}) FROM STDIN".format(
            connection.ops.quote_name(model._meta.db_table),
            ", ".join(connection.ops.quote_name(f.column) for f in self.fields),
        )
        self.buffer = io.StringIO()
        self.pending = 0
        self.count = 0
        self.progress = progress

    def add(self, row: dict) -> None:
        defaults = self.defaults
        self.buffer.write(
            "\t".join(
                [_text(row[name] if name in row else defaults[name]) for name in self.attnames]
            )
        )
        self.buffer.write("\n")
        self.pending += 1
        if self.pending >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        self.buffer.seek(0)
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(self.sql, self.buffer)
        self.count += self.pending
        self.pending = 0
        self.buffer = io.StringIO()
        self.progress(self.model._meta.db_table, self.count)


class Command(BaseCommand):
    help = "Fill an empty PostgreSQL database with deterministic benchmark data (COPY)."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=1_000_000)
        parser.add_argument(
            "--companies", type=int, default=0, help="default: one per 2,000 orders, at least 5"
        )
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--reset", action="store_true", help="empty the tables it fills first (TRUNCATE)"
        )

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("seed_bench loads with COPY: point DATABASE_URL at PostgreSQL.")
        n_orders = options["orders"]
        n_companies = options["companies"] or max(5, n_orders // 2000)
        self.rng = random.Random(options["seed"])  # noqa: S311 - reproducible, not secret
        self.started = time.monotonic()
        self.total_orders = n_orders
        tables = [User, Company, Membership, Team, Team.agents.through, Order, Message]
        tables += [OrderEvent, Ong, Event, Donation, LedgerEntry, Home, HomeMember]
        with transaction.atomic(), connection.cursor() as cursor:
            if options["reset"]:
                names = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in tables)
                cursor.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            elif Order.objects.exists() or User.objects.exists():
                raise CommandError("The database already has data: use --reset or a new one.")
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("SET LOCAL synchronous_commit = off")
            self._load(n_orders, n_companies)
            for model in tables:
                table = model._meta.db_table
                # The table name comes from the models, never from input.
                biggest = f"SELECT MAX(id) FROM {connection.ops.quote_name(table)}"  # noqa: S608  # nosec B608
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                    f"COALESCE(({biggest}), 0) + 1, false)",
                    [table],
                )
        # VACUUM also fills the visibility map, so counts can use index-only scans at once.
        with connection.cursor() as cursor:
            for model in tables:
                cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        sys.stderr.write("\n")
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {n_orders} orders over {n_companies} companies "
                f"in {time.monotonic() - self.started:.0f}s (seed {options['seed']})."
            )
        )

    def _progress(self, table: str, count: int) -> None:
        elapsed = time.monotonic() - self.started
        if table == Order._meta.db_table and self.total_orders:
            done = count / self.total_orders
            bar = "#" * int(done * 30)
            sys.stderr.write(f"\r  orders [{bar:<30}] {count:>9,} {elapsed:6.1f}s")
        else:
            sys.stderr.write(f"\r  {table:<28} {count:>9,} rows      {elapsed:6.1f}s")
        sys.stderr.flush()

    def _table(self, model) -> Table:
        return Table(model, self.now, self._progress)

    def _load(self, n_orders: int, n_companies: int) -> None:
        rng = self.rng
        self.now = EPOCH + timedelta(seconds=SPAN_SECONDS)
        password = make_password(BENCH_PASSWORD)

        users = self._table(User)
        user_id = 0

        def add_user(email: str, name: str, **extra) -> int:
            nonlocal user_id
            user_id += 1
            users.add(
                {
                    "id": user_id,
                    "email": email,
                    "name": name,
                    "password": password,
                    "created_at": EPOCH,
                    **extra,
                }
            )
            return user_id

        add_user(f"bench-staff@{BENCH_DOMAIN}", "Bench Staff", is_staff=True)
        companies, memberships, teams, team_agents = (
            self._table(Company),
            self._table(Membership),
            self._table(Team),
            self._table(Team.agents.through),
        )
        people = {}  # company id -> (agents, requesters, team ids)
        membership_id = team_id = link_id = 0
        for company in range(1, n_companies + 1):
            cnpj = cnpj_from(10_000_000 + company)
            if company <= 3:
                assert cnpj_is_valid(cnpj), cnpj
            companies.add(
                {
                    "id": company,
                    "cnpj": cnpj,
                    "legal_name": f"Empresa Bench {company} Ltda",
                    "trading_name": f"Bench {company}",
                    "support_email": f"suporte-{company}@{BENCH_DOMAIN}",
                    "is_active": True,
                    "created_at": EPOCH,
                }
            )
            big = company == 1
            n_agents, n_requesters = (12, 60) if big else (4, 12)
            prefix = "bench" if big else f"c{company}"
            admin = add_user(f"{prefix}-admin@{BENCH_DOMAIN}", f"Admin {company}")
            agents = [
                add_user(f"{prefix}-agent{i or ''}@{BENCH_DOMAIN}", f"Agente {company}.{i}")
                for i in range(n_agents)
            ]
            requesters = [
                add_user(f"{prefix}-req{i}@{BENCH_DOMAIN}", f"Solicitante {company}.{i}")
                for i in range(n_requesters)
            ]
            for person, role in (
                [(admin, "admin")]
                + [(a, "agent") for a in agents]
                + [(r, "requester") for r in requesters]
            ):
                membership_id += 1
                memberships.add(
                    {
                        "id": membership_id,
                        "user_id": person,
                        "company_id": company,
                        "role": role,
                        "created_at": EPOCH,
                    }
                )
            team_ids = []
            for t, name in enumerate(("Suporte", "Infraestrutura", "Campo")):
                team_id += 1
                team_ids.append(team_id)
                crew = agents[t::3]
                teams.add(
                    {
                        "id": team_id,
                        "company_id": company,
                        "name": name,
                        "lead_id": crew[0],
                        "created_at": EPOCH,
                    }
                )
                for agent in crew:
                    link_id += 1
                    team_agents.add({"id": link_id, "team_id": team_id, "user_id": agent})
            people[company] = (agents, requesters, team_ids)

        # NGOs and their events: the public lists of scenario 10.
        n_ongs = max(60, n_orders // 5000)  # a full page of 50 at every size
        ongs, events = self._table(Ong), self._table(Event)
        causes = [value for value, _label in Ong.Cause.choices]
        event_id = 0
        for ong in range(1, n_ongs + 1):
            owner = add_user(f"ong{ong}@{BENCH_DOMAIN}", f"ONG {ong}")
            ongs.add(
                {
                    "id": ong,
                    "name": f"ONG Bench {ong:05d}",
                    "description": "Ações comunitárias no bairro.",
                    "cause": causes[ong % len(causes)],
                    "email": f"contato-ong{ong}@{BENCH_DOMAIN}",
                    "cnpj": cnpj_from(50_000_000 + ong),
                    "owner_id": owner,
                    "is_active": ong % 10 != 0,
                    "created_at": EPOCH,
                }
            )
            for _ in range(10):
                event_id += 1
                starts = EPOCH + timedelta(seconds=rng.randrange(SPAN_SECONDS + 90 * 86400))
                events.add(
                    {
                        "id": event_id,
                        "ong_id": ong,
                        "title": f"Mutirão {event_id}",
                        "description": "Traga luvas.",
                        "starts_at": starts,
                        "ends_at": starts + timedelta(hours=rng.choice((2, 4, 8))),
                        "capacity": rng.choice((None, 20, 50, 200)),
                        "is_active": event_id % 15 != 0,
                        "created_at": EPOCH,
                    }
                )
        # Donations to the NGOs (approved ones credited to each NGO's ledger, with its
        # running balance) and shared homes with their residents.
        donations, ledger = self._table(Donation), self._table(LedgerEntry)
        donation_id = 0
        donors = [
            person for _agents, requesters, _teams in people.values() for person in requesters
        ]
        for ong in range(1, n_ongs + 1):
            balance = Decimal("0.00")
            for _ in range(DONATIONS_PER_ONG):
                donation_id += 1
                amount = Decimal(rng.choice((10, 25, 50, 100, 250))).quantize(Decimal("0.01"))
                status = rng.choice(DONATION_STATUSES)
                given = EPOCH + timedelta(seconds=rng.randrange(SPAN_SECONDS))
                donations.add(
                    {
                        "id": donation_id,
                        "donor_id": rng.choice(donors),
                        "ong_id": ong,
                        "amount": amount,
                        "status": status,
                        "decline_code": "card_declined" if status == "declined" else "",
                        "gateway_reference": f"bench-{donation_id}",
                        "card_brand": "visa",
                        "card_last4": f"{donation_id % 10000:04d}",
                        "settled_at": given if status != "pending" else None,
                        "created_at": given,
                        "updated_at": given,
                    }
                )
                if status == "approved":
                    balance += amount
                    ledger.add(
                        {
                            "id": donation_id,
                            "ong_id": ong,
                            "kind": "donation",
                            "amount": amount,
                            "balance_after": balance,
                            "donation_id": donation_id,
                            "created_at": given,
                        }
                    )
        homes, residents = self._table(Home), self._table(HomeMember)
        resident_id = 0
        for home in range(1, max(5, n_orders // 10_000) + 1):
            people_here = [
                add_user(f"home{home}-{k}@{BENCH_DOMAIN}", f"Morador {home}.{k}")
                for k in range(RESIDENTS_PER_HOME)
            ]
            homes.add(
                {
                    "id": home,
                    "name": f"Casa {home}",
                    "address": f"Rua das Flores, {home}",
                    "rent": Decimal("1500.00"),
                    "created_by_id": people_here[0],
                    "created_at": EPOCH,
                }
            )
            for k, person in enumerate(people_here):
                resident_id += 1
                residents.add(
                    {
                        "id": resident_id,
                        "home_id": home,
                        "user_id": person,
                        "role": "admin" if k == 0 else "resident",
                        "created_at": EPOCH,
                    }
                )
        for table in (users, companies, memberships, teams, team_agents, ongs, events):
            table.flush()
        for table in (donations, ledger, homes, residents):
            table.flush()

        # Orders, with messages and audit events on some of them.
        statuses, priorities = _weighted(STATUSES), _weighted(PRIORITIES)
        orders, messages, order_events = (
            self._table(Order),
            self._table(Message),
            self._table(OrderEvent),
        )
        big_share = min(n_orders, BIG_COMPANY_ORDERS)
        message_id = event_id = 0
        for order_id in range(1, n_orders + 1):
            # The big customer's orders are interleaved with everyone else's, as in life.
            big = rng.random() < big_share / n_orders
            company = 1 if big else rng.randint(2, n_companies)
            agents, requesters, team_ids = people[company]
            status = rng.choice(statuses)
            created = EPOCH + timedelta(seconds=rng.randrange(SPAN_SECONDS))
            row = {
                "id": order_id,
                "company_id": company,
                "requester_id": rng.choice(requesters),
                "team_id": rng.choice(team_ids) if rng.random() < 0.9 else None,
                "equipment": rng.choice(EQUIPMENT),
                "title": f"{rng.choice(WORDS)} {rng.choice(WORDS)} {order_id}",
                "description": "Descrição do problema relatado pelo solicitante.",
                "status": status,
                "priority": rng.choice(priorities),
                "created_at": created,
                "updated_at": created,
            }
            if status != "open":
                row["assignee_id"] = rng.choice(agents)
                row["taken_at"] = created + timedelta(minutes=rng.randint(5, 600))
            if status == "closed":
                row["solution"] = "Resolvido no local."
                row["closed_at"] = row["taken_at"] + timedelta(minutes=rng.randint(10, 2000))
            orders.add(row)
            if rng.random() < 0.25:
                for k in range(rng.randint(1, 3)):
                    message_id += 1
                    messages.add(
                        {
                            "id": message_id,
                            "order_id": order_id,
                            "author_id": row["requester_id"] if k % 2 == 0 else agents[0],
                            "body": f"Mensagem {k + 1} sobre o chamado {order_id}.",
                            "is_internal": k == 2,
                            "created_at": created + timedelta(minutes=k + 1),
                        }
                    )
            if rng.random() < 0.3:
                event_id += 1
                order_events.add(
                    {
                        "id": event_id,
                        "order_id": order_id,
                        "actor_id": row["requester_id"],
                        "kind": "created",
                        "data": {},
                        "created_at": created,
                    }
                )
        for table in (orders, messages, order_events):
            table.flush()
