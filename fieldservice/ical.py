"""A visit as an iCalendar (RFC 5545) object, built with `icalendar` so that folding,
escaping and line endings are right for every calendar program.

E-mailed invitations are iTIP messages (RFC 5546): METHOD:REQUEST for a new or changed
visit, METHOD:CANCEL for a cancelled one, with the visit's stable UID and its SEQUENCE so
the calendar updates the event it already has. The download is METHOD:PUBLISH. Times are
written in UTC: every calendar program shows them in its user's zone.
"""

from datetime import UTC

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from accounts.models import User
from core.links import order_link
from fieldservice.models import Visit

REQUEST, CANCEL, PUBLISH = "REQUEST", "CANCEL", "PUBLISH"
CONTENT_TYPE = "text/calendar"
PRODUCT_ID = "-//Mutirao//Field service//EN"


def _domain() -> str:
    return settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">") or "mutirao.localhost"


def visit_uid(visit: Visit) -> str:
    return f"{visit.uid}@{_domain()}"


def _address(email: str, name: str, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = vText(name)
    address.params.update(params)
    return address


def visit_ical(visit: Visit, *, method: str) -> str:
    """The visit as an iCalendar text with one VEVENT; cancelled visits (and METHOD:CANCEL)
    carry STATUS:CANCELLED."""
    order = visit.order
    company = order.company
    cancelled = method == CANCEL or visit.status == Visit.Status.CANCELLED
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", visit_uid(visit))
    event.add("sequence", visit.sequence)
    event.add("dtstamp", timezone.now().astimezone(UTC))
    event.add("dtstart", visit.starts_at.astimezone(UTC))
    event.add("dtend", visit.ends_at.astimezone(UTC))
    event.add("summary", f"[#{order.pk}] {order.title}")
    if visit.address:
        event.add("location", visit.address)
    event.add("description", order_link(order.pk))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    organizer = company.support_email or settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].strip(">")
    event.add("organizer", _address(organizer, str(company)))
    for person in _attendees(visit):
        event.add("attendee", _address(person.email, person.name, ROLE="REQ-PARTICIPANT"))
    calendar.add_component(event)
    return calendar.to_ical().decode()


def _attendees(visit: Visit) -> list[User]:
    people = {
        visit.technician_id: visit.technician,
        visit.order.requester_id: visit.order.requester,
    }
    return [person for person in people.values() if person.email]


def visit_ical_attachment(visit: Visit, *, method: str) -> dict[str, str]:
    """The outbox attachment (`core.services.outbox_enqueue`) of an e-mailed invitation."""
    return {
        "filename": "cancel.ics" if method == CANCEL else "invite.ics",
        "content_type": f"{CONTENT_TYPE}; method={method}",
        "content": visit_ical(visit, method=method),
    }
