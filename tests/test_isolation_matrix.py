"""Tenant isolation: nobody reaches another company's, NGO's, home's or person's objects.

Every route of the URL configuration is enumerated. Each (route, method) is either probed
here with the other tenant's ids (in the URL, in query filters, in request bodies) or
listed in `NOT_OBJECT_BEARING` with the reason; a new route that is neither makes
`test_every_route_and_method_is_classified` fail. Every probe is made by each person of
"our" side (company admin, agent, requester, home resident, NGO admin, a stranger) and must
answer the expected refusal, change no row of the database, queue no e-mail and echo none
of "their" private data (all of it carries `SECRET`).
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from tests.world import (
    SECRET,
    World,
    build_world,
    changed_tables,
    database_state,
    outbound_email_count,
    quick_state,
)

pytestmark = pytest.mark.django_db

HIDDEN = {404}  # not theirs to see: the same answer as an id that does not exist
FORBIDDEN = {403}  # visible by design (a public NGO or event) but not theirs to manage
REFUSED = {400, 403, 404}  # a foreign id inside a body or a filter: refused, whatever the step
PUBLIC = {200}  # readable by anyone by design; still checked for leaks

# Routes that carry no object of another tenant, and why.
NOT_OBJECT_BEARING = {
    "ping": "constant answer",
    "health": "infrastructure status, no data",
    "schema": "the OpenAPI document",
    "swagger-ui": "documentation page",
    "redoc": "documentation page",
    "auth-register": "creates a new account; no ids in",
    "auth-login": "e-mail and password in; throttling is in test_resource_limits",
    "auth-refresh": "a refresh token is a bearer secret; nothing else in",
    "auth-logout-all": "acts on the caller only",
    "user-me": "the caller only",
    "user-me-password": "the caller only",
    "user-me-photo": "the caller only",
    "invitation-page": "the invitation's secret token is the only key; the page shows that "
    "invitation alone (homes/tests/test_invitation_page.py)",
    "inbound-email": "signed provider webhook, no user (orders/tests/test_email_*)",
    "equipment-import": "multipart upload; their company in the form is a 400 "
    "(equipment/tests/test_api_import.py)",
    "rating-page": "the signed link token is the only key; the page shows that order's "
    "number and title alone (desk/tests/test_api_rating.py)",
}
NOT_OBJECT_BEARING_PREFIXES = {
    "admin/": "Django admin: staff only, session login (tests/test_admin.py)",
    "anymail/": "provider webhooks, authenticated by the provider's secret, no user",
}

# Query filters that take an id, and the id of theirs each one gets.
ID_FILTERS: dict[str, Callable[[World], int]] = {
    "company": lambda w: w.theirs.company.pk,
    "team": lambda w: w.theirs.team.pk,
    "assignee": lambda w: w.theirs.agent.pk,
    "requester": lambda w: w.theirs.requester.pk,
    "ong": lambda w: w.theirs.hidden_ong.pk,
    "home": lambda w: w.theirs.home.pk,
    "debtor": lambda w: w.theirs.resident.pk,
    "creditor": lambda w: w.theirs.admin.pk,
    "responsible": lambda w: w.theirs.resident.pk,
    "routine": lambda w: w.theirs.routine.pk,
    "technician": lambda w: w.theirs.agent.pk,
    "order": lambda w: w.theirs.order.pk,
    "equipment_item": lambda w: w.theirs.extra["equipment"].pk,
}
# Filters that take no id (text, dates, choices, flags): searched with the secret word or
# set to show inactive rows, which must still be only the caller's.
PLAIN_FILTERS = {
    "name": SECRET,
    "email": SECRET,
    "text": SECRET,
    "is_active": "false",
    "is_paid": "false",
    "is_penalty": "false",
    "upcoming": "false",
    "mine": "false",
    "is_staff": "true",
    "has_deadline": "false",
    "role": "admin",
    "status": None,
    "priority": None,
    "equipment": None,
    "channel": None,
    "brand": None,
    "cause": None,
    "assignment": None,
    "time_zone": None,
    "created": None,
    "created_after": None,
    "created_before": None,
    "starts_after": None,
    "starts_before": None,
    "due_from": None,
    "due_to": None,
    "since": None,
    "until": None,
    "ordering": None,
    "date_from": None,
    "date_to": None,
    "kind": None,
    "site": SECRET,
    "has_open_orders": "false",
    "event": None,
}


@dataclass(frozen=True)
class Probe:
    route: str
    method: str
    url: Callable[[World], str]
    expected: frozenset
    body: Callable[[World], Any] | None = None
    what: str = "their id in the URL"

    def label(self) -> str:
        return f"{self.method.upper()} {self.route} ({self.what})"


def probe(route, method, url, expected, body=None, what="their id in the URL"):
    return Probe(route, method, url, frozenset(expected), body, what)


V = "/api/v1"
T = "their id in a body field"
PROBES = [
    # --- users -----------------------------------------------------------------------------
    probe("user-detail", "get", lambda w: f"{V}/users/{w.theirs.admin.pk}", HIDDEN),
    probe(
        "user-detail",
        "patch",
        lambda w: f"{V}/users/{w.theirs.admin.pk}",
        HIDDEN,
        lambda w: {"name": "Taken over", "email": "attacker@example.com"},
    ),
    probe("user-detail", "delete", lambda w: f"{V}/users/{w.theirs.admin.pk}", HIDDEN),
    probe("user-companies", "get", lambda w: f"{V}/users/{w.theirs.admin.pk}/companies", HIDDEN),
    probe("user-orders", "get", lambda w: f"{V}/users/{w.theirs.requester.pk}/orders", HIDDEN),
    probe(
        "auth-logout",
        "post",
        lambda w: f"{V}/auth/logout",
        {401},
        lambda w: {"refresh": w.theirs.refresh_token},
        what="their refresh token in the body",
    ),
    # --- companies, members, teams ---------------------------------------------------------
    probe("company-detail", "get", lambda w: f"{V}/companies/{w.theirs.company.pk}", HIDDEN),
    probe(
        "company-detail",
        "patch",
        lambda w: f"{V}/companies/{w.theirs.company.pk}",
        HIDDEN,
        lambda w: {"legal_name": "Taken over"},
    ),
    probe("company-detail", "delete", lambda w: f"{V}/companies/{w.theirs.company.pk}", HIDDEN),
    probe(
        "company-activate",
        "post",
        lambda w: f"{V}/companies/{w.theirs.company.pk}/activate",
        HIDDEN,
    ),
    probe(
        "company-deactivate",
        "post",
        lambda w: f"{V}/companies/{w.theirs.company.pk}/deactivate",
        HIDDEN,
    ),
    probe("member-list", "get", lambda w: f"{V}/companies/{w.theirs.company.pk}/members", HIDDEN),
    probe(
        "member-list",
        "post",
        lambda w: f"{V}/companies/{w.theirs.company.pk}/members",
        HIDDEN,
        lambda w: {"email": w.ours.agent.email, "role": "admin"},
    ),
    probe(
        "member-detail",
        "patch",
        lambda w: f"{V}/companies/{w.theirs.company.pk}/members/{w.theirs.agent.pk}",
        HIDDEN,
        lambda w: {"role": "admin"},
    ),
    probe(
        "member-detail",
        "delete",
        lambda w: f"{V}/companies/{w.theirs.company.pk}/members/{w.theirs.agent.pk}",
        HIDDEN,
    ),
    probe(
        "member-deactivate",
        "post",
        lambda w: f"{V}/companies/{w.theirs.company.pk}/members/{w.theirs.agent.pk}/deactivate",
        HIDDEN,
    ),
    probe(
        "member-deactivate",
        "post",
        lambda w: f"{V}/companies/{w.ours.company.pk}/members/{w.theirs.agent.pk}/deactivate",
        REFUSED,
        what="our company, their person in the URL",
    ),
    probe(
        "member-detail",
        "patch",
        lambda w: f"{V}/companies/{w.ours.company.pk}/members/{w.theirs.agent.pk}",
        REFUSED,
        lambda w: {"role": "admin"},
        what="our company, their person in the URL",
    ),
    probe(
        "member-detail",
        "delete",
        lambda w: f"{V}/companies/{w.ours.company.pk}/members/{w.theirs.agent.pk}",
        REFUSED,
        what="our company, their person in the URL",
    ),
    probe(
        "company-team-list",
        "get",
        lambda w: f"{V}/companies/{w.theirs.company.pk}/teams",
        HIDDEN,
    ),
    probe(
        "company-team-list",
        "post",
        lambda w: f"{V}/companies/{w.theirs.company.pk}/teams",
        HIDDEN,
        lambda w: {"name": "Intruders"},
    ),
    probe(
        "company-team-list",
        "post",
        lambda w: f"{V}/companies/{w.ours.company.pk}/teams",
        REFUSED,
        lambda w: {"name": "Mixed", "lead": w.theirs.agent.pk, "agents": [w.theirs.agent.pk]},
        what=T,
    ),
    probe("team-detail", "get", lambda w: f"{V}/teams/{w.theirs.team.pk}", HIDDEN),
    probe(
        "team-detail",
        "patch",
        lambda w: f"{V}/teams/{w.theirs.team.pk}",
        HIDDEN,
        lambda w: {"name": "Taken over"},
    ),
    probe("team-detail", "delete", lambda w: f"{V}/teams/{w.theirs.team.pk}", HIDDEN),
    probe(
        "team-detail",
        "patch",
        lambda w: f"{V}/teams/{w.ours.team.pk}",
        REFUSED,
        lambda w: {"lead": w.theirs.agent.pk, "agents": [w.theirs.agent.pk]},
        what=T,
    ),
    # --- service levels ----------------------------------------------------------------------
    probe(
        "company-business-hours",
        "get",
        lambda w: f"{V}/companies/{w.theirs.company.pk}/business-hours",
        HIDDEN,
    ),
    probe(
        "company-business-hours",
        "put",
        lambda w: f"{V}/companies/{w.theirs.company.pk}/business-hours",
        HIDDEN,
        lambda w: {"ranges": [{"weekday": 0, "opens": "08:00", "closes": "09:00"}]},
    ),
    probe(
        "company-holiday-list",
        "get",
        lambda w: f"{V}/companies/{w.theirs.company.pk}/holidays",
        HIDDEN,
    ),
    probe(
        "company-holiday-list",
        "post",
        lambda w: f"{V}/companies/{w.theirs.company.pk}/holidays",
        HIDDEN,
        lambda w: {"date": "2026-01-01", "name": "Intruders"},
    ),
    probe(
        "holiday-detail", "delete", lambda w: f"{V}/holidays/{w.theirs.extra['holiday'].pk}", HIDDEN
    ),
    probe(
        "company-sla-target-list",
        "get",
        lambda w: f"{V}/companies/{w.theirs.company.pk}/sla-targets",
        HIDDEN,
    ),
    probe(
        "company-sla-target-list",
        "post",
        lambda w: f"{V}/companies/{w.theirs.company.pk}/sla-targets",
        HIDDEN,
        lambda w: {"priority": "low", "first_response_minutes": 1, "resolution_minutes": 2},
    ),
    probe(
        "sla-target-detail",
        "patch",
        lambda w: f"{V}/sla-targets/{w.theirs.extra['sla_target'].pk}",
        HIDDEN,
        lambda w: {"resolution_minutes": 9999},
    ),
    probe(
        "sla-target-detail",
        "delete",
        lambda w: f"{V}/sla-targets/{w.theirs.extra['sla_target'].pk}",
        HIDDEN,
    ),
    probe("order-wait", "post", lambda w: f"{V}/orders/{w.theirs.order.pk}/wait", HIDDEN),
    # --- orders ----------------------------------------------------------------------------
    probe(
        "order-list",
        "post",
        lambda w: f"{V}/orders",
        REFUSED,
        lambda w: {"company": w.theirs.company.pk, "equipment": "printer", "title": "In"},
        what=T,
    ),
    probe(
        "order-list",
        "post",
        lambda w: f"{V}/orders",
        REFUSED,
        lambda w: {
            "company": w.ours.company.pk,
            "team": w.theirs.team.pk,
            "equipment": "printer",
            "title": "In",
        },
        what="our company, their team in the body",
    ),
    probe("order-detail", "get", lambda w: f"{V}/orders/{w.theirs.order.pk}", HIDDEN),
    probe(
        "order-detail",
        "patch",
        lambda w: f"{V}/orders/{w.theirs.order.pk}",
        HIDDEN,
        lambda w: {"title": "Taken over"},
    ),
    probe("order-detail", "delete", lambda w: f"{V}/orders/{w.theirs.order.pk}", HIDDEN),
    probe(
        "order-assign",
        "post",
        lambda w: f"{V}/orders/{w.theirs.order.pk}/assign",
        HIDDEN,
        lambda w: {"assignee": w.theirs.agent.pk},
    ),
    probe(
        "order-assign",
        "post",
        lambda w: f"{V}/orders/{w.ours.order.pk}/assign",
        REFUSED,
        lambda w: {"assignee": w.theirs.agent.pk},
        what=T,
    ),
    probe(
        "order-close",
        "post",
        lambda w: f"{V}/orders/{w.theirs.order.pk}/close",
        HIDDEN,
        lambda w: {"solution": "Closed by a stranger"},
    ),
    probe("order-events", "get", lambda w: f"{V}/orders/{w.theirs.order.pk}/events", HIDDEN),
    probe("order-messages", "get", lambda w: f"{V}/orders/{w.theirs.order.pk}/messages", HIDDEN),
    probe(
        "order-attachments", "get", lambda w: f"{V}/orders/{w.theirs.order.pk}/attachments", HIDDEN
    ),
    probe(
        "order-attachment",
        "get",
        lambda w: f"{V}/orders/{w.theirs.order.pk}/attachments/{w.theirs.attachment.pk}",
        HIDDEN,
    ),
    probe(
        "order-attachment",
        "get",
        lambda w: f"{V}/orders/{w.ours.order.pk}/attachments/{w.theirs.attachment.pk}",
        HIDDEN,
        what="their file under our order",
    ),
    probe(
        "order-attachment",
        "delete",
        lambda w: f"{V}/orders/{w.theirs.order.pk}/attachments/{w.theirs.attachment.pk}",
        HIDDEN,
    ),
    probe(
        "order-attachment",
        "delete",
        lambda w: f"{V}/orders/{w.ours.order.pk}/attachments/{w.theirs.attachment.pk}",
        HIDDEN,
        what="their file under our order",
    ),
    probe(
        "order-attachment-download",
        "get",
        lambda w: f"{V}/orders/{w.theirs.order.pk}/attachments/{w.theirs.attachment.pk}/download",
        HIDDEN,
    ),
    probe(
        "order-attachment-download",
        "get",
        lambda w: f"{V}/orders/{w.ours.order.pk}/attachments/{w.theirs.attachment.pk}/download",
        HIDDEN,
        what="their file under our order",
    ),
    # Uploads are multipart: their message id in our order's upload is refused in
    # orders/tests/test_api_attachment_uploads.py.
    probe(
        "order-attachments",
        "post",
        lambda w: f"{V}/orders/{w.theirs.order.pk}/attachments",
        HIDDEN,
        lambda w: {"message": w.theirs.message.pk},
    ),
    probe(
        "order-messages",
        "post",
        lambda w: f"{V}/orders/{w.theirs.order.pk}/messages",
        HIDDEN,
        lambda w: {"body": "Hello from outside"},
    ),
    probe(
        "order-priority",
        "post",
        lambda w: f"{V}/orders/{w.theirs.order.pk}/priority",
        HIDDEN,
        lambda w: {"priority": "urgent"},
    ),
    probe(
        "order-redirect",
        "post",
        lambda w: f"{V}/orders/{w.theirs.order.pk}/redirect",
        HIDDEN,
        lambda w: {"team": w.ours.team.pk},
    ),
    probe(
        "order-redirect",
        "post",
        lambda w: f"{V}/orders/{w.ours.order.pk}/redirect",
        REFUSED,
        lambda w: {"team": w.theirs.team.pk},
        what=T,
    ),
    probe("order-release", "post", lambda w: f"{V}/orders/{w.theirs.order.pk}/release", HIDDEN),
    probe("order-reopen", "post", lambda w: f"{V}/orders/{w.theirs.order.pk}/reopen", HIDDEN),
    probe("order-take", "post", lambda w: f"{V}/orders/{w.theirs.order.pk}/take", HIDDEN),
    # --- equipment -------------------------------------------------------------------------
    probe(
        "equipment-list",
        "post",
        lambda w: f"{V}/equipment",
        REFUSED,
        lambda w: {"company": w.theirs.company.pk, "kind": "printer"},
        what=T,
    ),
    *(
        probe(
            f"equipment-{name}",
            method,
            lambda w, s=suffix: f"{V}/equipment/{w.theirs.extra['equipment'].pk}{s}",
            HIDDEN,
            body,
        )
        for name, method, suffix, body in (
            ("detail", "get", "", None),
            ("detail", "patch", "", lambda w: {"room": "Taken over"}),
            ("detail", "delete", "", None),
            ("status", "post", "/status", lambda w: {"status": "retired"}),
            ("orders", "get", "/orders", None),
        )
    ),
    probe(
        "order-list",
        "post",
        lambda w: f"{V}/orders",
        REFUSED,
        lambda w: {
            "company": w.ours.company.pk,
            "equipment_item": w.theirs.extra["equipment"].pk,
            "equipment": "printer",
            "title": "In",
        },
        what="our company, their equipment in the body",
    ),
    probe(
        "order-detail",
        "patch",
        lambda w: f"{V}/orders/{w.ours.order.pk}",
        REFUSED,
        lambda w: {"equipment_item": w.theirs.extra["equipment"].pk},
        what=T,
    ),
    # --- NGOs ------------------------------------------------------------------------------
    probe("ong-detail", "get", lambda w: f"{V}/ongs/{w.theirs.ong.pk}", PUBLIC, what="public"),
    probe("ong-detail", "get", lambda w: f"{V}/ongs/{w.theirs.hidden_ong.pk}", HIDDEN),
    probe(
        "ong-detail",
        "patch",
        lambda w: f"{V}/ongs/{w.theirs.hidden_ong.pk}",
        HIDDEN,
        lambda w: {"name": "Taken over"},
    ),
    probe(
        "ong-detail",
        "patch",
        lambda w: f"{V}/ongs/{w.theirs.ong.pk}",
        FORBIDDEN,
        lambda w: {"name": "Taken over", "admin_emails": [w.ours.admin.email]},
        what="their public NGO",
    ),
    probe("ong-detail", "delete", lambda w: f"{V}/ongs/{w.theirs.ong.pk}", FORBIDDEN),
    probe("ong-balance", "get", lambda w: f"{V}/ongs/{w.theirs.ong.pk}/balance", HIDDEN),
    probe("ong-withdrawals", "get", lambda w: f"{V}/ongs/{w.theirs.ong.pk}/withdrawals", HIDDEN),
    probe(
        "ong-withdrawals",
        "post",
        lambda w: f"{V}/ongs/{w.theirs.ong.pk}/withdrawals",
        HIDDEN,
        lambda w: {"amount": "1.00", "description": "Mine now"},
    ),
    probe(
        "ong-events", "get", lambda w: f"{V}/ongs/{w.theirs.ong.pk}/events", PUBLIC, what="public"
    ),
    probe("ong-events", "get", lambda w: f"{V}/ongs/{w.theirs.hidden_ong.pk}/events", HIDDEN),
    probe("ong-participants", "get", lambda w: f"{V}/ongs/{w.theirs.ong.pk}/participants", HIDDEN),
    probe("ong-donations", "get", lambda w: f"{V}/ongs/{w.theirs.ong.pk}/donations", HIDDEN),
    probe(
        "ong-donations",
        "post",
        lambda w: f"{V}/ongs/{w.theirs.hidden_ong.pk}/donations",
        REFUSED,
        lambda w: {"payment_method": w.ours.card.pk, "amount": "5.00"},
    ),
    probe(
        "ong-donations",
        "post",
        lambda w: f"{V}/ongs/{w.ours.ong.pk}/donations",
        REFUSED,
        lambda w: {"payment_method": w.theirs.card.pk, "amount": "5.00"},
        what="their card in the body",
    ),
    # --- events ----------------------------------------------------------------------------
    probe(
        "event-list",
        "post",
        lambda w: f"{V}/events",
        FORBIDDEN,
        lambda w: {
            "ong": w.theirs.ong.pk,
            "title": "Intrusion",
            "starts_at": "2099-01-01T10:00:00Z",
            "ends_at": "2099-01-01T12:00:00Z",
        },
        what="their public NGO in the body",
    ),
    probe(
        "event-list",
        "post",
        lambda w: f"{V}/events",
        {400},
        lambda w: {
            "ong": w.theirs.hidden_ong.pk,
            "title": "Intrusion",
            "starts_at": "2099-01-01T10:00:00Z",
            "ends_at": "2099-01-01T12:00:00Z",
        },
        what="their hidden NGO in the body",
    ),
    probe(
        "event-detail", "get", lambda w: f"{V}/events/{w.theirs.event.pk}", PUBLIC, what="public"
    ),
    probe("event-detail", "get", lambda w: f"{V}/events/{w.theirs.hidden_event.pk}", HIDDEN),
    probe(
        "event-detail",
        "patch",
        lambda w: f"{V}/events/{w.theirs.event.pk}",
        FORBIDDEN,
        lambda w: {"title": "Taken over"},
        what="their public event",
    ),
    probe("event-detail", "delete", lambda w: f"{V}/events/{w.theirs.event.pk}", FORBIDDEN),
    probe(
        "event-registration",
        "post",
        lambda w: f"{V}/events/{w.theirs.hidden_event.pk}/registration",
        HIDDEN,
    ),
    probe(
        "event-registration",
        "delete",
        lambda w: f"{V}/events/{w.theirs.event.pk}/registration",
        HIDDEN,
        what="their participant's registration",
    ),
    probe(
        "event-participants",
        "get",
        lambda w: f"{V}/events/{w.theirs.event.pk}/participants",
        HIDDEN,
    ),
    # --- payments --------------------------------------------------------------------------
    probe(
        "payment-method-detail", "get", lambda w: f"{V}/payment-methods/{w.theirs.card.pk}", HIDDEN
    ),
    probe(
        "payment-method-detail",
        "patch",
        lambda w: f"{V}/payment-methods/{w.theirs.card.pk}",
        HIDDEN,
        lambda w: {"holder_name": "Taken over"},
    ),
    probe(
        "payment-method-detail",
        "delete",
        lambda w: f"{V}/payment-methods/{w.theirs.card.pk}",
        HIDDEN,
    ),
    probe("donation-detail", "get", lambda w: f"{V}/donations/{w.theirs.donation.pk}", HIDDEN),
    # --- homes -----------------------------------------------------------------------------
    probe(
        "home-invitation-accept",
        "post",
        lambda w: f"{V}/homes/invitations/{w.theirs.invitation_token}/accept",
        HIDDEN,
        what="their invitation's token in the URL",
    ),
    probe("home-detail", "get", lambda w: f"{V}/homes/{w.theirs.home.pk}", HIDDEN),
    probe(
        "home-detail",
        "patch",
        lambda w: f"{V}/homes/{w.theirs.home.pk}",
        HIDDEN,
        lambda w: {"name": "Taken over"},
    ),
    probe("home-detail", "delete", lambda w: f"{V}/homes/{w.theirs.home.pk}", HIDDEN),
    probe("home-photo", "put", lambda w: f"{V}/homes/{w.theirs.home.pk}/photo", HIDDEN),
    probe("home-photo", "delete", lambda w: f"{V}/homes/{w.theirs.home.pk}/photo", HIDDEN),
    probe("home-balances", "get", lambda w: f"{V}/homes/{w.theirs.home.pk}/balances", HIDDEN),
    probe("home-member-list", "get", lambda w: f"{V}/homes/{w.theirs.home.pk}/members", HIDDEN),
    probe(
        "home-member-list",
        "post",
        lambda w: f"{V}/homes/{w.theirs.home.pk}/members",
        HIDDEN,
        lambda w: {"email": w.ours.agent.email, "role": "admin"},
    ),
    probe(
        "home-member-detail",
        "patch",
        lambda w: f"{V}/homes/{w.theirs.home.pk}/members/{w.theirs.resident.pk}",
        HIDDEN,
        lambda w: {"role": "admin"},
    ),
    probe(
        "home-member-detail",
        "delete",
        lambda w: f"{V}/homes/{w.theirs.home.pk}/members/{w.theirs.resident.pk}",
        HIDDEN,
    ),
    probe(
        "home-member-detail",
        "patch",
        lambda w: f"{V}/homes/{w.ours.home.pk}/members/{w.theirs.resident.pk}",
        REFUSED,
        lambda w: {"role": "admin"},
        what="our home, their person in the URL",
    ),
    probe(
        "home-leaderboard-list",
        "get",
        lambda w: f"{V}/homes/{w.theirs.home.pk}/leaderboard",
        HIDDEN,
    ),
    probe("home-rule-list", "get", lambda w: f"{V}/homes/{w.theirs.home.pk}/rules", HIDDEN),
    probe(
        "home-rule-list",
        "post",
        lambda w: f"{V}/homes/{w.theirs.home.pk}/rules",
        HIDDEN,
        lambda w: {"text": "Obey"},
    ),
    probe("home-routine-list", "get", lambda w: f"{V}/homes/{w.theirs.home.pk}/routines", HIDDEN),
    probe(
        "home-routine-list",
        "post",
        lambda w: f"{V}/homes/{w.theirs.home.pk}/routines",
        HIDDEN,
        lambda w: {"name": "R", "weekdays": [0], "time_limit": "09:00"},
    ),
    probe(
        "home-routine-list",
        "post",
        lambda w: f"{V}/homes/{w.ours.home.pk}/routines",
        REFUSED,
        lambda w: {
            "name": "R",
            "weekdays": [0],
            "time_limit": "09:00",
            "assignment": "rotation",
            "rotation_members": [w.ours.admin.pk, w.theirs.resident.pk],
        },
        what=T,
    ),
    probe(
        "home-routine-list",
        "post",
        lambda w: f"{V}/homes/{w.ours.home.pk}/routines",
        REFUSED,
        lambda w: {
            "name": "R",
            "weekdays": [0],
            "time_limit": "09:00",
            "responsible": w.theirs.resident.pk,
        },
        what=T,
    ),
    probe("home-task-list", "get", lambda w: f"{V}/homes/{w.theirs.home.pk}/tasks", HIDDEN),
    probe(
        "home-task-list",
        "post",
        lambda w: f"{V}/homes/{w.theirs.home.pk}/tasks",
        HIDDEN,
        lambda w: {"title": "T", "due_at": "2099-01-01T10:00:00Z"},
    ),
    probe(
        "home-task-list",
        "post",
        lambda w: f"{V}/homes/{w.ours.home.pk}/tasks",
        REFUSED,
        lambda w: {
            "title": "T",
            "due_at": "2099-01-01T10:00:00Z",
            "assignee": w.theirs.resident.pk,
        },
        what=T,
    ),
    probe("home-bill-list", "get", lambda w: f"{V}/homes/{w.theirs.home.pk}/bills", HIDDEN),
    probe(
        "home-bill-list",
        "post",
        lambda w: f"{V}/homes/{w.theirs.home.pk}/bills",
        HIDDEN,
        lambda w: {
            "debtor": w.theirs.resident.pk,
            "creditor": w.theirs.admin.pk,
            "amount": "10.00",
            "description": "Pay me",
        },
    ),
    probe(
        "home-bill-list",
        "post",
        lambda w: f"{V}/homes/{w.ours.home.pk}/bills",
        REFUSED,
        lambda w: {
            "debtor": w.theirs.resident.pk,
            "creditor": w.ours.admin.pk,
            "amount": "10.00",
            "description": "Pay me",
        },
        what=T,
    ),
    probe("rule-detail", "get", lambda w: f"{V}/rules/{w.theirs.rule.pk}", HIDDEN),
    probe(
        "rule-detail",
        "patch",
        lambda w: f"{V}/rules/{w.theirs.rule.pk}",
        HIDDEN,
        lambda w: {"text": "Taken over"},
    ),
    probe("rule-detail", "delete", lambda w: f"{V}/rules/{w.theirs.rule.pk}", HIDDEN),
    probe("routine-detail", "get", lambda w: f"{V}/routines/{w.theirs.routine.pk}", HIDDEN),
    probe(
        "routine-detail",
        "patch",
        lambda w: f"{V}/routines/{w.theirs.routine.pk}",
        HIDDEN,
        lambda w: {"points": 999},
    ),
    probe("routine-detail", "delete", lambda w: f"{V}/routines/{w.theirs.routine.pk}", HIDDEN),
    probe(
        "routine-detail",
        "patch",
        lambda w: f"{V}/routines/{w.ours.routine.pk}",
        REFUSED,
        lambda w: {"responsible": w.theirs.resident.pk},
        what=T,
    ),
    probe("task-detail", "get", lambda w: f"{V}/tasks/{w.theirs.task.pk}", HIDDEN),
    probe(
        "task-detail",
        "patch",
        lambda w: f"{V}/tasks/{w.theirs.task.pk}",
        HIDDEN,
        lambda w: {"title": "Taken over"},
    ),
    probe("task-detail", "delete", lambda w: f"{V}/tasks/{w.theirs.task.pk}", HIDDEN),
    probe(
        "task-detail",
        "patch",
        lambda w: f"{V}/tasks/{w.ours.task.pk}",
        REFUSED,
        lambda w: {"assignee": w.theirs.resident.pk},
        what=T,
    ),
    probe("task-complete", "post", lambda w: f"{V}/tasks/{w.theirs.task.pk}/complete", HIDDEN),
    probe("task-approve", "post", lambda w: f"{V}/tasks/{w.theirs.task.pk}/approve", HIDDEN),
    probe(
        "task-send-back",
        "post",
        lambda w: f"{V}/tasks/{w.theirs.task.pk}/send-back",
        HIDDEN,
        lambda w: {"note": "Again"},
    ),
    probe("task-comments", "get", lambda w: f"{V}/tasks/{w.theirs.task.pk}/comments", HIDDEN),
    probe(
        "task-comments",
        "post",
        lambda w: f"{V}/tasks/{w.theirs.task.pk}/comments",
        HIDDEN,
        lambda w: {"body": "Hello"},
    ),
    # --- desk --------------------------------------------------------------------------
    *(
        probe(
            "canned-reply-detail",
            method,
            lambda w: f"{V}/canned-replies/{w.theirs.extra['canned_reply'].pk}",
            HIDDEN,
            body,
        )
        for method, body in (
            ("get", None),
            ("patch", lambda w: {"title": "Mine"}),
            ("delete", None),
        )
    ),
    probe(
        "canned-reply-list",
        "get",
        lambda w: f"{V}/canned-replies?company={w.theirs.company.pk}",
        {200, 403},  # an empty page, or 403 for whoever serves no company
        what="their company in the filter",
    ),
    probe(
        "canned-reply-list",
        "post",
        lambda w: f"{V}/canned-replies",
        REFUSED,
        lambda w: {"company": w.theirs.company.pk, "title": "In", "body": "x"},
        what=T,
    ),
    probe(
        "canned-reply-list",
        "post",
        lambda w: f"{V}/canned-replies",
        REFUSED,
        lambda w: {
            "company": w.ours.company.pk,
            "team": w.theirs.team.pk,
            "title": "In",
            "body": "x",
        },
        what="our company, their team in the body",
    ),
    probe(
        "order-messages",
        "post",
        lambda w: f"{V}/orders/{w.ours.order.pk}/messages",
        REFUSED,
        lambda w: {"canned_reply": w.theirs.extra["canned_reply"].pk},
        what="their canned reply in the body",
    ),
    probe("order-rating", "get", lambda w: f"{V}/orders/{w.theirs.order.pk}/rating", HIDDEN),
    probe(
        "order-rating",
        "post",
        lambda w: f"{V}/orders/{w.theirs.order.pk}/rating",
        HIDDEN,
        lambda w: {"score": 5},
    ),
    probe(
        "order-watcher-list", "get", lambda w: f"{V}/orders/{w.theirs.order.pk}/watchers", HIDDEN
    ),
    probe(
        "order-watcher-list",
        "post",
        lambda w: f"{V}/orders/{w.theirs.order.pk}/watchers",
        HIDDEN,
        lambda w: {"email": "in@ours.example"},
    ),
    probe(
        "order-watcher-list",
        "post",
        lambda w: f"{V}/orders/{w.ours.order.pk}/watchers",
        REFUSED,
        lambda w: {"user": w.theirs.requester.pk},
        what=T,
    ),
    probe(
        "order-watcher-detail",
        "delete",
        lambda w: f"{V}/orders/{w.theirs.order.pk}/watchers/{w.theirs.extra['watcher'].pk}",
        HIDDEN,
    ),
    probe(
        "order-watcher-detail",
        "delete",
        lambda w: f"{V}/orders/{w.ours.order.pk}/watchers/{w.theirs.extra['watcher'].pk}",
        HIDDEN,
        what="our order, their watcher",
    ),
    probe("bill-detail", "get", lambda w: f"{V}/bills/{w.theirs.bill.pk}", HIDDEN),
    probe(
        "bill-detail",
        "patch",
        lambda w: f"{V}/bills/{w.theirs.bill.pk}",
        HIDDEN,
        lambda w: {"amount": "1.00"},
    ),
    probe("bill-detail", "delete", lambda w: f"{V}/bills/{w.theirs.bill.pk}", HIDDEN),
    probe("bill-pay", "post", lambda w: f"{V}/bills/{w.theirs.bill.pk}/pay", HIDDEN),
    *(
        probe(f"bill-{step}", "post", lambda w, s=step: f"{V}/bills/{w.theirs.bill.pk}/{s}", HIDDEN)
        for step in ("report-payment", "confirm-payment", "reject-payment", "mark-unpaid")
    ),
    # --- visits and time entries -------------------------------------------------------------
    probe("order-visit-list", "get", lambda w: f"{V}/orders/{w.theirs.order.pk}/visits", HIDDEN),
    probe(
        "order-visit-list",
        "post",
        lambda w: f"{V}/orders/{w.theirs.order.pk}/visits",
        HIDDEN,
        lambda w: _visit_body(w.theirs.agent),
    ),
    probe(
        "order-visit-list",
        "post",
        lambda w: f"{V}/orders/{w.ours.order.pk}/visits",
        REFUSED,
        lambda w: _visit_body(w.theirs.agent),
        what="their technician in the body",
    ),
    probe("visit-detail", "get", lambda w: f"{V}/visits/{w.theirs.extra['visit'].pk}", HIDDEN),
    probe("visit-ics", "get", lambda w: f"{V}/visits/{w.theirs.extra['visit'].pk}/ics", HIDDEN),
    probe(
        "visit-cancel", "post", lambda w: f"{V}/visits/{w.theirs.extra['visit'].pk}/cancel", HIDDEN
    ),
    probe(
        "visit-reschedule",
        "post",
        lambda w: f"{V}/visits/{w.theirs.extra['visit'].pk}/reschedule",
        HIDDEN,
        lambda w: {"starts_at": _visit_body(w.theirs.agent)["starts_at"]},
    ),
    probe(
        "visit-reschedule",
        "post",
        lambda w: f"{V}/visits/{w.ours.extra['visit'].pk}/reschedule",
        REFUSED,
        lambda w: _visit_body(w.theirs.agent, with_duration=False),
        what="their technician in the body",
    ),
    probe(
        "order-time-entry-list",
        "get",
        lambda w: f"{V}/orders/{w.theirs.order.pk}/time-entries",
        HIDDEN,
    ),
    probe(
        "order-time-entry-list",
        "post",
        lambda w: f"{V}/orders/{w.theirs.order.pk}/time-entries",
        HIDDEN,
        lambda w: {"minutes": 10},
    ),
    probe(
        "time-entry-detail",
        "delete",
        lambda w: f"{V}/time-entries/{w.theirs.extra['time_entry'].pk}",
        HIDDEN,
    ),
    # --- webhooks --------------------------------------------------------------------------
    probe(
        "company-webhook-list",
        "get",
        lambda w: f"{V}/companies/{w.theirs.company.pk}/webhooks",
        HIDDEN,
    ),
    probe(
        "company-webhook-list",
        "post",
        lambda w: f"{V}/companies/{w.theirs.company.pk}/webhooks",
        HIDDEN,
        lambda w: {"url": "https://intruder.example.com/", "events": ["order.created"]},
    ),
    probe(
        "webhook-detail", "get", lambda w: f"{V}/webhooks/{w.theirs.extra['webhook'].pk}", HIDDEN
    ),
    probe(
        "webhook-detail",
        "patch",
        lambda w: f"{V}/webhooks/{w.theirs.extra['webhook'].pk}",
        HIDDEN,
        lambda w: {"url": "https://intruder.example.com/"},
    ),
    probe(
        "webhook-detail", "delete", lambda w: f"{V}/webhooks/{w.theirs.extra['webhook'].pk}", HIDDEN
    ),
    *(
        probe(
            f"webhook-{step}",
            "post",
            lambda w, s=step: f"{V}/webhooks/{w.theirs.extra['webhook'].pk}/{s}",
            HIDDEN,
        )
        for step in ("rotate-secret", "ping")
    ),
    probe(
        "webhook-delivery-list",
        "get",
        lambda w: f"{V}/webhooks/{w.theirs.extra['webhook'].pk}/deliveries",
        HIDDEN,
    ),
    probe(
        "webhook-delivery-detail",
        "get",
        lambda w: (
            f"{V}/webhooks/{w.theirs.extra['webhook'].pk}"
            f"/deliveries/{w.theirs.extra['webhook_delivery'].pk}"
        ),
        HIDDEN,
    ),
    probe(
        "webhook-delivery-detail",
        "get",
        lambda w: (
            f"{V}/webhooks/{w.ours.extra['webhook'].pk}"
            f"/deliveries/{w.theirs.extra['webhook_delivery'].pk}"
        ),
        REFUSED,
        what="our endpoint, their delivery in the URL",
    ),
    probe(
        "webhook-delivery-redeliver",
        "post",
        lambda w: (
            f"{V}/webhooks/{w.theirs.extra['webhook'].pk}"
            f"/deliveries/{w.theirs.extra['webhook_delivery'].pk}/redeliver"
        ),
        HIDDEN,
    ),
    probe(
        "webhook-delivery-redeliver",
        "post",
        lambda w: (
            f"{V}/webhooks/{w.ours.extra['webhook'].pk}"
            f"/deliveries/{w.theirs.extra['webhook_delivery'].pk}/redeliver"
        ),
        REFUSED,
        what="our endpoint, their delivery in the URL",
    ),
]


def _visit_body(technician, with_duration=True) -> dict:
    starts_at = (timezone.now() + timedelta(days=30)).isoformat()
    body = {"technician": technician.pk, "starts_at": starts_at}
    return {**body, "duration_minutes": 30} if with_duration else body


# Collections: no id in the URL; each is read with every filter it has set to their ids or
# to their secret word, and written with their ids in the body above where it takes any.
COLLECTIONS = {
    "user-list": f"{V}/users",
    "company-list": f"{V}/companies",
    "order-list": f"{V}/orders",
    "order-stats": f"{V}/orders/stats",
    "order-report": f"{V}/orders/report",
    "ong-list": f"{V}/ongs",
    "event-list": f"{V}/events",
    "payment-method-list": f"{V}/payment-methods",
    "donation-list": f"{V}/donations",
    "home-list": f"{V}/homes",
    "bill-list": f"{V}/bills",
    "task-list": f"{V}/tasks",
    "visit-list": f"{V}/visits",
    "equipment-list": f"{V}/equipment",
}
BASE_QUERY = {"order-report": {"format": "csv"}}
# Lists under one of our objects: read with the same filters set to their ids. Whoever of
# us may not read the list gets 403/404; nobody may see their rows through it.
NESTED_LISTS: dict[str, Callable[[World], str]] = {
    "user-companies": lambda w: f"{V}/users/{w.ours.admin.pk}/companies",
    "user-orders": lambda w: f"{V}/users/{w.ours.requester.pk}/orders",
    "canned-reply-list": lambda w: f"{V}/canned-replies",  # 403 for requesters
    "order-watcher-list": lambda w: f"{V}/orders/{w.ours.order.pk}/watchers",
    "member-list": lambda w: f"{V}/companies/{w.ours.company.pk}/members",
    "company-team-list": lambda w: f"{V}/companies/{w.ours.company.pk}/teams",
    "company-business-hours": lambda w: f"{V}/companies/{w.ours.company.pk}/business-hours",
    "company-holiday-list": lambda w: f"{V}/companies/{w.ours.company.pk}/holidays",
    "company-sla-target-list": lambda w: f"{V}/companies/{w.ours.company.pk}/sla-targets",
    "company-webhook-list": lambda w: f"{V}/companies/{w.ours.company.pk}/webhooks",
    "webhook-delivery-list": lambda w: f"{V}/webhooks/{w.ours.extra['webhook'].pk}/deliveries",
    "ong-withdrawals": lambda w: f"{V}/ongs/{w.ours.ong.pk}/withdrawals",
    "ong-events": lambda w: f"{V}/ongs/{w.ours.ong.pk}/events",
    "ong-participants": lambda w: f"{V}/ongs/{w.ours.ong.pk}/participants",
    "ong-donations": lambda w: f"{V}/ongs/{w.ours.ong.pk}/donations",
    "event-participants": lambda w: f"{V}/events/{w.ours.event.pk}/participants",
    "home-member-list": lambda w: f"{V}/homes/{w.ours.home.pk}/members",
    "home-leaderboard-list": lambda w: f"{V}/homes/{w.ours.home.pk}/leaderboard",
    "home-rule-list": lambda w: f"{V}/homes/{w.ours.home.pk}/rules",
    "home-routine-list": lambda w: f"{V}/homes/{w.ours.home.pk}/routines",
    "home-task-list": lambda w: f"{V}/homes/{w.ours.home.pk}/tasks",
    "home-bill-list": lambda w: f"{V}/homes/{w.ours.home.pk}/bills",
    "order-visit-list": lambda w: f"{V}/orders/{w.ours.order.pk}/visits",
    "order-time-entry-list": lambda w: f"{V}/orders/{w.ours.order.pk}/time-entries",
}
# Writes to a collection that take no id of anyone else (what they may set is checked by
# test_mass_assignment).
COLLECTION_WRITES_WITHOUT_IDS = {
    ("company-list", "post"): "registers a new company",
    ("payment-method-list", "post"): "saves the caller's own card",
    ("home-list", "post"): "creates a home for the caller",
    ("ong-list", "post"): "registers an NGO owned by the caller",
}


# --- the URL configuration -------------------------------------------------------------------


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def _methods(callback) -> set[str]:
    actions = getattr(callback, "actions", None)
    if actions:
        # DRF adds `head` to a viewset's actions at its first GET, so it depends on test order.
        return set(actions) - {"head", "options", "trace"}
    view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view is None:
        return {"get"}
    return {
        method
        for method in view.http_method_names
        if method not in {"options", "head", "trace"} and hasattr(view, method)
    }


def routes() -> dict[tuple[str, str], str]:
    """(route name, method) → route pattern, for every route of the URL configuration."""
    found = {}
    for route, pattern in _walk(get_resolver().url_patterns):
        for method in _methods(pattern.callback):
            found[(pattern.name or route, method)] = route
    return found


def _excluded(name: str, route: str) -> bool:
    return name in NOT_OBJECT_BEARING or route.startswith(tuple(NOT_OBJECT_BEARING_PREFIXES))


def test_every_route_and_method_is_classified():
    probed = {(p.route, p.method) for p in PROBES}
    listed = {(name, "get") for name in COLLECTIONS} | set(COLLECTION_WRITES_WITHOUT_IDS)
    unclassified = [
        f"{method.upper()} {route} ({name})"
        for (name, method), route in sorted(routes().items())
        if not _excluded(name, route) and (name, method) not in probed | listed
    ]
    assert not unclassified, (
        "Routes nobody probes for tenant isolation; add probes (or a reason) in "
        f"tests/test_isolation_matrix.py: {unclassified}"
    )
    stale = (probed | listed) - set(routes())
    assert not stale, f"Probes for routes that no longer exist: {stale}"


def test_every_query_filter_of_a_collection_is_classified():
    callbacks = {
        pattern.name: pattern.callback for _, pattern in _walk(get_resolver().url_patterns)
    }
    unknown = []
    lists = {
        name
        for name, callback in callbacks.items()
        if "list" in (getattr(callback, "actions", None) or {}).values()
    }
    unlisted = lists - set(COLLECTIONS) - set(NESTED_LISTS)
    assert not unlisted, f"Lists whose filters nobody probes: {sorted(unlisted)}"
    for name in lists:
        for filter_name in _filters(callbacks[name]):
            if filter_name not in ID_FILTERS and filter_name not in PLAIN_FILTERS:
                unknown.append(f"{name}?{filter_name}")
    assert not unknown, f"Classify these filters in ID_FILTERS or PLAIN_FILTERS: {unknown}"


def _filters(callback) -> list[str]:
    view = callback.cls
    if getattr(view, "filterset_class", None):
        return list(view.filterset_class.base_filters)
    return list(getattr(view, "filterset_fields", None) or [])


# --- the probes ------------------------------------------------------------------------------


def _call(client, method: str, url: str, body=None):
    data = "" if body is None else json.dumps(body)  # None would be sent as the text "None"
    return client.generic(method.upper(), url, data=data, content_type="application/json")


def _body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def _check(response, expected, checkpoint, label, method="get") -> list[str]:
    problems = []
    if response.status_code not in expected:
        problems.append(f"{label}: {response.status_code} (expected {sorted(expected)})")
    if SECRET.encode() in _body(response):
        problems.append(f"{label}: the response shows their data")
    # After each write, row counts and the latest `updated_at` per table (one query); the
    # full checksum of every row runs once at the end of the test.
    if method != "get" and (now := quick_state()) != checkpoint["quick"]:
        changed = sorted({row[0] for row in set(now) ^ set(checkpoint["quick"])})
        problems.append(f"{label}: changed {changed}")
        checkpoint["quick"] = now  # so the next probes report only their own changes
    if len(mail.outbox) or outbound_email_count() != checkpoint["outbox"]:
        problems.append(f"{label}: queued an e-mail")
        checkpoint["outbox"] = outbound_email_count()  # as above: report each probe's own
        mail.outbox.clear()
    return problems


@pytest.fixture
def world(db) -> World:
    return build_world()


CALLERS = [
    "company admin, NGO manager, home admin",
    "agent",
    "requester",
    "home resident, event participant",
    "NGO admin",
    "stranger",
]


@pytest.mark.parametrize("caller", CALLERS)
def test_nobody_reaches_another_tenants_objects(client_for, world, caller):
    # given: both tenants, and one person of ours
    client = client_for(world.callers()[caller])
    before, checkpoint = database_state(), {"quick": quick_state()}
    checkpoint["outbox"] = outbound_email_count()
    mail.outbox.clear()

    # when: every probe is made
    problems = []
    for p in PROBES:
        response = _call(client, p.method, p.url(world), p.body(world) if p.body else None)
        label = f"{p.label()} as {caller}"
        problems += _check(response, p.expected, checkpoint, label, p.method)
    if changed := changed_tables(before):
        problems.append(f"the requests as {caller} changed {changed}")

    # then
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("caller", CALLERS)
def test_no_filter_or_search_shows_another_tenants_rows(client_for, world, caller):
    # given
    client = client_for(world.callers()[caller])
    callbacks = {
        pattern.name: pattern.callback for _, pattern in _walk(get_resolver().url_patterns)
    }
    before, checkpoint = database_state(), {"quick": quick_state()}
    checkpoint["outbox"] = outbound_email_count()
    mail.outbox.clear()

    # when: each collection is read plainly, searched for their secret, and filtered by each
    # of its filters set to their id (or their secret word)
    problems, requests = [], 0
    lists = {**COLLECTIONS, **{name: url(world) for name, url in NESTED_LISTS.items()}}
    for name, url in lists.items():
        queries = [{}, {"search": SECRET}]
        for filter_name in _filters(callbacks[name]):
            if filter_name in ID_FILTERS:
                queries.append({filter_name: ID_FILTERS[filter_name](world)})
            elif PLAIN_FILTERS.get(filter_name) is not None:
                queries.append({filter_name: PLAIN_FILTERS[filter_name]})
        for query in queries:
            requests += 1
            response = client.get(url, {**BASE_QUERY.get(name, {}), **query})
            label = f"GET {name} {query} as {caller}"
            allowed = {200, 400} if name in COLLECTIONS else {200, 400, 403, 404}
            problems += _check(response, allowed, checkpoint, label)
    if changed := changed_tables(before):
        problems.append(f"the reads as {caller} changed {changed}")

    # then
    assert requests > len(COLLECTIONS) * 2
    assert not problems, "\n".join(problems)
