"""The e-mails about an order: the acknowledgement of a new order and the notification of
each event, in the recipient's language, as subject, plain text and HTML.

Composed in Python rather than with the template engine: they are written for every
order and every reply (several per received e-mail), and rendering their three Django
templates cost about a millisecond each, most of the e-mail channel's CPU once its SQL
was prepared. The phrases are translated once per language (`_phrases`) and each e-mail
is then put together in a few dozen microseconds. The rules are the templates' were:
every value is escaped in the HTML part, translated phrases are not (they are ours), and a
translation whose placeholders do not match falls back to the English phrase. The subject
is plain text on one line (the templates escaped it as HTML, so a title with "&" arrived
as "&amp;").
"""

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from django.utils import translation
from django.utils.html import escape
from django.utils.text import normalize_newlines
from django.utils.translation import gettext, gettext_noop

from accounts.models import User
from core.emails import RenderedEmail
from core.links import order_link
from orders.models import Message, Order, OrderEvent

Kind = OrderEvent.Kind
HTML_HEAD = (
    '<!DOCTYPE html>\n<html lang="en">\n'
    '<body style="font-family: sans-serif; line-height: 1.5; color: #222;">\n'
)
HTML_FOOT = "</body>\n</html>\n"

HELLO = gettext_noop("Hello %(name)s,")
RECEIVED = gettext_noop(
    "We received your request and opened the service order #%(number)s. "
    "A technician will get back to you."
)
KEEP_NUMBER = gettext_noop(
    "To add anything, reply to this e-mail and keep the order number in the subject."
)
# What the notification says happened, per kind of event.
EVENT_LINES = {
    Kind.CREATED: gettext_noop("%(actor)s opened a new service order."),
    Kind.TAKEN: gettext_noop("%(actor)s took your service order and is on it."),
    Kind.ASSIGNED: gettext_noop("%(actor)s assigned the service order to %(assignee)s."),
    Kind.RELEASED: gettext_noop(
        "%(actor)s released the service order; it waits for a technician again."
    ),
    Kind.REDIRECTED: gettext_noop("%(actor)s redirected the service order to the team %(team)s."),
    Kind.CLOSED: gettext_noop("%(actor)s closed the service order."),
    Kind.REOPENED: gettext_noop("%(actor)s reopened the service order."),
    Kind.MESSAGE_ADDED: gettext_noop("%(actor)s wrote:"),
    Kind.WAITING: gettext_noop("%(actor)s is waiting for your answer; reply to carry on."),
    Kind.SLA_WARNING: gettext_noop("The %(target)s of this service order is due at %(due)s."),
    Kind.SLA_BREACHED: gettext_noop(
        "The %(target)s of this service order was due at %(due)s and is late."
    ),
}
# The SLA clocks, as the warning and breach lines name them.
SLA_TARGETS = {"response": gettext_noop("first response"), "resolution": gettext_noop("resolution")}


@dataclass(frozen=True)
class _Phrases:
    """Every phrase of these e-mails in one language."""

    language: str
    words: dict[str, str]  # msgid → translation
    statuses: dict[str, str]  # Order.Status value → label
    priorities: dict[str, str]  # Order.Priority value → label

    def fill(self, msgid: str, **values: str) -> str:
        try:
            return self.words[msgid] % values
        except (KeyError, ValueError):  # a broken translation: the English phrase
            return msgid % values


@lru_cache(maxsize=32)
def _phrases(language: str) -> _Phrases:
    msgids = [
        HELLO,
        RECEIVED,
        KEEP_NUMBER,
        *EVENT_LINES.values(),
        *SLA_TARGETS.values(),
        gettext_noop("Someone"),
        gettext_noop("Order"),
        gettext_noop("Status"),
        gettext_noop("Priority"),
        gettext_noop("Solution"),
        gettext_noop("Technician"),
    ]
    with translation.override(language):
        return _Phrases(
            language=language,
            words={msgid: gettext(msgid) for msgid in msgids},
            statuses={value: str(label) for value, label in Order.Status.choices},
            priorities={value: str(label) for value, label in Order.Priority.choices},
        )


def _html_lines(value: str) -> str:
    """The `linebreaksbr` filter: escaped, each line break a <br>."""
    return escape(normalize_newlines(value)).replace("\n", "<br>")


def _subject(subject: str) -> str:
    # A header is plain text: no HTML entities in it, and no line breaks either.
    return " ".join(subject.split())


