"""Walks the role × action table of docs/permissions.md through the API, cell by cell."""

from pathlib import Path

import pytest
from django.conf import settings

from accounts.tests.factories import UserFactory
from companies.models import Membership
from companies.tests.factories import MembershipFactory, TeamFactory
from orders.models import Order
from orders.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def _table() -> list[tuple[str, str, str]]:
    text = (Path(settings.BASE_DIR) / "docs" / "permissions.md").read_text()
    # The orders table only: each part's own table follows under a "### " heading.
    section = text.split("## Service orders", 1)[1].split("\n### ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    header = [cell.strip() for cell in rows[0].strip("|").split("|")]
    cells = []
    for line in rows[2:]:
        values = [cell.strip() for cell in line.strip("|").split("|")]
        cells += [
            (values[0], role, expected)
            for role, expected in zip(header[1:], values[1:], strict=True)
        ]
    return cells


CELLS = _table()

# The order's state each action needs to succeed, and the request that performs it.
STATE = {
    "take": "open",
    "edit": "open",  # requesters edit only while the order is open
    "release": "in_progress",
    "close": "in_progress",
    "reopen": "closed",
}


def _request(action, client, order, world):
    base = f"/api/v1/orders/{order.id}"
    calls = {
        "view": lambda: client.get(base),
        "edit": lambda: client.patch(base, {"title": "Edited"}),
        "delete": lambda: client.delete(base),
        "take": lambda: client.post(f"{base}/take"),
        "assign": lambda: client.post(f"{base}/assign", {"assignee": world["agent"].id}),
        "release": lambda: client.post(f"{base}/release"),
        "close": lambda: client.post(f"{base}/close", {"solution": "Fixed"}),
        "reopen": lambda: client.post(f"{base}/reopen"),
        "redirect": lambda: client.post(f"{base}/redirect", {"team": world["other_team"].id}),
        "priority": lambda: client.post(f"{base}/priority", {"priority": "urgent"}),
        "reply": lambda: client.post(f"{base}/messages", {"body": "Hello"}),
        "internal note": lambda: client.post(
            f"{base}/messages", {"body": "Note", "is_internal": True}
        ),
        "messages": lambda: client.get(f"{base}/messages"),
        "events": lambda: client.get(f"{base}/events"),
    }
    return calls[action]()


@pytest.mark.parametrize("action, role, expected", CELLS, ids=[f"{a}-{r}" for a, r, _ in CELLS])
def test_permission_matrix(client_for, tenant_factory, action, role, expected):
    # given: one company with a person in every role, and another company
    tenant = tenant_factory()
    assignee = MembershipFactory(company=tenant.company, role=Membership.Role.AGENT).user
    world = {
        "staff": UserFactory(is_staff=True),
        "admin": tenant.admin,
        "lead": tenant.lead,
        "assignee": assignee,
        "agent": tenant.agent,
        "requester": tenant.requester,
        "stranger": MembershipFactory(company=tenant.company, role=Membership.Role.REQUESTER).user,
        "outsider": tenant_factory().admin,
        "other_team": TeamFactory(company=tenant.company),
    }
    state = STATE.get(action, "in_progress")
    order = OrderFactory(
        company=tenant.company,
        requester=tenant.requester,
        team=tenant.team,
        status=state,
        assignee=assignee if state != "open" else None,
        solution="Fixed before" if state == "closed" else "",
    )
    before = Order.objects.filter(pk=order.pk).values().first()

    # when
    response = _request(action, client_for(world[role]), order, world)

    # then
    if expected == "ok":
        assert response.status_code in (200, 201, 204), (response.status_code, response.data)
    else:
        assert response.status_code == int(expected), (response.status_code, response.data)
        assert Order.objects.filter(pk=order.pk).values().first() == before
        assert order.messages.count() == 0
