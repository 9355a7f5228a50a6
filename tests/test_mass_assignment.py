"""Mass assignment: no writable endpoint lets a caller set what is not theirs to set.

Every POST/PATCH/PUT route of the URL configuration is listed in `WRITES` (a valid request
by someone allowed to make it) or in `NOT_WRITABLE_BY_USERS` with the reason; a new one
that is neither fails `test_every_writable_route_is_covered`. Each write is made twice,
each time inside a savepoint that is rolled back: once as is, once with every privileged
field it does not take (`is_staff`, `role`, `company`, `owner`, `status`, `assignee`,
`points`, `amount`, ...) set to a hostile value. The second must be a 400 naming each of
those fields, and store nothing.
"""

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.db import transaction
from django.db.models import ForeignKey
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from validate_docbr import CNPJ

from accounts.tests.factories import PASSWORD
from companies.tests.factories import CompanyFactory, TeamFactory
from homes.models import HomeInvitation, HomeMember, Task
from homes.selectors import invitation_token_hash
from homes.tests.factories import BillFactory, TaskFactory
from orders.models import Order
from orders.tests.factories import OrderFactory
from tests.test_isolation_matrix import NOT_OBJECT_BEARING_PREFIXES, routes
from tests.world import STATE_APPS, World, build_world

pytestmark = pytest.mark.django_db

WRITE_METHODS = {"post", "patch", "put"}
REFUSAL = "This field cannot be set here"  # core.serializers.InputSerializer

# Hostile values for the fields no caller may set where the endpoint does not take them.
# Ids point at the other tenant (filled in per world).
PRIVILEGED: dict[str, Callable[[World], Any]] = {
    "id": lambda w: 999_999,
    "is_staff": lambda w: True,
    "is_superuser": lambda w: True,
    "is_active": lambda w: False,
    "role": lambda w: "admin",
    "company": lambda w: w.theirs.company.pk,
    "owner": lambda w: w.theirs.admin.pk,
    "user": lambda w: w.theirs.admin.pk,
    "requester": lambda w: w.theirs.requester.pk,
    "created_by": lambda w: w.theirs.admin.pk,
    "requested_by": lambda w: w.theirs.admin.pk,
    "donor": lambda w: w.theirs.admin.pk,
    "home": lambda w: w.theirs.home.pk,
    "ong": lambda w: w.theirs.ong.pk,
    "status": lambda w: "closed",
    "assignee": lambda w: w.ours.agent.pk,
    "balance": lambda w: "999999.00",
    "points": lambda w: 7777,
    "amount": lambda w: "999999.00",
    "is_paid": lambda w: True,
    "password": lambda w: "Hijacked-Password-123",
    "session_version": lambda w: 0,
    "solution": lambda w: "Closed by mass assignment",
}

# Columns whose value differs between two identical requests (random salts, tokens, clocks).
VOLATILE = {
    "id",
    "password",
    "token",
    "jti",
    "token_hash",
    "gateway_token",
    "reference",
    "gateway_reference",
    "key",
    "fingerprint_hash",
    "message_id",
    "dedupe_key",
}


def _volatile(column: str) -> bool:
    return column in VOLATILE or column.endswith(("_at", "_on")) or column == "last_login"


