"""The contract as integrators meet it: the schema under concurrent fetches, error bodies
that are always `{detail, code}` JSON, and documentation pages that stay on our host."""

import json
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC

import jwt
import pytest
from django.conf import settings
from django.test import override_settings

from accounts.tokens import token_pair_for
from core.views import SchemaView

pytestmark = pytest.mark.django_db


def _get(url: str, headers: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.mark.django_db(transaction=True)
def test_32_concurrent_schema_fetches_from_a_threaded_server_all_answer_the_same(live_server):
    SchemaView.forget()  # so that the first fetches generate it, concurrently
    url = f"{live_server.url}/api/schema/?format=json"

    with ThreadPoolExecutor(max_workers=32) as pool:
        answers = list(pool.map(lambda _: _get(url), range(32)))

    assert [status for status, _ in answers] == [200] * 32
    assert len({body for _, body in answers}) == 1
    assert "/api/v1/orders" in json.loads(answers[0][1])["paths"]


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/", "/api/redoc/"])
def test_a_bad_authorization_header_does_not_close_the_public_docs(api_client, path):
    response = api_client.get(path, HTTP_AUTHORIZATION="Bearer not-a-token")

    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_the_docs_pages_may_load_nothing_from_another_host(api_client, path):
    response = api_client.get(path)

    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "img-src 'self' data:" in policy
    assert b"https://" not in response.content


def _tokens(user) -> dict[str, str]:
    access = token_pair_for(user).access
    header, payload, signature = access.split(".")
    claims = jwt.decode(access, options={"verify_signature": False})
    unsigned = jwt.encode(claims, key="", algorithm="none")  # alg=none
    expired = jwt.encode(
        {**claims, "exp": int(time.time()) - 60}, settings.SIMPLE_JWT["SIGNING_KEY"], "HS256"
    )
    return {
        "malformed": "not.a.token",
        "tampered": f"{header}.{payload}.{signature[::-1]}",
        "alg-none": unsigned,
        "expired": expired,
        "refresh-as-access": token_pair_for(user).refresh,
    }


KINDS = ["malformed", "tampered", "alg-none", "expired", "refresh-as-access"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Given token not valid for any token type"),
        ("pt-BR", "O token informado não é válido para qualquer tipo de token"),
    ],
)
def test_every_bad_token_is_a_clean_translated_401(api_client, user, kind, language, expected):
    token = _tokens(user)[kind]

    response = api_client.get(
        "/api/v1/orders", HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE=language
    )

    assert response.status_code == 401
    assert response.json() == {"detail": expected, "code": "token_not_valid"}


@override_settings(ALLOWED_HOSTS=["api.example.com"])
@pytest.mark.parametrize("path", ["/api/v1/orders", "/api/schema/", "/api/v1/auth/login"])
def test_an_unknown_host_under_api_is_a_json_400(client, path):
    response = client.get(path, HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Bad request.", "code": "bad_request"}


# --- filters: several values, dates -------------------------------------------------------


@pytest.fixture
def orders_in_every_status(tenant):
    from orders.models import Order
    from orders.tests.factories import OrderFactory

    return {
        status: OrderFactory(
            company=tenant.company,
            requester=tenant.requester,
            status=status,
            assignee=None if status == "open" else tenant.agent,
            solution="Fixed." if status == "closed" else "",
        )
        for status in Order.Status.values
    }


@pytest.mark.parametrize(
    "query",
    ["status=open&status=closed", "status=open,closed", "status=open&status=closed,open"],
    ids=["repeated", "comma", "both"],
)
def test_a_multi_value_filter_takes_the_repeated_and_the_comma_form(
    client_for, tenant, orders_in_every_status, query
):
    response = client_for(tenant.admin).get(f"/api/v1/orders?{query}&ordering=id")

    assert response.status_code == 200
    expected = [orders_in_every_status[s].pk for s in ("open", "closed")]
    assert sorted(row["id"] for row in response.json()["results"]) == sorted(expected)


@pytest.mark.parametrize("query", ["status=open&status=lost", "status=open,", "status="])
def test_an_unknown_or_blank_value_in_a_multi_value_filter_is_400_naming_it(
    client_for, tenant, query
):
    response = client_for(tenant.admin).get(f"/api/v1/orders?{query}")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["status"]


@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/api/v1/orders", "status"),
        ("/api/v1/donations", "status"),
        ("/api/v1/ongs", "cause"),
    ],
)
def test_the_schema_declares_every_multi_value_filter_repeated(api_client, url, param):
    schema = api_client.get("/api/schema/?format=json").json()

    (parameter,) = [p for p in schema["paths"][url]["get"]["parameters"] if p["name"] == param]
    assert (parameter["schema"]["type"], parameter["style"], parameter["explode"]) == (
        "array",
        "form",
        True,
    )


@pytest.mark.parametrize(
    ("after", "before", "expected"),
    [
        ("02/12/2026", "04/12/2026", ["mid"]),
        ("2026-12-02", "2026-12-04", ["mid"]),
        ("01/12/2026 12:00", "05/12/2026", ["mid", "late"]),
    ],
)
def test_date_filters_take_iso_and_brazilian_dates(client_for, tenant, after, before, expected):
    from datetime import datetime

    from orders.models import Order
    from orders.tests.factories import OrderFactory

    moments = {"early": (2026, 11, 30), "mid": (2026, 12, 3), "late": (2026, 12, 4, 23)}
    orders = {}
    for name, parts in moments.items():
        order = OrderFactory(company=tenant.company, requester=tenant.requester)
        Order.objects.filter(pk=order.pk).update(created_at=datetime(*parts, tzinfo=UTC))
        orders[order.pk] = name

    response = client_for(tenant.admin).get(
        "/api/v1/orders", {"created_after": after, "created_before": before}
    )

    assert response.status_code == 200
    assert sorted(orders[row["id"]] for row in response.json()["results"]) == sorted(expected)


