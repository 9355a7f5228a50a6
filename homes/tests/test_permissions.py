"""Role by action table for homes: who may do what (404 outside the home, 403 inside),
checked against "Roles and permissions" of docs/homes.md: every docs row is walked by at
least one request here, every request belongs to a row, and each expectation agrees with
the docs cell."""

import json
from datetime import time
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from homes.models import Task
from homes.tests.factories import BillFactory, RoutineFactory, RuleFactory, TaskFactory

pytestmark = pytest.mark.django_db

OK = "ok"


def _objects(house):
    return {
        "rule": RuleFactory(home=house.home),
        "routine": RoutineFactory(home=house.home, responsible=house.resident, time_limit=time(9)),
        "task": TaskFactory(home=house.home, assignee=house.resident),
        "bill": BillFactory(home=house.home, debtor=house.resident, creditor=house.other_resident),
        "review": TaskFactory(
            home=house.home,
            assignee=house.resident,
            completed_by=house.resident,
            status=Task.Status.IN_REVIEW,
        ),
        "reported": BillFactory(
            home=house.home,
            debtor=house.resident,
            creditor=house.other_resident,
            payment_reported_at=timezone.now(),
        ),
        "paid": BillFactory(
            home=house.home,
            debtor=house.resident,
            creditor=house.other_resident,
            is_paid=True,
            paid_at=timezone.now(),
        ),
    }


# action: (method, url template, body) ; expectations per role: admin, resident, stranger
TABLE = [
    ("GET", "/api/v1/homes/{home}", None, (OK, OK, 404)),
    ("PATCH", "/api/v1/homes/{home}", {"name": "N"}, (OK, 403, 404)),
    ("GET", "/api/v1/homes/{home}/members", None, (OK, OK, 404)),
    ("POST", "/api/v1/homes/{home}/members", {"email": "n@example.com"}, (OK, 403, 404)),
    ("GET", "/api/v1/homes/{home}/leaderboard", None, (OK, OK, 404)),
    ("GET", "/api/v1/homes/{home}/balances", None, (OK, OK, 404)),
    ("GET", "/api/v1/homes/{home}/rules", None, (OK, OK, 404)),
    ("POST", "/api/v1/homes/{home}/rules", {"text": "t"}, (OK, 403, 404)),
    ("PATCH", "/api/v1/rules/{rule}", {"text": "t"}, (OK, 403, 404)),
    ("DELETE", "/api/v1/rules/{rule}", None, (OK, 403, 404)),
    ("GET", "/api/v1/homes/{home}/routines", None, (OK, OK, 404)),
    ("PATCH", "/api/v1/routines/{routine}", {"points": 1}, (OK, 403, 404)),
    ("DELETE", "/api/v1/routines/{routine}", None, (OK, 403, 404)),
    ("GET", "/api/v1/homes/{home}/tasks", None, (OK, OK, 404)),
    ("GET", "/api/v1/tasks/{task}", None, (OK, OK, 404)),
    ("PATCH", "/api/v1/tasks/{task}", {"title": "t"}, (OK, 403, 404)),
    ("POST", "/api/v1/tasks/{task}/complete", None, (OK, OK, 404)),
    ("DELETE", "/api/v1/tasks/{task}", None, (OK, 403, 404)),
    ("POST", "/api/v1/tasks/{review}/approve", None, (OK, 403, 404)),
    ("POST", "/api/v1/tasks/{review}/send-back", {"note": "Again"}, (OK, 403, 404)),
    ("GET", "/api/v1/tasks/{task}/comments", None, (OK, OK, 404)),
    ("POST", "/api/v1/tasks/{task}/comments", {"body": "Hi"}, (OK, OK, 404)),
    ("POST", "/api/v1/bills/{bill}/report-payment", None, (403, OK, 404)),
    ("POST", "/api/v1/bills/{reported}/confirm-payment", None, (OK, 403, 404)),
    ("POST", "/api/v1/bills/{reported}/reject-payment", None, (OK, 403, 404)),
    ("POST", "/api/v1/bills/{paid}/mark-unpaid", None, (OK, 403, 404)),
    ("GET", "/api/v1/homes/{home}/bills", None, (OK, OK, 404)),
    ("GET", "/api/v1/bills/{bill}", None, (OK, OK, 404)),
    ("PATCH", "/api/v1/bills/{bill}", {"amount": "3"}, (OK, 403, 404)),
    ("POST", "/api/v1/bills/{bill}/pay", None, (OK, 403, 404)),
    ("DELETE", "/api/v1/bills/{bill}", None, (OK, 403, 404)),
    ("DELETE", "/api/v1/homes/{home}", None, (OK, 403, 404)),
    ("PATCH", "/api/v1/homes/{home}/members/{other}", {"role": "admin"}, (OK, 403, 404)),
    ("DELETE", "/api/v1/homes/{home}/members/{other}", None, (OK, 403, 404)),
    ("DELETE", "/api/v1/homes/{home}/members/{self}", None, (409, OK, 404)),
    (
        "POST",
        "/api/v1/homes/{home}/routines",
        {"name": "R", "weekdays": [0], "time_limit": "09:00", "responsible": "{other}"},
        (OK, 403, 404),
    ),
    ("GET", "/api/v1/routines/{routine}", None, (OK, OK, 404)),
    ("GET", "/api/v1/rules/{rule}", None, (OK, OK, 404)),
    (
        "POST",
        "/api/v1/homes/{home}/tasks",
        {"title": "T", "due_at": "2099-01-01T10:00:00Z"},
        (OK, OK, 404),
    ),
    (
        "POST",
        "/api/v1/homes/{home}/bills",
        {"debtor": "{other}", "creditor": "{resident}", "amount": "5.00", "description": "Gas"},
        (OK, OK, 404),
    ),
]