@functools.cache
def _schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def accepted_fields(method: str, url: str) -> set[str]:
    """The body fields the OpenAPI schema says the operation takes: the ones its callers
    may set by design (a bill's amount, a member's role), so they are not "privileged"
    there."""
    schema = _schema()
    matches = [
        path for path in schema["paths"] if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", path), url)
    ]
    assert matches, f"{url} is not in the schema"
    path = min(matches, key=lambda p: p.count("{"))  # users/me before users/{id}
    operation = schema["paths"][path][method]
    fields = set()
    for content in operation.get("requestBody", {}).get("content", {}).values():
        ref = content["schema"].get("$ref", "")
        component = schema["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {})
        fields |= set(component.get("properties", {}))
    return fields


# Privileged-looking fields that some operations take by design, and why. Any other one
# showing up in an operation's request schema fails `test_privileged_fields_taken_by_design`.
TAKEN_BY_DESIGN = {
    ("auth-register", "post"): {"password": "the new account's password"},
    ("auth-login", "post"): {"password": "the credential"},
    ("member-list", "post"): {
        "password": "a new account's password",
        "role": "admins choose the new member's role",
    },
    ("member-detail", "patch"): {"role": "admins change roles"},
    ("order-list", "post"): {"company": "one of the requester's companies (validated)"},
    ("order-assign", "post"): {"assignee": "an agent of the order's company (validated)"},
    ("order-close", "post"): {"solution": "the closing note"},
    ("canned-reply-list", "post"): {"company": "one of the author's companies (validated)"},
    ("order-watcher-list", "post"): {"user": "a person of the order's company (validated)"},
    ("ong-withdrawals", "post"): {"amount": "never more than the balance"},
    ("event-list", "post"): {"ong": "an NGO the caller manages (validated)"},
    ("ong-donations", "post"): {"amount": "within the donation limits"},
    ("home-member-list", "post"): {"role": "admins choose the invitee's role"},
    ("home-member-detail", "patch"): {"role": "admins change roles"},
    ("home-routine-list", "post"): {"points": "admins only"},
    ("home-task-list", "post"): {
        "assignee": "a resident of the home (validated)",
        "points": "admins only (403 otherwise)",
    },
    ("home-bill-list", "post"): {"amount": "the bill's amount"},
    ("routine-detail", "patch"): {"points": "admins only"},
    ("task-detail", "patch"): {
        "assignee": "a resident of the home (validated)",
        "points": "admins only",
    },
    ("bill-detail", "patch"): {"amount": "the creditor or an admin corrects it"},
    ("equipment-list", "post"): {"company": "one of the caller's companies (validated)"},
    ("equipment-status", "post"): {"status": "the item's condition, the action's one field"},
    ("company-webhook-list", "post"): {"is_active": "admins may register an endpoint paused"},
    ("webhook-detail", "patch"): {"is_active": "admins pause and resume their endpoint"},
}

NOT_WRITABLE_BY_USERS = {
    "inbound-email": "signed provider webhook; what it stores comes from the e-mail",
    "home-photo": "a multipart upload whose one field is the file (homes/tests/test_api_homes.py)",
    "user-me-photo": "a multipart upload whose one field is the file (accounts/tests)",
    "equipment-import": "a multipart upload: a file and a company (equipment/tests)",
    "order-attachments": "a multipart upload of `file` and `message`; `source`, `uploaded_by` "
    "and any other field are 400 (orders/tests/test_api_attachment_uploads.py)",
    "invitation-page": "an HTML form (CSRF) taking a password and a name, nothing stored from "
    "anything else (homes/tests/test_invitation_page.py)",
    "rating-page": "an HTML form (CSRF) taking a score and a comment, reached by a signed "
    "link (desk/tests/test_api_rating.py)",
}


@dataclass(frozen=True)
class Write:
    route: str
    method: str
    caller: Callable[[World], Any]  # a user, or None for anonymous
    url: Callable[[World], str]
    body: Callable[[World], dict] = lambda w: {}

    def label(self) -> str:
        return f"{self.method.upper()} {self.route}"


V = "/api/v1"
_cnpj = CNPJ()


def _event(w):
    starts = timezone.now() + timedelta(days=5)
    return {
        "ong": w.ours.ong.pk,
        "title": "Mutirão",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
    }


WRITES = [
    # accounts
    Write(
        "auth-register",
        "post",
        lambda w: None,
        lambda w: f"{V}/auth/register",
        lambda w: {"email": "new@example.com", "password": "a-Long-pass-phrase-9", "name": "New"},
    ),
    Write(
        "auth-login",
        "post",
        lambda w: None,
        lambda w: f"{V}/auth/login",
        lambda w: {"email": w.ours.agent.email, "password": PASSWORD},
    ),
    Write(
        "auth-refresh",
        "post",
        lambda w: None,
        lambda w: f"{V}/auth/refresh",
        lambda w: {"refresh": w.ours.refresh_token},
    ),
    Write(
        "auth-logout",
        "post",
        lambda w: w.ours.admin,
        lambda w: f"{V}/auth/logout",
        lambda w: {"refresh": w.ours.refresh_token},
    ),
    Write("auth-logout-all", "post", lambda w: w.ours.admin, lambda w: f"{V}/auth/logout-all"),
    Write(
        "user-me",
        "patch",
        lambda w: w.ours.agent,
        lambda w: f"{V}/users/me",
        lambda w: {"name": "Renamed"},
    ),
    Write(
        "user-me-password",
        "post",
        lambda w: w.ours.agent,
        lambda w: f"{V}/users/me/password",
        lambda w: {"current_password": PASSWORD, "new_password": "another-Long-phrase-7"},
    ),
    Write(
        "user-detail",
        "patch",
        lambda w: w.ours.agent,
        lambda w: f"{V}/users/{w.ours.agent.pk}",
        lambda w: {"name": "Renamed"},
    ),
    # companies
    Write(
        "company-list",
        "post",
        lambda w: w.stranger,
        lambda w: f"{V}/companies",
        lambda w: {"cnpj": w.extra["cnpj"], "legal_name": "Nova Ltda"},
    ),
    Write(
        "company-detail",
        "patch",
        lambda w: w.ours.admin,
        lambda w: f"{V}/companies/{w.ours.company.pk}",
        lambda w: {"legal_name": "Renamed Ltda"},
    ),
    Write(
        "company-activate",
        "post",
        lambda w: w.extra["staff"],
        lambda w: f"{V}/companies/{w.extra['inactive_company'].pk}/activate",
    ),
    Write(
        "company-deactivate",
        "post",
        lambda w: w.extra["staff"],
        lambda w: f"{V}/companies/{w.ours.company.pk}/deactivate",
    ),
    Write(
        "member-list",
        "post",
        lambda w: w.ours.admin,
        lambda w: f"{V}/companies/{w.ours.company.pk}/members",
        lambda w: {"email": w.stranger.email, "role": "requester"},
    ),
    Write(
        "member-detail",
        "patch",
        lambda w: w.ours.admin,
        lambda w: f"{V}/companies/{w.ours.company.pk}/members/{w.ours.requester.pk}",
        lambda w: {"role": "agent"},
    ),
    Write(
        "member-deactivate",
        "post",
        lambda w: w.ours.admin,
        lambda w: f"{V}/companies/{w.ours.company.pk}/members/{w.ours.requester.pk}/deactivate",
    ),
    Write(
        "company-team-list",
        "post",
        lambda w: w.ours.admin,
        lambda w: f"{V}/companies/{w.ours.company.pk}/teams",
        lambda w: {"name": "Field"},
    ),
    Write(
        "team-detail",
        "patch",
        lambda w: w.ours.admin,
        lambda w: f"{V}/teams/{w.ours.team.pk}",
        lambda w: {"name": "Renamed"},
    ),
    # orders
    Write(
        "order-list",
        "post",
        lambda w: w.ours.requester,
        lambda w: f"{V}/orders",
        lambda w: {"company": w.ours.company.pk, "equipment": "printer", "title": "Jam"},
    ),
    Write(
        "order-detail",
        "patch",
        lambda w: w.ours.requester,
        lambda w: f"{V}/orders/{w.ours.order.pk}",
        lambda w: {"title": "Renamed"},
    ),
    Write(
        "order-take",
        "post",
        lambda w: w.ours.agent,
        lambda w: f"{V}/orders/{w.ours.order.pk}/take",
    ),
    Write(
        "order-assign",
        "post",
        lambda w: w.ours.admin,
        lambda w: f"{V}/orders/{w.ours.order.pk}/assign",
        lambda w: {"assignee": w.ours.agent.pk},
    ),
    Write(
        "order-release",
        "post",
        lambda w: w.ours.agent,
        lambda w: f"{V}/orders/{w.extra['in_progress'].pk}/release",
    ),
    Write(
        "order-close",
        "post",
        lambda w: w.ours.agent,
        lambda w: f"{V}/orders/{w.extra['in_progress'].pk}/close",
        lambda w: {"solution": "Fixed"},
    ),
    Write(
        "order-reopen",
        "post",
        lambda w: w.ours.requester,
        lambda w: f"{V}/orders/{w.extra['closed'].pk}/reopen",
    ),
    Write(
        "order-redirect",
        "post",
        lambda w: w.ours.admin,
        lambda w: f"{V}/orders/{w.ours.order.pk}/redirect",
        lambda w: {"team": w.extra["other_team"].pk},
    ),
    Write(
        "order-priority",
        "post",
        lambda w: w.ours.admin,
        lambda w: f"{V}/orders/{w.ours.order.pk}/priority",
        lambda w: {"priority": "urgent"},
    ),
    Write(
        "order-wait",
        "post",
        lambda w: w.ours.admin,
        lambda w: f"{V}/orders/{w.extra['in_progress'].pk}/wait",
        lambda w: {"note": "Which floor?"},
    ),
    # service levels
    Write(
        "company-business-hours",
        "put",
        lambda w: w.ours.admin,
        lambda w: f"{V}/companies/{w.ours.company.pk}/business-hours",
        lambda w: {"ranges": [{"weekday": 0, "opens": "08:00", "closes": "12:00"}]},
    ),
    Write(
        "company-holiday-list",
        "post",
        lambda w: w.ours.admin,
        lambda w: f"{V}/companies/{w.ours.company.pk}/holidays",
        lambda w: {"date": "2026-11-20", "name": "Consciência Negra"},
    ),
    Write(
        "company-sla-target-list",
        "post",
        lambda w: w.ours.admin,
        lambda w: f"{V}/companies/{w.ours.company.pk}/sla-targets",
        lambda w: {"priority": "low", "first_response_minutes": 60, "resolution_minutes": 600},
    ),
    Write(
        "sla-target-detail",
        "patch",
        lambda w: w.ours.admin,
        lambda w: f"{V}/sla-targets/{w.ours.extra['sla_target'].pk}",
        lambda w: {"resolution_minutes": 480},
    ),
    Write(
        "order-messages",
        "post",
        lambda w: w.ours.requester,
        lambda w: f"{V}/orders/{w.ours.order.pk}/messages",
        lambda w: {"body": "Any news?"},
    ),
    # desk
    Write(
        "canned-reply-list",
        "post",
        lambda w: w.ours.admin,
        lambda w: f"{V}/canned-replies",
        lambda w: {"company": w.ours.company.pk, "title": "New", "body": "Hi {requester_name}"},
    ),
    Write(
        "canned-reply-detail",
        "patch",
        lambda w: w.ours.admin,
        lambda w: f"{V}/canned-replies/{w.ours.extra['canned_reply'].pk}",
        lambda w: {"body": "Hello {requester_name}"},
    ),
    Write(
        "order-rating",
        "post",
        lambda w: w.ours.requester,
        lambda w: f"{V}/orders/{w.extra['closed'].pk}/rating",
        lambda w: {"score": 4},
    ),
    Write(
        "order-watcher-list",
        "post",
        lambda w: w.ours.agent,
        lambda w: f"{V}/orders/{w.ours.order.pk}/watchers",
        lambda w: {"email": "watcher@ours.example"},
    ),
    # NGOs, events, payments
    Write(
        "ong-list",
        "post",
        lambda w: w.stranger,
        lambda w: f"{V}/ongs",
        lambda w: {"name": "Nova", "cause": "social", "email": "nova@ngo.example"},
    ),
    Write(
        "ong-detail",
        "patch",
        lambda w: w.ours.ong_admin,
        lambda w: f"{V}/ongs/{w.ours.ong.pk}",
        lambda w: {"phone": "11 5555-0000"},
    ),
    Write(
        "ong-withdrawals",
        "post",
        lambda w: w.ours.ong_admin,
        lambda w: f"{V}/ongs/{w.ours.ong.pk}/withdrawals",
        lambda w: {"amount": "5.00"},
    ),
    Write("event-list", "post", lambda w: w.ours.ong_admin, lambda w: f"{V}/events", _event),
    Write(
        "event-detail",
        "patch",
        lambda w: w.ours.ong_admin,
        lambda w: f"{V}/events/{w.ours.event.pk}",
        lambda w: {"title": "Renamed"},
    ),
    Write(
        "event-registration",
        "post",
        lambda w: w.stranger,
        lambda w: f"{V}/events/{w.ours.event.pk}/registration",
    ),
    Write(
        "payment-method-list",
        "post",
        lambda w: w.stranger,
        lambda w: f"{V}/payment-methods",
        lambda w: {
            "number": "4242424242424242",
            "exp_month": 12,
            "exp_year": 2099,
            "cvc": "123",
            "holder_name": "Stranger",
        },
    ),
    Write(
        "payment-method-detail",
        "patch",
        lambda w: w.ours.admin,
        lambda w: f"{V}/payment-methods/{w.ours.card.pk}",
        lambda w: {"holder_name": "Renamed"},
    ),
    Write(
        "ong-donations",
        "post",
        lambda w: w.ours.admin,
        lambda w: f"{V}/ongs/{w.theirs.ong.pk}/donations",
        lambda w: {"payment_method": w.ours.card.pk, "amount": "5.00"},
    ),
    # homes
    Write(
        "home-invitation-accept",
        "post",
        lambda w: w.stranger,
        lambda w: f"{V}/homes/invitations/{w.extra['stranger_invitation']}/accept",
    ),
    Write(
        "home-list", "post", lambda w: w.stranger, lambda w: f"{V}/homes", lambda w: {"name": "C"}
    ),
    Write(
        "home-detail",
        "patch",
        lambda w: w.ours.admin,
        lambda w: f"{V}/homes/{w.ours.home.pk}",
        lambda w: {"name": "Renamed"},
    ),
    Write(
        "home-member-list",
        "post",
        lambda w: w.ours.admin,
        lambda w: f"{V}/homes/{w.ours.home.pk}/members",
        lambda w: {"email": w.ours.agent.email},
    ),
    Write(
        "home-member-detail",
        "patch",
        lambda w: w.ours.admin,
        lambda w: f"{V}/homes/{w.ours.home.pk}/members/{w.ours.resident.pk}",
        lambda w: {"role": "admin"},
    ),
    Write(
        "home-rule-list",
        "post",
        lambda w: w.ours.admin,
        lambda w: f"{V}/homes/{w.ours.home.pk}/rules",
        lambda w: {"text": "Quiet after ten"},
    ),
    Write(
        "home-routine-list",
        "post",
        lambda w: w.ours.admin,
        lambda w: f"{V}/homes/{w.ours.home.pk}/routines",
        lambda w: {
            "name": "Trash",
            "weekdays": [0],
            "time_limit": "09:00",
            "responsible": w.ours.resident.pk,
        },
    ),
    Write(
        "home-task-list",
        "post",
        lambda w: w.ours.resident,
        lambda w: f"{V}/homes/{w.ours.home.pk}/tasks",
        lambda w: {"title": "Dishes", "due_at": "2099-01-01T10:00:00Z"},
    ),
    Write(
        "home-bill-list",
        "post",
        lambda w: w.ours.resident,
        lambda w: f"{V}/homes/{w.ours.home.pk}/bills",
        lambda w: {
            "debtor": w.ours.admin.pk,
            "creditor": w.ours.resident.pk,
            "amount": "10.00",
            "description": "Gas",
        },
    ),
    Write(
        "rule-detail",
        "patch",
        lambda w: w.ours.admin,
        lambda w: f"{V}/rules/{w.ours.rule.pk}",
        lambda w: {"text": "Renamed"},
    ),
    Write(
        "routine-detail",
        "patch",
        lambda w: w.ours.admin,
        lambda w: f"{V}/routines/{w.ours.routine.pk}",
        lambda w: {"name": "Renamed"},
    ),
    Write(
        "task-detail",
        "patch",
        lambda w: w.ours.admin,
        lambda w: f"{V}/tasks/{w.ours.task.pk}",
        lambda w: {"title": "Renamed"},
    ),
    Write(
        "task-complete",
        "post",
        lambda w: w.ours.resident,
        lambda w: f"{V}/tasks/{w.ours.task.pk}/complete",
    ),
    Write(
        "task-approve",
        "post",
        lambda w: w.ours.admin,
        lambda w: f"{V}/tasks/{w.extra['task_in_review'].pk}/approve",
    ),
    Write(
        "task-send-back",
        "post",
        lambda w: w.ours.admin,
        lambda w: f"{V}/tasks/{w.extra['task_in_review'].pk}/send-back",
        lambda w: {"note": "The floor is still wet"},
    ),
    Write(
        "task-comments",
        "post",
        lambda w: w.ours.resident,
        lambda w: f"{V}/tasks/{w.ours.task.pk}/comments",
        lambda w: {"body": "On it tonight"},
    ),
    Write(
        "bill-report-payment",
        "post",
        lambda w: w.ours.resident,
        lambda w: f"{V}/bills/{w.ours.bill.pk}/report-payment",
    ),
    Write(
        "bill-confirm-payment",
        "post",
        lambda w: w.ours.admin,
        lambda w: f"{V}/bills/{w.extra['bill_reported'].pk}/confirm-payment",
    ),
    Write(
        "bill-reject-payment",
        "post",
        lambda w: w.ours.admin,
        lambda w: f"{V}/bills/{w.extra['bill_reported'].pk}/reject-payment",
    ),
    Write(
        "bill-mark-unpaid",
        "post",
        lambda w: w.ours.admin,
        lambda w: f"{V}/bills/{w.extra['bill_paid'].pk}/mark-unpaid",
    ),
    Write(
        "bill-detail",
        "patch",
        lambda w: w.ours.admin,
        lambda w: f"{V}/bills/{w.ours.bill.pk}",
        lambda w: {"description": "Renamed"},
    ),
    Write("bill-pay", "post", lambda w: w.ours.admin, lambda w: f"{V}/bills/{w.ours.bill.pk}/pay"),
    # Visits and time entries
    Write(
        "order-visit-list",
        "post",
        lambda w: w.ours.admin,
        lambda w: f"{V}/orders/{w.ours.order.pk}/visits",
        lambda w: {
            "technician": w.ours.agent.pk,
            "starts_at": (timezone.now() + timedelta(days=30)).isoformat(),
            "duration_minutes": 30,
        },
    ),
    Write(
        "visit-reschedule",
        "post",
        lambda w: w.ours.admin,
        lambda w: f"{V}/visits/{w.ours.extra['visit'].pk}/reschedule",
        lambda w: {"starts_at": (timezone.now() + timedelta(days=31)).isoformat()},
    ),
    Write(
        "visit-cancel",
        "post",
        lambda w: w.ours.admin,
        lambda w: f"{V}/visits/{w.ours.extra['visit'].pk}/cancel",
    ),
    Write(
        "order-time-entry-list",
        "post",
        lambda w: w.ours.agent,
        lambda w: f"{V}/orders/{w.ours.order.pk}/time-entries",
        lambda w: {"minutes": 10},
    ),
    # equipment
    Write(
        "equipment-list",
        "post",
        lambda w: w.ours.agent,
        lambda w: f"{V}/equipment",
        lambda w: {"company": w.ours.company.pk, "kind": "ups", "serial_number": "UPS-1"},
    ),
    Write(
        "equipment-detail",
        "patch",
        lambda w: w.ours.agent,
        lambda w: f"{V}/equipment/{w.ours.extra['equipment'].pk}",
        lambda w: {"room": "301"},
    ),
    Write(
        "equipment-status",
        "post",
        lambda w: w.ours.agent,
        lambda w: f"{V}/equipment/{w.ours.extra['equipment'].pk}/status",
        lambda w: {"status": "in_repair"},
    ),
    # webhooks (a literal public address: the SSRF guard needs no DNS for it)
    Write(
        "company-webhook-list",
        "post",
        lambda w: w.ours.admin,
        lambda w: f"{V}/companies/{w.ours.company.pk}/webhooks",
        lambda w: {"url": "https://93.184.215.14/hooks", "events": ["order.created"]},
    ),
    Write(
        "webhook-detail",
        "patch",
        lambda w: w.ours.admin,
        lambda w: f"{V}/webhooks/{w.ours.extra['webhook'].pk}",
        lambda w: {"description": "Renamed"},
    ),
    *(
        Write(
            f"webhook-{step}",
            "post",
            lambda w: w.ours.admin,
            lambda w, s=step: f"{V}/webhooks/{w.ours.extra['webhook'].pk}/{s}",
        )
        for step in ("rotate-secret", "ping")
    ),
    Write(
        "webhook-delivery-redeliver",
        "post",
        lambda w: w.ours.admin,
        lambda w: (
            f"{V}/webhooks/{w.ours.extra['webhook'].pk}"
            f"/deliveries/{w.ours.extra['webhook_delivery'].pk}/redeliver"
        ),
    ),
]


def test_every_writable_route_is_covered():
    covered = {(write.route, write.method) for write in WRITES}
    missing = [
        f"{method.upper()} {name} ({route})"
        for (name, method), route in sorted(routes().items())
        if method in WRITE_METHODS
        and not route.startswith(tuple(NOT_OBJECT_BEARING_PREFIXES))
        and name not in NOT_WRITABLE_BY_USERS
        and (name, method) not in covered
    ]
    assert not missing, f"Writable routes without a mass-assignment check: {missing}"


# --- stored rows -----------------------------------------------------------------------------


def _models():
    for label in STATE_APPS:
        yield from apps.get_app_config(label).get_models()


def _rows() -> dict[str, dict[Any, dict]]:
    return {
        model._meta.db_table: {row["id"]: row for row in model.objects.values()}
        for model in _models()
        if model._meta.pk.attname == "id"
    }


def _foreign_tables(model) -> dict[str, str]:
    return {
        field.attname: field.related_model._meta.db_table
        for field in model._meta.concrete_fields
        if isinstance(field, ForeignKey)
    }


def _effect(before: dict, after: dict) -> dict:
    """What a request stored: changed columns of old rows, and new rows. Ids of rows the
    request created differ between two runs (PostgreSQL does not roll sequences back), so
    foreign keys to them read as "new", and digits inside texts and JSON (an e-mail's
    "[#42]") are masked; numeric columns, where the privileged numbers would land, are
    compared exactly."""

    def show(value) -> str:
        if not isinstance(value, str | dict | list):  # numbers and ids are compared as is
            return repr(value)
        text = re.sub(r"\w*\d\w{10,}", "TOKEN", repr(value))  # references, message ids
        return re.sub(r"\d+", "N", text)

    changed, created = {}, {}
    for model in _models():
        table = model._meta.db_table
        if table not in after:
            continue
        foreign = _foreign_tables(model)
        for pk, row in after[table].items():
            old = before[table].get(pk)
            if old is not None:
                diff = {
                    column: show(value)
                    for column, value in row.items()
                    if old[column] != value and not _volatile(column)
                }
                if diff:
                    changed[(table, pk)] = diff
                continue
            normalized = []
            for column, value in sorted(row.items()):
                if _volatile(column):
                    continue
                target = foreign.get(column)
                if target and value is not None and value not in before.get(target, {}):
                    value = "new"
                normalized.append((column, show(value)))
            created.setdefault(table, []).append(tuple(normalized))
        deleted = set(before[table]) - set(after[table])
        if deleted:
            changed[(table, "deleted")] = sorted(deleted)
    return {
        "changed": changed,
        "created": {table: sorted(rows) for table, rows in created.items()},
    }


def _attempt(client, method: str, url: str, body: dict):
    with transaction.atomic():
        before = _rows()
        response = client.generic(
            method.upper(),
            url,
            data=json.dumps(body),
            content_type="application/json",
        )
        effect = _effect(before, _rows())
        transaction.set_rollback(True)
    return response, effect


@pytest.fixture
def world(db, staff_user) -> World:
    w = build_world()
    ours = w.ours
    in_progress = OrderFactory(
        company=ours.company,
        requester=ours.requester,
        team=ours.team,
        status=Order.Status.IN_PROGRESS,
        assignee=ours.agent,
    )
    closed = OrderFactory(
        company=ours.company,
        requester=ours.requester,
        team=ours.team,
        status=Order.Status.CLOSED,
        assignee=ours.agent,
        solution="Done",
    )
    HomeInvitation.objects.create(
        home=ours.home,
        email=w.stranger.email,
        role=HomeMember.Role.RESIDENT,
        token_hash=invitation_token_hash("stranger-invitation"),
        invited_by=ours.admin,
        expires_at=timezone.now() + timedelta(days=3),
    )
    now = timezone.now()
    w.extra = {
        "task_in_review": TaskFactory(
            home=ours.home,
            assignee=ours.resident,
            status=Task.Status.IN_REVIEW,
            completed_by=ours.resident,
            completed_at=now,
        ),
        "bill_reported": BillFactory(
            home=ours.home, debtor=ours.resident, creditor=ours.admin, payment_reported_at=now
        ),
        "bill_paid": BillFactory(
            home=ours.home, debtor=ours.resident, creditor=ours.admin, is_paid=True, paid_at=now
        ),
        "staff": staff_user,
        "in_progress": in_progress,
        "closed": closed,
        "other_team": TeamFactory(company=ours.company, name="Other"),
        "inactive_company": CompanyFactory(is_active=False),
        "cnpj": _cnpj.generate(),
        "stranger_invitation": "stranger-invitation",
    }
    return w


GROUPS = {
    "accounts": ("auth-", "user-"),
    "companies": ("company-", "member-", "team-"),
    "orders": ("order-", "canned-reply-"),
    "ngos, events, payments": ("ong-", "event-", "payment-", "donation-"),
    "homes": ("home-", "rule-", "routine-", "task-", "bill-"),
    "visits": ("visit-",),
    "service levels": ("sla-",),
    "equipment": ("equipment-",),
    "webhooks": ("webhook-",),
}


def test_privileged_fields_taken_by_design(world):
    unexpected = {}
    for write in WRITES:
        taken = accepted_fields(write.method, write.url(world)) & set(PRIVILEGED)
        allowed = set(TAKEN_BY_DESIGN.get((write.route, write.method), {}))
        if taken != allowed:
            unexpected[write.label()] = sorted(taken ^ allowed)
    assert not unexpected, f"Review these fields (and TAKEN_BY_DESIGN): {unexpected}"


def test_the_groups_cover_every_write():
    grouped = [w for w in WRITES if any(w.route.startswith(p) for p in sum(GROUPS.values(), ()))]
    assert len(grouped) == len(WRITES)


@pytest.mark.parametrize("group", GROUPS)
def test_privileged_fields_in_a_body_change_nothing(world, client_for, api_client, group):
    problems, checked = [], 0
    for write in WRITES:
        if not write.route.startswith(GROUPS[group]):
            continue
        caller = write.caller(world)
        client = client_for(caller) if caller else api_client
        base, url = write.body(world), write.url(world)
        allowed = accepted_fields(write.method, url)
        hostile = {name: value(world) for name, value in PRIVILEGED.items() if name not in allowed}

        # when: the same write, without and with the privileged fields
        plain_response, _ = _attempt(client, write.method, url, base)
        hostile_response, attacked = _attempt(client, write.method, url, {**base, **hostile})

        # then: the write worked; with the extra fields it is a 400 naming each of them, and
        # nothing is stored
        checked += len(hostile)
        if plain_response.status_code >= 300:
            problems.append(
                f"{write.label()}: the plain request failed: {plain_response.content[:300]}"
            )
        if not hostile:
            continue
        refused = hostile_response.json().get("errors", {}) if hostile_response.content else {}
        if hostile_response.status_code != 400 or set(refused) != set(hostile):
            problems.append(
                f"{write.label()}: {hostile_response.status_code} {sorted(refused)} "
                f"with privileged fields {sorted(hostile)}"
            )
        elif not all(m.startswith(REFUSAL) for name in hostile for m in refused[name]):
            problems.append(f"{write.label()}: refused with {refused}")
        if any(attacked.values()):
            problems.append(f"{write.label()}: a refused request stored {attacked}")
    assert checked > 0
    assert not problems, "\n".join(problems)


def test_every_patch_is_partial_an_empty_body_changes_nothing(world, client_for):
    # The schema marks every field of a PATCH body optional; `{}` is a valid PATCH.
    problems, checked = [], 0
    for write in WRITES:
        if write.method != "patch":
            continue
        checked += 1
        response, stored = _attempt(client_for(write.caller(world)), "patch", write.url(world), {})
        if response.status_code != 200:
            problems.append(f"{write.label()}: {response.status_code} {response.content[:200]}")
        elif any(stored.values()):
            problems.append(f"{write.label()}: an empty PATCH stored {stored}")
    assert checked >= 10
    assert not problems, "\n".join(problems)