@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/api/v1/orders", "created_after"),
        ("/api/v1/orders", "created_before"),
        ("/api/v1/events", "starts_after"),
        ("/api/v1/donations", "created_after"),
        ("/api/v1/bills", "due_from"),
    ],
)
def test_a_bad_date_is_400_naming_the_parameter_sent(client_for, user, url, param):
    response = client_for(user).get(url, {param: "31/31/2026"})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [param]


def test_a_brazilian_date_works_on_a_date_filter(client_for, user):
    response = client_for(user).get("/api/v1/bills", {"due_from": "02/12/2026"})

    assert response.status_code == 200


# --- ordering -------------------------------------------------------------------------------

LISTS = [
    "/api/v1/users",
    "/api/v1/companies",
    "/api/v1/ongs",
    "/api/v1/events",
    "/api/v1/homes",
    "/api/v1/bills",
    "/api/v1/donations",
    "/api/v1/payment-methods",
    "/api/v1/orders",
    "/api/v1/equipment",
]


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("ordering", ["password", "-password", "id,password", ""])
def test_an_ordering_outside_the_allow_list_is_400_naming_the_choices(staff_client, url, ordering):
    response = staff_client.get(url, {"ordering": ordering})

    assert response.status_code == 400
    (message,) = response.json()["errors"]["ordering"]
    assert "password" not in message.split(": ", 1)[-1]
    assert "id" in message or "created_at" in message or "name" in message


@pytest.mark.parametrize("url", LISTS)
def test_the_schema_declares_each_lists_ordering_as_an_enum(api_client, url):
    schema = api_client.get("/api/schema/?format=json").json()

    (parameter,) = [p for p in schema["paths"][url]["get"]["parameters"] if p["name"] == "ordering"]
    assert parameter["schema"]["type"] == "array"
    assert parameter["schema"]["items"]["enum"]
    assert "password" not in parameter["schema"]["items"]["enum"]


def test_ordering_takes_the_repeated_and_the_comma_form(staff_client, tenant_factory):
    for _ in range(3):
        tenant_factory()

    comma = staff_client.get("/api/v1/companies", {"ordering": "-created_at,id"}).json()
    repeated = staff_client.get("/api/v1/companies?ordering=-created_at&ordering=id").json()

    assert [row["id"] for row in comma["results"]] == [row["id"] for row in repeated["results"]]
    assert [row["id"] for row in comma["results"]] == sorted(
        (row["id"] for row in comma["results"]), reverse=True
    )


# --- pagination -----------------------------------------------------------------------------


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("page", "abc"),
        ("page", "0"),
        ("page", "-1"),
        ("page", ""),
        ("page_size", "abc"),
        ("page_size", "0"),
        ("page_size", ""),
    ],
)
def test_a_page_or_page_size_that_is_no_positive_integer_is_400(staff_client, url, param, value):
    response = staff_client.get(url, {param: value})

    assert response.status_code == 400
    assert response.json()["errors"] == {param: ["Must be a positive integer."]}


@pytest.mark.parametrize("url", LISTS)
def test_a_page_past_the_end_is_200_with_no_results(staff_client, tenant, url):
    response = staff_client.get(url, {"page": 50, "page_size": 2})

    assert response.status_code == 200
    body = response.json()
    assert (body["results"], body["next"]) == ([], None)
    last = -(-body["count"] // 2)
    assert body["previous"] == (
        f"http://testserver{url}?page={last}&page_size=2" if body["count"] else None
    )


# --- strict JSON types ------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 1, "yes", "on", "true", None])
def test_a_boolean_field_takes_only_json_true_or_false(client_for, tenant, value):
    company = tenant.company

    response = client_for(tenant.admin).patch(
        f"/api/v1/companies/{company.pk}", {"accepts_new_requesters_by_email": value}
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["accepts_new_requesters_by_email"]
    company.refresh_from_db()
    assert company.accepts_new_requesters_by_email is True


def test_an_internal_note_flag_of_0_is_400_and_nothing_is_stored(client_for, tenant):
    from orders.models import Message
    from orders.tests.factories import OrderFactory

    order = OrderFactory(company=tenant.company, requester=tenant.requester)

    response = client_for(tenant.agent).post(
        f"/api/v1/orders/{order.pk}/messages", {"body": "hello", "is_internal": 0}
    )

    assert response.status_code == 400
    assert not Message.objects.filter(order=order).exists()


@pytest.mark.parametrize("agents", [{}, {"1": "x"}, "1", 1])
def test_a_list_of_ids_must_be_a_json_list(client_for, tenant, agents):
    team = tenant.team
    before = set(team.agents.values_list("pk", flat=True))

    response = client_for(tenant.admin).patch(f"/api/v1/teams/{team.pk}", {"agents": agents})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["agents"]
    assert set(team.agents.values_list("pk", flat=True)) == before
