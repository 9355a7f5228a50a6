"""The e-mails about an order: the acknowledgement of a new order and the notification of
each event, in the recipient's language, as subject, plain text and HTML.

Composed in Python rather than with the template engine: they are written for every
order and every reply (several per received e-mail), and rendering their three Django
templates cost about a millisecond each, most of the e-mail channel's time once its SQL
was prepared; these functions produce the same text in a few dozen microseconds. The
rules are the templates': every value is escaped in the HTML part, translated phrases
are not (they are ours), and a translation whose placeholders do not match falls back
to the English phrase. The subjects are escaped as the HTML is (they always have been).
"""

from django.utils import translation
from django.utils.html import escape
from django.utils.text import normalize_newlines
from django.utils.translation import gettext

from accounts.models import User
from core.emails import RenderedEmail
from orders.models import Message, Order, OrderEvent

Kind = OrderEvent.Kind
HTML_HEAD = (
    '<!DOCTYPE html>\n<html lang="en">\n'
    '<body style="font-family: sans-serif; line-height: 1.5; color: #222;">\n'
)
HTML_FOOT = "</body>\n</html>\n"

# What the notification says happened, per kind of event: "{actor} ..." (msgids shared
# with the translations catalogue).
EVENT_LINES = {
    Kind.CREATED: "%(actor)s opened a new service order.",
    Kind.TAKEN: "%(actor)s took your service order and is on it.",
    Kind.ASSIGNED: "%(actor)s assigned the service order to %(assignee)s.",
    Kind.RELEASED: "%(actor)s released the service order; it waits for a technician again.",
    Kind.REDIRECTED: "%(actor)s redirected the service order to the team %(team)s.",
    Kind.CLOSED: "%(actor)s closed the service order.",
    Kind.REOPENED: "%(actor)s reopened the service order.",
    Kind.MESSAGE_ADDED: "%(actor)s wrote:",
}


HELLO = "Hello %(name)s,"
RECEIVED = (
    "We received your request and opened the service order #%(number)s. "
    "A technician will get back to you."
)


def _phrase(msgid: str, **values: str) -> str:
    """A translated phrase with its values filled in; a translation whose placeholders
    are broken falls back to the English phrase."""
    try:
        return gettext(msgid) % values
    except (KeyError, ValueError):
        return msgid % values


def _html_lines(value: str) -> str:
    return escape(normalize_newlines(value)).replace("\n", "<br>")


def _subject(order: Order) -> str:
    subject = str(escape(f"[#{order.pk}] {order.title}")).strip()
    return " ".join(subject.split())


def acknowledgement_email(*, order: Order, recipient: User, site_url: str) -> RenderedEmail:
    """Tells the requester their e-mail opened the order, and how to add to it."""
    with translation.override(recipient.language):
        name = recipient.get_short_name()
        keep_number = gettext(
            "To add anything, reply to this e-mail and keep the order number in the subject."
        )
        order_word = gettext("Order")
        company = str(order.company)
        text = (
            f"{_phrase(HELLO, name=name)}\n\n"
            f"{_phrase(RECEIVED, number=str(order.pk))}\n\n"
            f"{keep_number}\n\n"
            f"{order_word} #{order.pk}: {order.title}\n"
            f"{site_url}/api/v1/orders/{order.pk}\n\n"
            f"-- \n{company}\n\n"
        )
        html = (
            f"{HTML_HEAD}"
            f"<p>{_phrase(HELLO, name=escape(name))}</p>\n"
            f"<p>{_phrase(RECEIVED, number=str(order.pk))}</p>\n"
            f"<p>{keep_number}</p>\n"
            f"<p><strong>{order_word}</strong> #{order.pk} {escape(order.title)}</p>\n"
            f'<p style="color: #666;">{escape(company)}</p>\n'
            f"{HTML_FOOT}"
        )
    return RenderedEmail(subject=_subject(order), text=text, html=html)


def order_event_email(
    *,
    order: Order,
    event: OrderEvent,
    message: Message | None,
    recipient: User,
    subject: str,
    site_url: str,
) -> RenderedEmail:
    """Tells one person what happened to the order: who did what, the message written
    (never an internal note), the solution when closed, and where the order stands."""
    with translation.override(recipient.language):
        name = recipient.get_short_name()
        shown = message is not None and not message.is_internal
        closed = event.kind == Kind.CLOSED
        order_word, status_word, priority_word = (
            gettext("Order"),
            gettext("Status"),
            gettext("Priority"),
        )
        status, priority = order.get_status_display(), order.get_priority_display()
        assignee = order.assignee
        company = str(order.company)
        solution_word = gettext("Solution") if closed else ""
        technician_word = gettext("Technician") if assignee else ""

        text = [f"{_phrase(HELLO, name=name)}\n\n"]
        text.append(f"{_event_line(order, event, escaped=False)}\n\n")
        if shown:
            text.append(f"\n{message.body}\n")
        if closed:
            text.append(f"\n{solution_word}:\n{order.solution}\n")
        text.append(
            f"\n{order_word} #{order.pk}: {order.title}\n"
            f"{status_word}: {status} · {priority_word}: {priority}"
        )
        if assignee:
            text.append(f" · {technician_word}: {assignee.name}")
        text.append(f"\n{site_url}/api/v1/orders/{order.pk}\n\n-- \n{company}\n\n")

        html = [
            HTML_HEAD,
            f"<p>{_phrase(HELLO, name=escape(name))}</p>\n",
            f"<p>{_event_line(order, event, escaped=True)}\n</p>\n",
        ]
        if shown:
            html.append(
                '<blockquote style="border-left: 3px solid #ccc; margin: 0; padding-left: 1em;">'
                f"{_html_lines(message.body)}</blockquote>"
            )
        html.append("\n")
        if closed:
            html.append(
                f"<p><strong>{solution_word}:</strong><br>{_html_lines(order.solution)}</p>"
            )
        html.append(
            '\n<table style="border-collapse: collapse; margin-top: 1em;">\n'
            f'<tr><th align="left">{order_word}</th>'
            f"<td>#{order.pk} {escape(order.title)}</td></tr>\n"
            f'<tr><th align="left">{status_word}</th><td>{escape(status)}</td></tr>\n'
            f'<tr><th align="left">{priority_word}</th><td>{escape(priority)}</td></tr>\n'
        )
        if assignee:
            html.append(
                f'<tr><th align="left">{technician_word}</th><td>{escape(assignee.name)}</td></tr>'
            )
        html.append(f'\n</table>\n<p style="color: #666;">{escape(company)}</p>\n{HTML_FOOT}')
    return RenderedEmail(
        subject=" ".join(str(escape(subject)).strip().split()),
        text="".join(text),
        html="".join(html),
    )


def _event_line(order: Order, event: OrderEvent, *, escaped: bool) -> str:
    msgid = EVENT_LINES.get(event.kind)
    if msgid is None:
        return ""
    actor = event.actor.name if event.actor is not None else ""
    values = {"actor": (escape(actor) if escaped else actor) if actor else gettext("Someone")}
    if event.kind == Kind.ASSIGNED:
        assignee = order.assignee.name if order.assignee is not None else ""
        values["assignee"] = escape(assignee) if escaped else assignee
    elif event.kind == Kind.REDIRECTED:
        team = order.team.name if order.team is not None else ""
        values["team"] = escape(team) if escaped else team
    return _phrase(msgid, **values)
