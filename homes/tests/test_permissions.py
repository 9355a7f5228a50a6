"""Role by action table for homes: who may do what (404 outside the home, 403 inside)."""

import json
from datetime import time

import pytest

from homes.tests.factories import BillFactory, RoutineFactory, RuleFactory, TaskFactory

pytestmark = pytest.mark.django_db

OK = "ok"


def _objects(house):
    return {
        "rule": RuleFactory(home=house.home),
        "routine": RoutineFactory(home=house.home, responsible=house.resident, time_limit=time(9)),
        "task": TaskFactory(home=house.home, assignee=house.resident),
        "bill": BillFactory(home=house.home, debtor=house.resident, creditor=house.other_resident),
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
    ("GET", "/api/v1/homes/{home}/bills", None, (OK, OK, 404)),
    ("GET", "/api/v1/bills/{bill}", None, (OK, OK, 404)),
    ("PATCH", "/api/v1/bills/{bill}", {"amount": "3"}, (OK, 403, 404)),
    ("POST", "/api/v1/bills/{bill}/pay", None, (OK, 403, 404)),
    ("DELETE", "/api/v1/bills/{bill}", None, (OK, 403, 404)),
    ("DELETE", "/api/v1/homes/{home}", None, (OK, 403, 404)),
]


@pytest.mark.parametrize("role_index", [0, 1, 2], ids=["admin", "resident", "stranger"])
@pytest.mark.parametrize(("method", "url", "body", "expected"), TABLE, ids=lambda v: str(v))
def test_role_action_table(client_for, house, role_index, method, url, body, expected):
    objects = _objects(house)
    user = [house.admin, house.resident, house.stranger][role_index]
    path = url.format(home=house.home.pk, **{k: v.pk for k, v in objects.items()})

    response = client_for(user).generic(
        method,
        path,
        data=None if body is None else json.dumps(body),
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
