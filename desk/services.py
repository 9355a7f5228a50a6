"""Every change to canned replies, satisfaction ratings and watchers. Each runs in one
transaction; a unique constraint, not a read before the write, decides what may race (a
reply's title, a second rating, the same watcher twice)."""

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from companies.models import Company, Membership, Team
from companies.services import company_require_active
from core.emails import render_email
from core.exceptions import Conflict, FieldError, Forbidden, NotFound
from core.inserts import insert_unless_conflict
from core.services import model_update
from desk.models import CannedReply, OrderWatcher, SatisfactionRating
from desk.placeholders import placeholders_check, placeholders_fill
from orders.email.outbound import order_email_enqueue
from orders.email.parsing import normalise_address
from orders.models import InboundEmail, Order
from orders.selectors import SUPPORT_ROLES, order_roles

CSAT_SALT = "desk.satisfaction-rating"
CANNED_REPLY_FIELDS = ("title", "body")


# --- Canned replies ---------------------------------------------------------------------------


def _title_taken() -> FieldError:
    return FieldError(
        "title", _("A canned reply with this title already exists here."), code="unique"
    )


def _save_reply(reply: CannedReply, fields: list[str] | None = None) -> None:
    try:
        with transaction.atomic():  # a savepoint: the unique title decides a race
            reply.save(update_fields=fields)
    except IntegrityError as exc:
        raise _title_taken() from exc


@transaction.atomic
def canned_reply_create(
    *, author: User, company: Company, title: str, body: str, team: Team | None = None
) -> CannedReply:
    """Add a canned reply to the company (no team) or to one of its teams: the company's
    admins (and staff) for any, a team's lead for their team. The body's placeholders are
    checked (400 naming the first bad one)."""
    if team is not None and team.company_id != company.pk:
        raise FieldError("team", _("Choose a team of the company."))
    role = (
        Membership.objects.filter(company=company, user=author)
        .values_list("role", flat=True)
        .first()
    )
    is_lead = team is not None and team.lead_id == author.pk and role is not None
    if not (author.is_staff or role == Membership.Role.ADMIN or is_lead):
        raise Forbidden(_("Only admins, and team leads for their team, manage canned replies."))
    company_require_active(company)
    placeholders_check(body)
    reply = CannedReply(company=company, team=team, title=title, body=body, created_by=author)
    _save_reply(reply)
    return reply


@transaction.atomic
def canned_reply_update(*, reply: CannedReply, data: dict) -> CannedReply:
    """Change a reply's title or body (placeholders checked as when it was added)."""
    company_require_active(reply.company)
    if "body" in data:
        placeholders_check(data["body"])
    before = {field: getattr(reply, field) for field in CANNED_REPLY_FIELDS}
    try:
        with transaction.atomic():
            reply, _changed = model_update(instance=reply, data=data, fields=CANNED_REPLY_FIELDS)
    except IntegrityError as exc:
        for field, value in before.items():
            setattr(reply, field, value)
        raise _title_taken() from exc
    return reply


@transaction.atomic
def canned_reply_delete(*, reply: CannedReply) -> None:
    """Delete a reply; messages posted from it keep their text."""
    company_require_active(reply.company)
    reply.delete()


def canned_reply_compose(*, reply: CannedReply, order: Order, body: str = "") -> str:
    """The message text a canned reply makes on this order: its body with the order's
    values filled in, then `body` (the agent's own words), if any, after a blank line."""
    text = placeholders_fill(
        reply.body,
        {
            "requester_name": order.requester.name,
            "order_id": str(order.pk),
            "title": order.title,
        },
    ).strip()
    body = (body or "").strip()
    return f"{text}\n\n{body}" if body else text


# --- Satisfaction ratings ---------------------------------------------------------------------


def satisfaction_token(order: Order) -> str:
    """A signed link token for the order's requester (order and person); it expires after
    `CSAT_LINK_MAX_AGE_DAYS`, and it is single-use because an order is rated once."""
    return signing.dumps([order.pk, order.requester_id], salt=CSAT_SALT, compress=True)


def satisfaction_link(order: Order) -> str:
    return f"{settings.SITE_URL}/rate/{satisfaction_token(order)}/"


class LinkExpired(Exception):
    """The token was ours but is older than `CSAT_LINK_MAX_AGE_DAYS`."""


