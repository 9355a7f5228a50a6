"""Two tenants side by side, and the tools to prove one cannot reach the other.

`build_world()` makes "ours" (the callers: a company with every role, an NGO, a home, a
card) and "theirs" (the same again, owned by other people), each with one object of every
kind the API serves. Every private text of theirs carries `SECRET`, so a response that
leaks any of it is caught by looking for that one word. Their NGO and its event are public
by design (anyone reads active NGOs and events), so those texts do not carry it.

`database_state()` is a checksum of every row the project stores, so a test can assert
that a refused request changed nothing at all.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from decimal import Decimal

from django.apps import apps
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from accounts.tokens import token_pair_for
from companies.models import Company, Membership, Team
from companies.tests.factories import CompanyFactory, MembershipFactory, TeamFactory
from core.models import OutboundEmail
from desk.models import CannedReply, OrderWatcher
from equipment.tests.factories import EquipmentFactory
from events.models import Event
from events.tests.factories import EventFactory, RegistrationFactory
from homes.models import Bill, Home, HomeInvitation, HomeMember, Routine, Rule, Task
from homes.selectors import invitation_token_hash
from homes.tests.factories import (
    BillFactory,
    HomeFactory,
    HomeMemberFactory,
    RoutineFactory,
    RuleFactory,
    TaskFactory,
)
from ongs.models import Ong, Withdrawal
from ongs.tests.factories import OngFactory
from orders.models import Attachment, InboundEmail, Message, Order
from orders.tests.factories import MessageFactory, OrderFactory
from payments import services as payment_services
from payments.models import Donation, PaymentMethod
from payments.tests.factories import PaymentMethodFactory
from sla.models import Holiday, SlaTarget
from webhooks.models import WebhookDelivery
from webhooks.tests.factories import WebhookEndpointFactory

SECRET = "Zq7secret"

# The apps whose tables hold tenant data (plus the token blacklist: a refused logout must
# not revoke anyone's session).
STATE_APPS = (
    "accounts",
    "companies",
    "orders",
    "desk",
    "ongs",
    "events",
    "payments",
    "homes",
    "fieldservice",
    "core",
    "token_blacklist",
    "sla",
    "equipment",
    "webhooks",
)


@dataclass
class Side:
    """One tenant of every kind, with one object of every kind."""

    admin: User  # company admin, NGO owner, home admin: the most powerful non-staff user
    agent: User
    requester: User
    resident: User
    ong_admin: User
    company: Company
    team: Team
    order: Order
    message: Message
    attachment: Attachment
    ong: Ong
    hidden_ong: Ong
    event: Event
    hidden_event: Event
    withdrawal: Withdrawal
    home: Home
    rule: Rule
    routine: Routine
    task: Task
    bill: Bill
    card: PaymentMethod
    donation: Donation
    invitation_token: str
    refresh_token: str = ""
    extra: dict = field(default_factory=dict)


def _emailed_attachment(order: Order, message: Message, tag: str, secret: str):
    """A file that came with the e-mail that wrote `message`."""
    email = InboundEmail.objects.create(
        company=order.company,
        order=order,
        order_message=message,
        status=InboundEmail.Status.JOINED_ORDER,
        content_hash=f"{tag}-{secret}",
        from_address=message.author.email,
        subject=f"Mail {tag} {secret}",
    )
    attachment = Attachment(
        order=order,
        message=message,
        source=Attachment.Source.EMAIL,
        email=email,
        uploaded_by=message.author,
        filename=f"photo {tag} {secret}.png",
        content_type="image/png",
        size=4,
    )
    attachment.file.save("photo.png", ContentFile(f"PNG {secret}".encode()), save=False)
    attachment.save()
    return attachment


def _field_service(order: Order, agent: User, secret: str) -> dict:
    """A visit and a time entry of the order (in `Side.extra`)."""
    from fieldservice.tests.factories import TimeEntryFactory, VisitFactory

    return {
        "visit": VisitFactory(order=order, technician=agent, address=f"Visit {secret}"),
        "time_entry": TimeEntryFactory(order=order, agent=agent, note=f"Entry {secret}"),
    }


def _side(tag: str, secret: str) -> Side:
    def person(role: str) -> User:
        return UserFactory(
            name=f"{role.title()} {tag} {secret}".strip(), email=f"{role}.{tag}@{tag}.example"
        )

    admin, agent, requester = person("admin"), person("agent"), person("requester")
    resident, ong_admin, donor = person("resident"), person("ongadmin"), person("donor")

    company = CompanyFactory(
        legal_name=f"Company {tag} {secret}", trading_name=f"Company {tag} {secret}"
    )
    MembershipFactory(company=company, user=admin, role=Membership.Role.ADMIN)
    MembershipFactory(company=company, user=agent, role=Membership.Role.AGENT)
    MembershipFactory(company=company, user=requester, role=Membership.Role.REQUESTER)
    team = TeamFactory(company=company, name=f"Team {tag} {secret}", lead=agent, agents=[agent])
    item = EquipmentFactory(company=company, notes=f"Equipment {tag} {secret}")
    order = OrderFactory(
        equipment_item=item,
        company=company,
        requester=requester,
        team=team,
        title=f"Order {tag} {secret}",
        description=f"Order {tag} {secret}",
    )
    message = MessageFactory(order=order, author=requester, body=f"Message {tag} {secret}")
    attachment = _emailed_attachment(order, message, tag, secret)
    holiday = Holiday.objects.create(company=company, date=date(2026, 12, 25), name=secret)
    sla_target = SlaTarget.objects.create(
        company=company, priority="high", first_response_minutes=60, resolution_minutes=240
    )

    # The NGO and its event are public: their own texts carry no secret. Its owner is shown
    # publicly too, so the owner is a separate person; `admin` manages it as an NGO admin.
    public_owner = UserFactory(name=f"Public owner {tag}", email=f"owner.{tag}@{tag}.example")
    ong = OngFactory(name=f"NGO {tag}", owner=public_owner, admins=[admin, ong_admin])
    hidden_ong = OngFactory(
        name=f"Hidden NGO {tag} {secret}", owner=public_owner, admins=[admin], is_active=False
    )
    event = EventFactory(ong=ong, title=f"Event {tag}", description="Public.")
    hidden_event = EventFactory(ong=ong, title=f"Cancelled {tag} {secret}", is_active=False)
    RegistrationFactory(event=event, user=resident)
    card = PaymentMethodFactory(user=admin, holder_name=f"Holder {tag} {secret}")
    donation = payment_services.donation_create(
        donor=donor,
        ong=ong,
        payment_method=PaymentMethodFactory(user=donor, holder_name=f"Donor {tag} {secret}"),
        amount=Decimal("50.00"),
        message=f"Donation {tag} {secret}",
    )
    withdrawal = Withdrawal.objects.create(
        ong=ong, requested_by=admin, amount=Decimal("10.00"), description=f"W {tag} {secret}"
    )

    home = HomeFactory(name=f"Home {tag} {secret}", address=secret, created_by=admin)
    HomeMemberFactory(home=home, user=admin, role=HomeMember.Role.ADMIN)
    HomeMemberFactory(home=home, user=resident)
    rule = RuleFactory(home=home, text=f"Rule {tag} {secret}")
    routine = RoutineFactory(
        home=home, name=f"Routine {tag} {secret}", responsible=resident, time_limit=time(9)
    )
    task = TaskFactory(home=home, title=f"Task {tag} {secret}", assignee=resident)
    bill = BillFactory(
        home=home, debtor=resident, creditor=admin, description=f"Bill {tag} {secret}"
    )
    canned_reply = CannedReply.objects.create(
        company=company, team=team, title=f"Reply {tag} {secret}", body=f"Hi {tag} {secret}"
    )
    watcher = OrderWatcher.objects.create(order=order, email=f"watcher.{tag}@{tag}.example")
    invitation_token = f"invitation-token-{tag}"
    HomeInvitation.objects.create(
        home=home,
        email=f"invited.{tag}@{tag}.example",
        role=HomeMember.Role.RESIDENT,
        token_hash=invitation_token_hash(invitation_token),
        invited_by=admin,
        expires_at=timezone.now() + timedelta(days=3),
    )
    return Side(
        admin=admin,
        agent=agent,
        requester=requester,
        resident=resident,
        ong_admin=ong_admin,
        company=company,
        team=team,
        order=order,
        message=message,
        attachment=attachment,
        ong=ong,
        hidden_ong=hidden_ong,
        event=event,
        hidden_event=hidden_event,
        withdrawal=withdrawal,
        home=home,
        rule=rule,
        routine=routine,
        task=task,
        bill=bill,
        card=card,
        donation=donation,
        invitation_token=invitation_token,
        refresh_token=token_pair_for(admin).refresh,
        extra={
            **_field_service(order, agent, secret),
            "holiday": holiday,
            "sla_target": sla_target,
            "equipment": item,
            "canned_reply": canned_reply,
            "watcher": watcher,
        },
    )


@dataclass
class World:
    ours: Side
    theirs: Side
    stranger: User  # logged in, belongs to nothing

    def callers(self) -> dict[str, User]:
        """Everyone on our side who will try to reach their objects."""
        return {
            "company admin, NGO manager, home admin": self.ours.admin,
            "agent": self.ours.agent,
            "requester": self.ours.requester,
            "home resident, event participant": self.ours.resident,
            "NGO admin": self.ours.ong_admin,
            "stranger": self.stranger,
        }


def _webhooks(side: Side, tag: str, secret: str) -> None:
    """The company's webhook endpoint and one delivery of it, in `side.extra`."""
    webhook = WebhookEndpointFactory(
        company=side.company,
        url=f"https://{tag}.example.com/hooks/{secret}",
        description=f"Hook {tag} {secret}",
    )
    side.extra["webhook"] = webhook
    side.extra["webhook_delivery"] = WebhookDelivery.objects.create(
        endpoint=webhook,
        event="order.created",
        event_id=f"1:order.created{secret}",
        payload={"order": {"title": f"Order {tag} {secret}"}},
        status=WebhookDelivery.Status.FAILED,
        error=f"Refused {secret}",
        give_up_at=timezone.now(),
    )


