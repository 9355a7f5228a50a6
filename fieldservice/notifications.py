"""Who hears about a visit, and the e-mails that tell them: the requester and the
technician, never whoever acted, each in their own language, with the local time in the
company's zone and an iCalendar invitation (or cancellation) attached.

Called from fieldservice.services inside the change's transaction: the outbox rows commit
or roll back with it, and each (visit, sequence, recipient) is written at most once.
"""

from django.utils import formats, translation
from django.utils.html import escape
from django.utils.translation import gettext, gettext_noop

from accounts.models import User
from core.emails import RenderedEmail
from core.links import order_link
from fieldservice import ical
from fieldservice.models import Visit
from orders.email.outbound import order_email_enqueue

SCHEDULED, RESCHEDULED, CANCELLED = "scheduled", "rescheduled", "cancelled"

LINES = {
    SCHEDULED: gettext_noop(
        "%(actor)s scheduled an on-site visit for the service order #%(number)s."
    ),
    RESCHEDULED: gettext_noop(
        "%(actor)s rescheduled the on-site visit for the service order #%(number)s."
    ),
    CANCELLED: gettext_noop(
        "%(actor)s cancelled the on-site visit for the service order #%(number)s."
    ),
}
SUBJECTS = {
    SCHEDULED: gettext_noop("Visit scheduled: %(when)s"),
    RESCHEDULED: gettext_noop("Visit rescheduled: %(when)s"),
    CANCELLED: gettext_noop("Visit cancelled: %(when)s"),
}


def visit_local_time(visit: Visit, language: str) -> str:
    """The start in the company's zone, written as the recipient's language writes it,
    with the zone's name (`May 5, 2026, 2:30 p.m. (America/Sao_Paulo)`)."""
    zone = visit.order.company.zone
    with translation.override(language):
        when = formats.date_format(visit.starts_at.astimezone(zone), "DATETIME_FORMAT")
    return f"{when} ({zone.key})"


def visit_email(*, visit: Visit, kind: str, actor: User, recipient: User) -> RenderedEmail:
    """One person's e-mail about the visit: what happened, when, for how long, who, where."""
    order = visit.order
    with translation.override(recipient.language):
        when = visit_local_time(visit, recipient.language)
        hello = gettext("Hello %(name)s,") % {"name": recipient.get_short_name()}
        line = gettext(LINES[kind]) % {"actor": actor.name, "number": order.pk}
        subject = f"[#{order.pk}] " + gettext(SUBJECTS[kind]) % {"when": when}
        rows = [
            (gettext("When"), when),
            (
                gettext("Duration"),
                gettext("%(minutes)s minutes") % {"minutes": visit.duration_minutes},
            ),
            (gettext("Technician"), visit.technician.name),
            (gettext("Address"), visit.address or "-"),
            (gettext("Order"), f"#{order.pk} {order.title}"),
        ]
    company = str(order.company)
    link = order_link(order.pk)
    text = "".join(
        [
            f"{hello}\n\n{line}\n\n",
            *(f"{label}: {value}\n" for label, value in rows),
            f"\n{link}\n\n-- \n{company}\n",
        ]
    )
    html = "".join(
        [
            '<!DOCTYPE html>\n<html>\n<body style="font-family: sans-serif; line-height: 1.5;">\n',
            f"<p>{escape(hello)}</p>\n<p>{escape(line)}</p>\n<table>\n",
            *(
                f'<tr><th align="left">{escape(label)}</th><td>{escape(value)}</td></tr>\n'
                for label, value in rows
            ),
            f'</table>\n<p><a href="{escape(link)}">{escape(link)}</a></p>\n',
            f'<p style="color: #666;">{escape(company)}</p>\n</body>\n</html>\n',
        ]
    )
    return RenderedEmail(subject=" ".join(subject.split()), text=text, html=html)


def visit_notify(
    *, visit: Visit, kind: str, actor: User, method: str, to: list[User] | None = None
) -> None:
    """Write the visit's e-mails to the outbox, threaded into the order's conversation:
    to `to` (by default the requester and the technician), never to the actor or to an
    inactive account. The key carries the visit's SEQUENCE, so each change mails once."""
    order = visit.order
    people = to if to is not None else [order.requester, visit.technician]
    recipients = {person.pk: person for person in people if person.is_active and person.email}
    recipients.pop(actor.pk, None)
    attachment = ical.visit_ical_attachment(visit, method=method)
    for recipient in recipients.values():
        order_email_enqueue(
            order=order,
            key=f"visit-{visit.pk}-{visit.sequence}-{method.lower()}-to-{recipient.pk}",
            to=recipient.email,
            email=visit_email(visit=visit, kind=kind, actor=actor, recipient=recipient),
            is_automatic=True,
            rate_limited=recipient.pk == order.requester_id,
            attachments=[attachment],
        )
