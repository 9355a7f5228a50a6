"""Who hears about what happens to an order, and the outbox rows that tell them.

Called from orders.services inside the same transaction as the change: a rolled-back change
sends nothing; each (event, recipient) pair is sent at most once.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from accounts.models import User
from companies.models import Membership
from desk.notifications import watchers_to_notify
from orders.email.compose import order_event_email
from orders.email.outbound import order_email_enqueue
from orders.models import Message, Order, OrderEvent

Kind = OrderEvent.Kind


def order_subject(order: Order, message: Message | None = None) -> str:
    """`[#<id>] <title>`: the token lets replies by e-mail find their order. A message
    that carries its own subject replaces the title; the order's token stays in front
    (any copy of it the author wrote is dropped, so it is the first token a reply shows)."""
    token = f"[#{order.pk}]"
    own = message.subject if message is not None else ""
    if own:
        own = " ".join(own.replace(token, " ").split())
    return f"{token} {own or order.title}"


# Within `people_read_once()` (a batch of inbound e-mails, one transaction), the people of
# a team or the admins of a company are read once instead of once per event.
_people_memo: ContextVar[dict | None] = ContextVar("people_memo", default=None)


@contextmanager
def people_read_once():
    token = _people_memo.set({})
    try:
        yield
    finally:
        _people_memo.reset(token)


def _team_people(order: Order) -> list[User]:
    memo = _people_memo.get()
    if memo is None:
        return _read_team_people(order)
    key = (order.company_id, order.team_id)
    if key not in memo:
        memo[key] = _read_team_people(order)
    return memo[key]


def _read_team_people(order: Order) -> list[User]:
    if order.team_id:
        people = list(order.team.agents.filter(is_active=True))
        if order.team.lead_id:
            people.append(order.team.lead)
        return people
    return list(
        User.objects.filter(
            memberships__company_id=order.company_id,
            memberships__role=Membership.Role.ADMIN,
            is_active=True,
        )
    )


def recipients_of(event: OrderEvent, message: Message | None = None) -> list[User]:
    """The people concerned by an event, never including whoever caused it."""
    order = event.order
    people: list[User | None]
    if event.kind == Kind.CREATED:
        people = _team_people(order)
    elif event.kind in (Kind.TAKEN, Kind.RELEASED):
        people = [order.requester]
    elif event.kind == Kind.ASSIGNED:
        people = [order.assignee, order.requester]
    elif event.kind == Kind.REDIRECTED:
        people = [*_team_people(order), order.requester]
    elif event.kind == Kind.CLOSED:
        people = [order.requester, order.assignee]
    elif event.kind == Kind.REOPENED:
        people = [order.assignee] if order.assignee_id else _team_people(order)
    elif event.kind == Kind.MESSAGE_ADDED and message and not message.is_internal:
        if message.author_id == order.requester_id:
            people = [order.assignee] if order.assignee_id else _team_people(order)
        else:
            people = [order.requester]
    elif event.kind == Kind.WAITING:
        people = [order.requester]
    elif event.kind in (Kind.SLA_WARNING, Kind.SLA_BREACHED):
        people = _sla_watchers(order)
    else:
        people = []
    unique = {person.pk: person for person in people if person and person.is_active}
    unique.pop(event.actor_id, None)
    return list(unique.values())


def _sla_watchers(order: Order) -> list[User]:
    """Who hears of an SLA warning or breach: the assignee and the team's lead; nobody of
    those, the company's admins."""
    lead = order.team.lead if order.team_id else None
    people = [person for person in (order.assignee, lead) if person is not None]
    if people:
        return people
    return list(
        User.objects.filter(
            memberships__company_id=order.company_id,
            memberships__role=Membership.Role.ADMIN,
            is_active=True,
        )
    )


def event_emails(
    event: OrderEvent, *, message: Message | None = None, extra: Iterable[User] = ()
) -> Iterator[dict]:
    """The e-mails an event sends, one per person concerned, each in that person's
    language: the keyword arguments of `order_email_enqueue` (and of `Outgoing.add`, the
    inbound batch's in-memory outbox)."""
    order = event.order
    recipients = {user.pk: user for user in [*recipients_of(event, message), *extra]}
    watchers = watchers_to_notify(event, message, notified=recipients.values())
    for recipient in [*recipients.values(), *watchers]:
        yield {
            "order": order,
            # An address-only watcher has no id: its address names it.
            "key": f"order-event-{event.pk}-to-{recipient.pk or recipient.email}",
            "to": recipient.email,
            "email": order_event_email(
                order=order,
                event=event,
                message=message,
                recipient=recipient,
                subject=order_subject(order, message),
            ),
            # A person's reply is personal mail; everything else is automatic.
            "is_automatic": not (message and message.author_id),
            # Only mail to the requester and watchers (outside the company) can feed a loop
            # with an auto-responder; agents and admins get every notification.
            "rate_limited": recipient.pk == order.requester_id or recipient in watchers,
        }


def notify(
    event: OrderEvent, *, message: Message | None = None, extra: Iterable[User] = ()
) -> None:
    """Write the event's e-mails to the outbox, threaded into the order's conversation
    (see orders.email.outbound)."""
    for email in event_emails(event, message=message, extra=extra):
        order_email_enqueue(**email)