def build_world() -> World:
    ours = _side("ours", "")
    theirs = _side("theirs", SECRET)
    _webhooks(ours, "ours", "")
    _webhooks(theirs, "theirs", SECRET)
    return World(ours=ours, theirs=theirs, stranger=UserFactory(name="Stranger"))


def database_state() -> dict[str, str]:
    """A checksum per table of every row of the project's apps (and the token blacklist)."""
    state = {}
    for label in STATE_APPS:
        for model in apps.get_app_config(label).get_models():
            rows = [
                # PostgreSQL returns binary columns as memoryview, whose repr is an address.
                tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
                for row in model.objects.order_by("pk").values_list()
            ]
            state[model._meta.db_table] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return state


def _quick_state_sql() -> str:
    quote = connection.ops.quote_name
    parts = []
    for label in STATE_APPS:
        for model in apps.get_app_config(label).get_models():
            table = model._meta.db_table
            columns = {field.column for field in model._meta.concrete_fields}
            latest = f"MAX({quote('updated_at')})" if "updated_at" in columns else "NULL"
            # Table and column names come from the models, never from input.
            parts.append(f"SELECT '{table}', COUNT(*), {latest} FROM {quote(table)}")  # noqa: S608
    return " UNION ALL ".join(parts)


def quick_state() -> list[tuple]:
    """Row count and latest `updated_at` of every table, in one query: catches inserts,
    deletes and saves cheaply after each request; `database_state()` (every column of
    every row) remains the final word."""
    with connection.cursor() as cursor:
        cursor.execute(_quick_state_sql())
        return sorted(tuple(str(value) for value in row) for row in cursor.fetchall())


def changed_tables(before: dict[str, str]) -> list[str]:
    after = database_state()
    return sorted(table for table, digest in after.items() if before.get(table) != digest)


def outbound_email_count() -> int:
    return OutboundEmail.objects.count()