# Row of docs/homes.md → the requests above that walk it.
DOC_ROWS = {
    "read home, members, leaderboard, balances, rules, routines, tasks, bills": [
        ("GET", "/api/v1/homes/{home}"),
        ("GET", "/api/v1/homes/{home}/members"),
        ("GET", "/api/v1/homes/{home}/leaderboard"),
        ("GET", "/api/v1/homes/{home}/balances"),
        ("GET", "/api/v1/homes/{home}/rules"),
        ("GET", "/api/v1/rules/{rule}"),
        ("GET", "/api/v1/homes/{home}/routines"),
        ("GET", "/api/v1/routines/{routine}"),
        ("GET", "/api/v1/homes/{home}/tasks"),
        ("GET", "/api/v1/tasks/{task}"),
        ("GET", "/api/v1/homes/{home}/bills"),
        ("GET", "/api/v1/bills/{bill}"),
    ],
    "edit / delete home": [("PATCH", "/api/v1/homes/{home}"), ("DELETE", "/api/v1/homes/{home}")],
    "invite, change roles, remove others": [
        ("POST", "/api/v1/homes/{home}/members"),
        ("PATCH", "/api/v1/homes/{home}/members/{other}"),
        ("DELETE", "/api/v1/homes/{home}/members/{other}"),
    ],
    "leave (delete own membership)": [("DELETE", "/api/v1/homes/{home}/members/{self}")],
    "create / edit / delete rules and routines": [
        ("POST", "/api/v1/homes/{home}/rules"),
        ("PATCH", "/api/v1/rules/{rule}"),
        ("DELETE", "/api/v1/rules/{rule}"),
        ("POST", "/api/v1/homes/{home}/routines"),
        ("PATCH", "/api/v1/routines/{routine}"),
        ("DELETE", "/api/v1/routines/{routine}"),
    ],
    "create tasks": [("POST", "/api/v1/homes/{home}/tasks")],
    "edit / delete a task": [("PATCH", "/api/v1/tasks/{task}"), ("DELETE", "/api/v1/tasks/{task}")],
    "complete a task": [("POST", "/api/v1/tasks/{task}/complete")],
    "approve / send back a task in review": [
        ("POST", "/api/v1/tasks/{review}/approve"),
        ("POST", "/api/v1/tasks/{review}/send-back"),
    ],
    "read / write a task's comments": [
        ("GET", "/api/v1/tasks/{task}/comments"),
        ("POST", "/api/v1/tasks/{task}/comments"),
    ],
    "report a bill's payment": [("POST", "/api/v1/bills/{bill}/report-payment")],
    "confirm / reject a payment, mark a paid bill unpaid": [
        ("POST", "/api/v1/bills/{reported}/confirm-payment"),
        ("POST", "/api/v1/bills/{reported}/reject-payment"),
        ("POST", "/api/v1/bills/{paid}/mark-unpaid"),
    ],
    "create a bill": [("POST", "/api/v1/homes/{home}/bills")],
    "edit / delete / pay a bill": [
        ("PATCH", "/api/v1/bills/{bill}"),
        ("DELETE", "/api/v1/bills/{bill}"),
        ("POST", "/api/v1/bills/{bill}/pay"),
    ],
}