def satisfaction_token_read(token: str) -> Order:
    """The order a link token names, with its requester. Raises LinkExpired for an old
    token, NotFound for a tampered one or an order that is gone."""
    max_age = settings.CSAT_LINK_MAX_AGE_DAYS * 24 * 3600
    try:
        order_id, requester_id = signing.loads(token, salt=CSAT_SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise LinkExpired() from exc
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise NotFound() from exc
    order = (
        Order.objects.select_related("company", "requester", "team", "assignee")
        .filter(pk=order_id, requester_id=requester_id)
        .first()
    )
    if order is None:
        raise NotFound()
    return order


def satisfaction_request(*, order: Order) -> None:
    """On close: e-mail the requester a link to rate the order, through the outbox and in
    their language. An order is rated once: closed again after a rating, nobody is asked
    again (the first rating stands)."""
    requester = order.requester
    if not requester.is_active or SatisfactionRating.objects.filter(order=order).exists():
        return
    email = render_email(
        "desk/emails/satisfaction_request",
        {"order": order, "name": requester.get_short_name(), "link": satisfaction_link(order)},
        language=requester.language,
    )
    stamp = int(order.closed_at.timestamp()) if order.closed_at else 0
    order_email_enqueue(
        order=order,
        key=f"order-{order.pk}-satisfaction-{stamp}",
        to=requester.email,
        email=email,
        is_automatic=True,
    )


def _score_check(score: int) -> None:
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise FieldError("score", _("Give a score from 1 to 5."))


@transaction.atomic
def satisfaction_rate(
    *, order: Order, rated_by: User, score: int, comment: str = ""
) -> SatisfactionRating:
    """The requester rates their closed order, once: a second rating, even one sent at the
    same moment, is 409 `already_rated` (the one-to-one column decides). The rating keeps
    the order's team and technician of that moment."""
    if order.requester_id != rated_by.pk:
        raise Forbidden(_("Only the order's requester rates it."), code="not_requester")
    _score_check(score)
    company_require_active(order.company)
    if order.status != Order.Status.CLOSED:
        raise Conflict(
            _("Only a closed order can be rated."), code="order_not_closed", status=order.status
        )
    rating = SatisfactionRating(
        order=order,
        score=score,
        comment=(comment or "").strip(),
        rated_by=rated_by,
        team_id=order.team_id,
        agent_id=order.assignee_id,
    )
    if not insert_unless_conflict(rating):
        raise Conflict(_("This order has already been rated."), code="already_rated")
    return rating


# --- Watchers ---------------------------------------------------------------------------------


@transaction.atomic
def watcher_add(
    *, order: Order, actor: User, user: User | None = None, email: str = ""
) -> OrderWatcher:
    """Add a watcher: the order's agents, admins and staff add any active person of its
    company or an address; anyone else (its requester) only themselves. The same person
    or address twice is 409 `already_watching`."""
    email = normalise_address(email)
    if not order_roles(actor, order) & SUPPORT_ROLES and (
        email or user is None or user.pk != actor.pk
    ):
        raise Forbidden(_("You may only watch the order yourself."), code="watch_self_only")
    if user is not None:
        is_member = Membership.objects.filter(company_id=order.company_id, user=user).exists()
        if not is_member or not user.is_active:
            raise FieldError("user", _("Choose a person of the order's company."))
        email = ""
    company_require_active(order.company)
    watcher = OrderWatcher(order=order, user=user, email=email, added_by=actor)
    if not insert_unless_conflict(watcher):
        raise Conflict(_("This person already watches the order."), code="already_watching")
    return watcher


@transaction.atomic
def watcher_remove(*, watcher: OrderWatcher, actor: User) -> None:
    """Remove a watcher: the order's agents, admins and staff any; others only themselves."""
    order = watcher.order
    if watcher.user_id != actor.pk and not order_roles(actor, order) & SUPPORT_ROLES:
        raise Forbidden(_("You may only stop watching the order yourself."))
    company_require_active(order.company)
    watcher.delete()


def watchers_add_copied(*, inbound_emails: list[InboundEmail]) -> None:
    """The addresses copied (Cc) on inbound e-mails that opened or joined an order watch it:
    a person of the order's company by account, anyone else by address. The sender, our
    own addresses (support addresses, our sender) and automatic mail are left out. Two
    queries for the whole batch, none when nobody was copied; existing watchers stay."""
    # Imported here: the routing imports orders.services, which imports this module.
    from orders.email.routing import base_address

    wanted: list[tuple[InboundEmail, str]] = []
    for inbound in inbound_emails:
        if inbound.order_id is None or inbound.is_automatic:
            continue
        sender = normalise_address(inbound.from_address)
        copied = {normalise_address(address) for address in inbound.cc_addresses}
        wanted += [(inbound, address) for address in sorted(copied - {sender, ""})]
    if not wanted:
        return
    ours = {normalise_address(settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1])}
    ours |= set(
        Company.objects.annotate(support_lower=Lower("support_email"))
        .filter(support_lower__in={base_address(address) for _inbound, address in wanted})
        .values_list("support_lower", flat=True)
    )
    wanted = [
        (inbound, address) for inbound, address in wanted if base_address(address) not in ours
    ]
    if not wanted:
        return
    members = Membership.objects.filter(
        company_id__in={inbound.company_id for inbound, _address in wanted},
        user__email__in={address for _inbound, address in wanted},
        user__is_active=True,
    ).values_list("company_id", "user__email", "user_id")
    people = {(company_id, email): user_id for company_id, email, user_id in members}
    watchers = []
    for inbound, address in wanted:
        user_id = people.get((inbound.company_id, address))
        watchers.append(
            OrderWatcher(
                order_id=inbound.order_id,
                user_id=user_id,
                email="" if user_id else address,
                added_by=inbound.sender,
            )
        )
    OrderWatcher.objects.bulk_create(watchers, ignore_conflicts=True)