def acknowledgement_email(*, order: Order, recipient: User) -> RenderedEmail:
    """Tells the requester their e-mail opened the order, and how to add to it."""
    say = _phrases(recipient.language)
    words = say.words
    name = recipient.get_short_name()
    received = say.fill(RECEIVED, number=str(order.pk))
    company = str(order.company)
    text = (
        f"{say.fill(HELLO, name=name)}\n\n{received}\n\n{words[KEEP_NUMBER]}\n\n"
        f"{words['Order']} #{order.pk}: {order.title}\n"
        f"{order_link(order.pk)}\n\n"
        f"-- \n{company}\n\n"
    )
    html = (
        f"{HTML_HEAD}"
        f"<p>{say.fill(HELLO, name=escape(name))}</p>\n"
        f"<p>{received}</p>\n"
        f"<p>{words[KEEP_NUMBER]}</p>\n"
        f"<p><strong>{words['Order']}</strong> {_order_anchor(order)} {escape(order.title)}</p>\n"
        f'<p style="color: #666;">{escape(company)}</p>\n'
        f"{HTML_FOOT}"
    )
    return RenderedEmail(subject=_subject(f"[#{order.pk}] {order.title}"), text=text, html=html)


def order_event_email(
    *,
    order: Order,
    event: OrderEvent,
    message: Message | None,
    recipient: User,
    subject: str,
) -> RenderedEmail:
    """Tells one person what happened to the order: who did what, the message written
    (never an internal note), the solution when closed, and where the order stands."""
    say = _phrases(recipient.language)
    words = say.words
    name = recipient.get_short_name()
    shown = message is not None and not message.is_internal
    closed = event.kind == Kind.CLOSED
    status = say.statuses.get(order.status, order.status)
    priority = say.priorities.get(order.priority, order.priority)
    assignee = order.assignee
    company = str(order.company)

    text = [
        f"{say.fill(HELLO, name=name)}\n\n",
        f"{_event_line(say, order, event, escaped=False)}\n\n",
    ]
    if shown:
        text.append(f"\n{message.body}\n")
    if closed:
        text.append(f"\n{words['Solution']}:\n{order.solution}\n")
    text.append(
        f"\n{words['Order']} #{order.pk}: {order.title}\n"
        f"{words['Status']}: {status} · {words['Priority']}: {priority}"
    )
    if assignee:
        text.append(f" · {words['Technician']}: {assignee.name}")
    text.append(f"\n{order_link(order.pk)}\n\n-- \n{company}\n\n")

    html = [
        HTML_HEAD,
        f"<p>{say.fill(HELLO, name=escape(name))}</p>\n",
        f"<p>{_event_line(say, order, event, escaped=True)}\n</p>\n",
    ]
    if shown:
        html.append(
            '<blockquote style="border-left: 3px solid #ccc; margin: 0; padding-left: 1em;">'
            f"{_html_lines(message.body)}</blockquote>"
        )
    html.append("\n")
    if closed:
        html.append(
            f"<p><strong>{words['Solution']}:</strong><br>{_html_lines(order.solution)}</p>"
        )
    html.append(
        '\n<table style="border-collapse: collapse; margin-top: 1em;">\n'
        f'<tr><th align="left">{words["Order"]}</th>'
        f"<td>{_order_anchor(order)} {escape(order.title)}</td></tr>\n"
        f'<tr><th align="left">{words["Status"]}</th><td>{escape(status)}</td></tr>\n'
        f'<tr><th align="left">{words["Priority"]}</th><td>{escape(priority)}</td></tr>\n'
    )
    if assignee:
        html.append(
            f'<tr><th align="left">{words["Technician"]}</th><td>{escape(assignee.name)}</td></tr>'
        )
    html.append(f'\n</table>\n<p style="color: #666;">{escape(company)}</p>\n{HTML_FOOT}')
    return RenderedEmail(subject=_subject(subject), text="".join(text), html="".join(html))


def _order_anchor(order: Order) -> str:
    return f'<a href="{escape(order_link(order.pk))}">#{order.pk}</a>'


def _event_line(say: _Phrases, order: Order, event: OrderEvent, *, escaped: bool) -> str:
    msgid = EVENT_LINES.get(event.kind)
    if msgid is None:
        return ""
    mark = escape if escaped else str
    actor = event.actor.name if event.actor is not None else ""
    values = {"actor": mark(actor) if actor else say.words["Someone"]}
    if event.kind == Kind.ASSIGNED:
        values["assignee"] = mark(order.assignee.name if order.assignee is not None else "")
    elif event.kind == Kind.REDIRECTED:
        values["team"] = mark(order.team.name if order.team is not None else "")
    elif event.kind in (Kind.SLA_WARNING, Kind.SLA_BREACHED):
        target = SLA_TARGETS.get(event.data.get("target"), "")
        values["target"] = say.words.get(target, target)
        due = datetime.fromisoformat(event.data["due"]).astimezone(order.company.zone)
        values["due"] = due.strftime("%Y-%m-%d %H:%M %Z")
    return say.fill(msgid, **values)
