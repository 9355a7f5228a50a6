"""Walks the Companies table of docs/permissions.md through the API, cell by cell.

Each row of the table is mapped to the requests it stands for; a row without a mapping (or
a mapping without a row) fails, so the table and the tests cannot drift apart. A cell
answers with its number (403, 404), or with success for `yes`, `all`, `own`, ...; an empty
cell does not apply.
"""

from pathlib import Path

import pytest
from django.conf import settings
from validate_docbr import CNPJ

from accounts.tests.factories import PASSWORD, UserFactory
from companies.models import Company, Membership
from companies.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

ROLES = {
    "staff": "staff",
    "company admin": "admin",
    "agent": "agent",
    "requester": "requester",
    "member of another company": "outsider",
}


def _table() -> list[tuple[str, str, str]]:
    text = (Path(settings.BASE_DIR) / "docs" / "permissions.md").read_text()
    section = text.split("## Companies", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    header = [cell.strip() for cell in rows[0].strip("|").split("|")]
    assert [ROLES[name] for name in header[1:]]  # every column is a known role
    cells = []
    for line in rows[2:]:
        values = [cell.strip() for cell in line.strip("|").split("|")]
        cells += [
            (values[0], ROLES[role], expected)
            for role, expected in zip(header[1:], values[1:], strict=True)
            if expected
        ]
    return cells


# Row of the table → the requests it stands for: (method, url, body) built from the world.
REQUESTS = {
    "`POST companies` (register)": lambda w: [
        (
            "post",
            "/api/v1/companies",
            {
                "cnpj": CNPJ().generate(),
                "legal_name": "New Ltda",
                "admin": {"email": "founder@new.example", "password": PASSWORD, "name": "F"},
            },
        )
    ],
    "`GET companies`, `GET companies/{id}`": lambda w: [
        ("get", "/api/v1/companies", None),
        ("get", f"/api/v1/companies/{w['company'].pk}", None),
    ],
    "`PATCH`, `DELETE companies/{id}` (DELETE deactivates)": lambda w: [
        ("patch", f"/api/v1/companies/{w['company'].pk}", {"phone": "11 5555-0000"}),
        ("delete", f"/api/v1/companies/{w['company'].pk}", None),
    ],
    "`POST companies/{id}/activate`, `/deactivate`": lambda w: [
        ("post", f"/api/v1/companies/{w['company'].pk}/deactivate", None),
        ("post", f"/api/v1/companies/{w['company'].pk}/activate", None),
    ],
    "`GET companies/{id}/members`": lambda w: [
        ("get", f"/api/v1/companies/{w['company'].pk}/members", None),
    ],
    "`POST members`, `PATCH`/`DELETE members/{user_id}`": lambda w: [
        (
            "post",
            f"/api/v1/companies/{w['company'].pk}/members",
            {"email": w["newcomer"].email, "role": "requester"},
        ),
        (
            "patch",
            f"/api/v1/companies/{w['company'].pk}/members/{w['member'].pk}",
            {"role": "agent"},
        ),
        ("delete", f"/api/v1/companies/{w['company'].pk}/members/{w['member'].pk}", None),
    ],
    "`POST members/{user_id}/deactivate`": lambda w: [
        ("post", f"/api/v1/companies/{w['company'].pk}/members/{w['member'].pk}/deactivate", None),
    ],
    "`GET companies/{id}/teams`, `GET teams/{id}`": lambda w: [
        ("get", f"/api/v1/companies/{w['company'].pk}/teams", None),
        ("get", f"/api/v1/teams/{w['team'].pk}", None),
    ],
    "`POST companies/{id}/teams`, `PATCH`/`DELETE teams/{id}`": lambda w: [
        ("post", f"/api/v1/companies/{w['company'].pk}/teams", {"name": "Field"}),
        ("patch", f"/api/v1/teams/{w['team'].pk}", {"name": "Renamed"}),
        ("delete", f"/api/v1/teams/{w['team'].pk}", None),
    ],
    "`GET users`": lambda w: [("get", "/api/v1/users", None)],
    "`PATCH`, `DELETE users/{id}` (another person; DELETE deactivates)": lambda w: [
        ("patch", f"/api/v1/users/{w['member'].pk}", {"position": "Analista"}),
        ("delete", f"/api/v1/users/{w['member'].pk}", None),
    ],
}

CELLS = _table()


def test_every_row_of_the_table_is_walked():
    assert {action for action, _, _ in CELLS} == set(REQUESTS)


@pytest.mark.parametrize(
    "action, role, expected", CELLS, ids=[f"{a[:30]}-{r}" for a, r, _ in CELLS]
)
def test_companies_permission_matrix(
    client_for, api_client, tenant_factory, action, role, expected
):
    # given: a company with a person in every role, a member to manage, another company
    tenant = tenant_factory()
    world = {
        "company": tenant.company,
        "team": tenant.team,
        "member": MembershipFactory(company=tenant.company, role=Membership.Role.REQUESTER).user,
        "newcomer": UserFactory(),
    }
    people = {
        "staff": UserFactory(is_staff=True),
        "admin": tenant.admin,
        "agent": tenant.agent,
        "requester": tenant.requester,
        "outsider": tenant_factory().admin,
    }
    client = client_for(people[role])
    if expected.startswith("anyone"):
        client = api_client  # "anyone, even anonymous"

    # when / then: each request the row stands for
    for method, url, body in REQUESTS[action](world):
        response = getattr(client, method)(url, body)
        if expected == "404" and url == "/api/v1/companies":
            # a list answers 200, without the company the person cannot see
            ids = [row["id"] for row in response.data["results"]]
            assert response.status_code == 200 and tenant.company.pk not in ids
        elif expected.isdigit():
            assert response.status_code == int(expected), (method, url, response.data)
        else:
            assert response.status_code in (200, 201, 204), (method, url, response.data)
    if expected.isdigit():
        assert Company.objects.get(pk=tenant.company.pk).is_active
