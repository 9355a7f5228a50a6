"""Who among an order's watchers hears about one of its events (`orders.notifications`
adds them to the people it notifies)."""

from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings

from accounts.models import User
from desk.models import OrderWatcher
from orders.models import Message, OrderEvent

Kind = OrderEvent.Kind
# What the requester's side hears about; a new order, edits and priority changes are
# the support side's business.
PUBLIC_KINDS = frozenset(
    {
        Kind.TAKEN,
        Kind.ASSIGNED,
        Kind.RELEASED,
        Kind.REDIRECTED,
        Kind.CLOSED,
        Kind.REOPENED,
        Kind.MESSAGE_ADDED,
    }
)


# Within `watchers_read_once()` (a batch of inbound e-mails), the watchers of the batch's
# orders are read in one query instead of once per event.
_watchers_memo: ContextVar[dict[int, list[OrderWatcher]] | None] = ContextVar(
    "watchers_memo", default=None
)


@contextmanager
def watchers_read_once(order_ids: Iterable[int]):
    memo: dict[int, list[OrderWatcher]] = {order_id: [] for order_id in order_ids}
    if memo:
        watchers = OrderWatcher.objects.filter(order_id__in=memo).select_related("user")
        for watcher in watchers.order_by("id"):
            memo[watcher.order_id].append(watcher)
    token = _watchers_memo.set(memo)
    try:
        yield
    finally:
        _watchers_memo.reset(token)


def _watchers_of(order) -> list[OrderWatcher]:
    memo = _watchers_memo.get()
    if memo is not None and order.pk in memo:
        return memo[order.pk]
    return list(order.watchers.select_related("user").order_by("id"))


def watchers_to_notify(
    event: OrderEvent, message: Message | None, *, notified: Iterable[User]
) -> list[User]:
    """The watchers who get the event's e-mail: for public events only (never an internal
    note), never whoever acted nor someone `notified` already. An address-only watcher is
    an unsaved User with that address and the default language. One query, none for an
    event watchers do not hear about."""
    if event.kind not in PUBLIC_KINDS or event.is_internal:
        return []
    if event.kind == Kind.MESSAGE_ADDED and (message is None or message.is_internal):
        return []
    notified = list(notified)
    skip_ids = {person.pk for person in notified} | {event.actor_id}
    skip_ids.discard(None)  # an address-only watcher has no id
    skip_addresses = {person.email.lower() for person in notified}
    if event.actor is not None:
        skip_addresses.add(event.actor.email.lower())
    people = []
    for watcher in _watchers_of(event.order):
        person = watcher.user or User(email=watcher.email, language=settings.LANGUAGE_CODE)
        address = person.email.lower()
        if person.pk in skip_ids or address in skip_addresses or not person.is_active:
            continue
        people.append(person)
        skip_addresses.add(address)
        if person.pk is not None:
            skip_ids.add(person.pk)
    return people
