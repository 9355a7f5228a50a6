"""One table of role-by-action for NGOs, events and payments (mirrors docs/ngos.md)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from events.tests.factories import EventFactory
from ongs.tests.factories import OngFactory

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "stranger", "admin", "owner", "staff"]


def _event_body(ong_id):
    starts = timezone.now() + timedelta(days=3)
    return {
        "ong": ong_id,
        "title": "T",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=1)).isoformat(),
    }


# (method, path, body, expected status for anonymous, stranger, admin, owner, staff)
ACTIONS = [
    ("get", "/ongs/{ong}", None, (200, 200, 200, 200, 200)),
    ("patch", "/ongs/{ong}", {"phone": "1"}, (401, 403, 200, 200, 200)),
    ("patch", "/ongs/{ong}", {"admin_emails": []}, (401, 403, 403, 200, 200)),
    ("delete", "/ongs/{ong}", None, (401, 403, 204, 204, 204)),
    ("get", "/ongs/{ong}/balance", None, (401, 404, 200, 200, 200)),
    ("get", "/ongs/{ong}/withdrawals", None, (401, 404, 200, 200, 200)),
    ("post", "/ongs/{ong}/withdrawals", {"amount": "1.00"}, (401, 404, 201, 201, 201)),
    ("get", "/ongs/{ong}/donations", None, (401, 404, 200, 200, 200)),
    ("get", "/ongs/{ong}/participants", None, (401, 404, 200, 200, 200)),
    ("get", "/ongs/{ong}/events", None, (200, 200, 200, 200, 200)),
    ("get", "/ongs/{hidden}", None, (404, 404, 200, 200, 200)),
    ("get", "/ongs/{hidden}/balance", None, (401, 404, 200, 200, 200)),
    ("post", "/events", "event_body", (401, 403, 201, 201, 201)),
    ("get", "/events/{event}", None, (200, 200, 200, 200, 200)),
    ("patch", "/events/{event}", {"title": "New"}, (401, 403, 200, 200, 200)),
    ("delete", "/events/{event}", None, (401, 403, 204, 204, 204)),
    ("get", "/events/{event}/participants", None, (401, 404, 200, 200, 200)),
    ("post", "/events/{event}/registration", None, (401, 201, 201, 201, 201)),
    ("get", "/payment-methods", None, (401, 200, 200, 200, 200)),
    ("get", "/donations", None, (401, 200, 200, 200, 200)),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    ACTIONS,
    ids=[f"{method} {path} {body}" for method, path, body, _ in ACTIONS],
)
def test_role_action_table(client_for, api_client, fund, role, method, path, body, expected):
    owner, admin = UserFactory(), UserFactory()
    ong = OngFactory(owner=owner, admins=[admin])
    hidden = OngFactory(owner=owner, admins=[admin], is_active=False)
    event = EventFactory(ong=ong)
    fund(ong, "10.00")
    people = {
        "stranger": UserFactory(),
        "admin": admin,
        "owner": owner,
        "staff": UserFactory(is_staff=True),
    }
    client = client_for(people[role]) if role in people else api_client
    url = "/api/v1" + path.format(ong=ong.pk, hidden=hidden.pk, event=event.pk)
    if body == "event_body":
        body = _event_body(ong.pk)

    response = getattr(client, method)(url, body)

    assert response.status_code == expected[ROLES.index(role)], response.data