# What the docs cells that depend on the person mean for the people of this test: the
# resident is the task's assignee, not its author; the bill's debtor, not its creditor;
# the creditor of the bill they create; and the admin is the home's only admin, and
# owes none of the bills.
QUALIFIED = {
    "its debtor": OK,
    "only its debtor": 403,
    "✓ (not its debtor)": OK,
    "its author": 403,
    "its creditor": 403,
    "its assignee; anyone for an unassigned task": OK,
    "only as creditor (403 otherwise)": OK,
    "✓ (not the last admin: 409)": 409,
    "✓ (points only by admins: 403)": OK,
    "✓ any two members": OK,
}


def _docs_table() -> dict[str, list[str]]:
    text = (Path(settings.BASE_DIR) / "docs" / "homes.md").read_text()
    section = text.split("## Roles and permissions", 1)[1]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    return {
        cells[0]: cells[1:]
        for cells in ([c.strip() for c in line.strip("|").split("|")] for line in rows[2:])
    }


def _meaning(cell: str):
    if cell in QUALIFIED:
        return QUALIFIED[cell]
    return int(cell) if cell.isdigit() else OK if cell == "✓" else cell


def test_the_table_walks_every_row_of_docs_homes_md():
    table = _docs_table()
    walked = {(method, url) for method, url, _, _ in TABLE}
    mapped = {key for keys in DOC_ROWS.values() for key in keys}

    assert set(DOC_ROWS) == set(table), "docs/homes.md and DOC_ROWS list different rows"
    assert mapped == walked, f"requests without a docs row: {walked ^ mapped}"
    disagreements = [
        (row, method, url, table[row][index], expected[index])
        for row, keys in DOC_ROWS.items()
        for method, url, _, expected in TABLE
        if (method, url) in keys
        for index in range(3)
        if _meaning(table[row][index]) != expected[index]
    ]
    assert not disagreements, disagreements


@pytest.mark.parametrize("role_index", [0, 1, 2], ids=["admin", "resident", "stranger"])
@pytest.mark.parametrize(("method", "url", "body", "expected"), TABLE, ids=lambda v: str(v))
def test_role_action_table(client_for, house, role_index, method, url, body, expected):
    objects = _objects(house)
    user = [house.admin, house.resident, house.stranger][role_index]
    ids = {
        "home": house.home.pk,
        "other": house.other_resident.pk,
        "resident": house.resident.pk,
        "self": user.pk,
        **{k: v.pk for k, v in objects.items()},
    }
    path = url.format(**ids)
    if body is not None:
        body = {
            key: int(value.format(**ids)) if isinstance(value, str) and value[:1] == "{" else value
            for key, value in body.items()
        }

    response = client_for(user).generic(
        method,
        path,
        data="" if body is None else json.dumps(body),
        content_type="application/json",
    )

    want = expected[role_index]
    if want == OK:
        assert response.status_code in (200, 201, 204), response.content
    else:
        assert response.status_code == want, response.content


def test_anonymous_is_401(api_client, house):
    assert api_client.get(f"/api/v1/homes/{house.home.pk}/tasks").status_code == 401
    assert api_client.get("/api/v1/bills").status_code == 401
