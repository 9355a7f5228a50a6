"""One table of role-by-action for NGOs, events and payments, checked against the table
"Who may do what" of docs/ngos.md: every row of the docs is walked by at least one request
here, every request here belongs to a row, and each expectation agrees with the docs cell."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.tests.factories import UserFactory
from events.tests.factories import EventFactory, RegistrationFactory
from ongs.tests.factories import OngFactory
from payments.tests.factories import PaymentMethodFactory

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
    ("post", "/events/{event}/registration", None, (401, 201, 403, 403, 201)),
    ("get", "/payment-methods", None, (401, 200, 200, 200, 200)),
    ("get", "/payment-methods/{others_card}", None, (401, 404, 404, 404, 404)),
    ("get", "/donations", None, (401, 200, 200, 200, 200)),
    ("get", "/donations/{others_donation}", None, (401, 404, 404, 404, 404)),
    ("get", "/ongs", None, (200, 200, 200, 200, 200)),
    ("get", "/events", None, (200, 200, 200, 200, 200)),
    ("get", "/events/{hidden_event}", None, (404, 404, 200, 200, 200)),
    (
        "post",
        "/ongs",
        {"name": "New", "cause": "social", "email": "n@ngo.example"},
        (401, 201, 201, 409, 201),
    ),
    ("delete", "/events/{registered_event}/registration", None, (401, 204, 204, 204, 204)),
    ("post", "/ongs/{ong}/donations", "donation_body", (401, 201, 201, 201, 201)),
]

# Row of the docs table → the requests above that walk it (by method and path).
DOC_ROWS = {
    "List / read active NGOs and events": [
        ("get", "/ongs"),
        ("get", "/ongs/{ong}"),
        ("get", "/events"),
        ("get", "/events/{event}"),
        ("get", "/ongs/{ong}/events"),
    ],
    "Read an inactive NGO or event": [("get", "/ongs/{hidden}"), ("get", "/events/{hidden_event}")],
    "Register an NGO": [("post", "/ongs")],
    "Edit / deactivate an NGO": [("patch", "/ongs/{ong}", "phone"), ("delete", "/ongs/{ong}")],
    "Change the NGO's admins": [("patch", "/ongs/{ong}", "admin_emails")],
    "Balance, withdrawals (read, create)": [
        ("get", "/ongs/{ong}/balance"),
        ("get", "/ongs/{hidden}/balance"),
        ("get", "/ongs/{ong}/withdrawals"),
        ("post", "/ongs/{ong}/withdrawals"),
    ],
    "NGO's donations, participants": [
        ("get", "/ongs/{ong}/donations"),
        ("get", "/ongs/{ong}/participants"),
    ],
    "Publish / edit / cancel an event": [
        ("post", "/events"),
        ("patch", "/events/{event}"),
        ("delete", "/events/{event}"),
    ],
    "Event participants": [("get", "/events/{event}/participants")],
    "Register for an event": [("post", "/events/{event}/registration")],
    "Unregister from an event": [("delete", "/events/{registered_event}/registration")],
    "Donate to an NGO": [("post", "/ongs/{ong}/donations")],
    "Payment methods": [("get", "/payment-methods"), ("get", "/payment-methods/{others_card}")],
    "My donations (`donations`)": [("get", "/donations"), ("get", "/donations/{others_donation}")],
}


def _key(method, path, body):
    """How DOC_ROWS names an action: method and path, plus the body's field where one path
    has two actions (PATCH ongs/{ong} with `phone` or with `admin_emails`)."""
    if method == "patch" and path == "/ongs/{ong}":
        return (method, path, next(iter(body)))
    return (method, path)


def _docs_table() -> dict[str, list[str]]:
    text = (Path(settings.BASE_DIR) / "docs" / "ngos.md").read_text()
    section = text.split("## Who may do what", 1)[1]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    table = {}
    for line in rows[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        table[cells[0]] = cells[1:]
    return table


def _agrees(cell: str, status: int, path: str) -> bool:
    """A docs cell says a number (that status), ✓ (success) or "own only" (success on
    one's own, 404 on someone else's)."""
    if cell[:3].isdigit():
        return status == int(cell[:3])
    if cell.startswith("own only") and "{others_" in path:
        return status == 404
    return 200 <= status < 300


def test_the_table_walks_every_row_of_docs_ngos_md():
    table = _docs_table()
    walked = {_key(method, path, body) for method, path, body, _ in ACTIONS}
    mapped = {key for keys in DOC_ROWS.values() for key in keys}

    assert set(DOC_ROWS) == set(table), "docs/ngos.md and DOC_ROWS list different rows"
    assert mapped == walked, f"requests without a docs row: {walked ^ mapped}"
    disagreements = [
        (row, key, role, table[row][index], expected[index])
        for row, keys in DOC_ROWS.items()
        for method, path, body, expected in ACTIONS
        if (key := _key(method, path, body)) in keys
        for index, role in enumerate(ROLES)
        if not _agrees(table[row][index], expected[index], path)
    ]
    assert not disagreements, disagreements


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
    hidden_event = EventFactory(ong=ong, is_active=False)
    # a week after `event`: registering for one never overlaps the other
    registered_event = EventFactory(ong=ong, starts_at=event.starts_at + timedelta(days=7))
    others_donation = fund(ong, "10.00")
    people = {
        "stranger": UserFactory(),
        "admin": admin,
        "owner": owner,
        "staff": UserFactory(is_staff=True),
    }
    person = people.get(role)
    client = client_for(person) if person else api_client
    card = PaymentMethodFactory(user=person) if person else None
    if person:
        RegistrationFactory(event=registered_event, user=person)
    url = "/api/v1" + path.format(
        ong=ong.pk,
        hidden=hidden.pk,
        event=event.pk,
        hidden_event=hidden_event.pk,
        registered_event=registered_event.pk,
        others_card=others_donation.payment_method_id,
        others_donation=others_donation.pk,
    )
    if body == "event_body":
        body = _event_body(ong.pk)
    elif body == "donation_body":
        body = {"payment_method": card.pk if card else 1, "amount": "5.00"}

    response = getattr(client, method)(url, body)

    assert response.status_code == expected[ROLES.index(role)], response.data
