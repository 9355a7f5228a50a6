"""Endpoints through the API: register, read, change, rotate, ping, delete."""

import pytest
from rest_framework.test import APIClient

from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.tests.factories import WebhookEndpointFactory

pytestmark = pytest.mark.django_db

V = "/api/v1"
ERP = "https://erp.example.com/hooks"


def iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def shown(endpoint: WebhookEndpoint) -> dict:
    return {
        "id": endpoint.pk,
        "company": endpoint.company_id,
        "url": endpoint.url,
        "events": endpoint.events,
        "is_active": endpoint.is_active,
        "description": endpoint.description,
        "secret_hint": f"…{endpoint.secret[-4:]}",
        "created_by": endpoint.created_by_id,
        "created_at": iso(endpoint.created_at),
        "updated_at": iso(endpoint.updated_at),
    }


def test_an_admin_registers_an_endpoint_and_sees_its_secret_only_then(client_for, tenant):
    client = client_for(tenant.admin)

    response = client.post(
        f"{V}/companies/{tenant.company.id}/webhooks",
        {"url": ERP, "events": ["order.created", "order.assigned", "order.created"]},
        format="json",
    )

    assert response.status_code == 201, response.json()
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.company == tenant.company
    assert endpoint.created_by == tenant.admin
    assert endpoint.events == ["order.created", "order.assigned"]
    assert endpoint.is_active is True
    assert endpoint.secret.startswith("whsec_") and len(endpoint.secret) == 6 + 64
    assert response.json() == {**shown(endpoint), "secret": endpoint.secret}
    # afterwards the secret is never shown again
    read = client.get(f"{V}/webhooks/{endpoint.id}")
    assert read.status_code == 200
    assert read.json() == shown(endpoint)
    listed = client.get(f"{V}/companies/{tenant.company.id}/webhooks").json()
    assert listed["results"] == [shown(endpoint)]
    assert endpoint.secret not in str(listed)


def test_two_endpoints_get_different_secrets(client_for, tenant):
    client = client_for(tenant.admin)
    for _ in range(2):
        client.post(
            f"{V}/companies/{tenant.company.id}/webhooks",
            {"url": ERP, "events": ["order.created"]},
            format="json",
        )
    first, second = WebhookEndpoint.objects.values_list("secret", flat=True)
    assert first != second


def test_an_admin_changes_an_endpoint(client_for, tenant, endpoint):
    response = client_for(tenant.admin).patch(
        f"{V}/webhooks/{endpoint.id}",
        {
            "url": "https://crm.example.com/in?team=2",
            "events": ["sla.breached"],
            "description": "CRM",
            "is_active": False,
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.events, endpoint.description, endpoint.is_active) == (
        "https://crm.example.com/in?team=2",
        ["sla.breached"],
        "CRM",
        False,
    )
    assert response.json() == shown(endpoint)


def test_an_empty_patch_changes_nothing(client_for, tenant, endpoint):
    before = shown(endpoint)
    response = client_for(tenant.admin).patch(f"{V}/webhooks/{endpoint.id}", {}, format="json")
    assert response.status_code == 200
    endpoint.refresh_from_db()
    assert shown(endpoint) == before


def test_rotating_the_secret_shows_the_new_one_once(client_for, tenant, endpoint):
    old = endpoint.secret

    response = client_for(tenant.admin).post(f"{V}/webhooks/{endpoint.id}/rotate-secret")

    assert response.status_code == 200
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret.startswith("whsec_")
    assert response.json() == {**shown(endpoint), "secret": endpoint.secret}


def test_deleting_an_endpoint_deletes_its_log(client_for, tenant, endpoint):
    client = client_for(tenant.admin)
    client.post(f"{V}/webhooks/{endpoint.id}/ping")

    response = client.delete(f"{V}/webhooks/{endpoint.id}")

    assert response.status_code == 204
    assert not WebhookEndpoint.objects.exists()
    assert not WebhookDelivery.objects.exists()


def test_a_ping_is_queued_as_a_delivery(
    client_for, tenant, endpoint, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for(tenant.admin).post(f"{V}/webhooks/{endpoint.id}/ping")

    assert response.status_code == 202
    delivery = WebhookDelivery.objects.get()
    assert len(callbacks) == 1  # its sending, after commit
    assert delivery.endpoint == endpoint
    assert delivery.event == "ping" and delivery.status == "pending"
    assert delivery.payload == {
        "id": delivery.event_id,
        "type": "ping",
        "occurred_at": delivery.payload["occurred_at"],
        "company": tenant.company.id,
        "actor": tenant.admin.id,
        "endpoint": endpoint.id,
    }
    assert delivery.event_id.startswith("ping:")
    assert response.json()["id"] == delivery.pk
    assert response.json()["status"] == "pending"


def test_an_inactive_endpoint_is_not_pinged(client_for, tenant, endpoint):
    endpoint.is_active = False
    endpoint.save()

    response = client_for(tenant.admin).post(f"{V}/webhooks/{endpoint.id}/ping")

    assert response.status_code == 409
    assert response.json()["code"] == "endpoint_inactive"
    assert not WebhookDelivery.objects.exists()


def test_an_inactive_company_cannot_register_endpoints(client_for, tenant):
    tenant.company.is_active = False
    tenant.company.save()

    response = client_for(tenant.admin).post(
        f"{V}/companies/{tenant.company.id}/webhooks",
        {"url": ERP, "events": ["order.created"]},
        format="json",
    )

    assert response.status_code == 403
    assert response.json()["code"] == "company_inactive"
    assert not WebhookEndpoint.objects.exists()


def test_staff_manage_any_companys_endpoints(staff_client, tenant, endpoint):
    assert staff_client.get(f"{V}/companies/{tenant.company.id}/webhooks").status_code == 200
    response = staff_client.patch(
        f"{V}/webhooks/{endpoint.id}", {"description": "by staff"}, format="json"
    )
    assert response.status_code == 200
    endpoint.refresh_from_db()
    assert endpoint.description == "by staff"


# --- Who may do what ----------------------------------------------------------------------

ACTIONS = {
    "list": ("get", "{company}/webhooks", None),
    "create": ("post", "{company}/webhooks", {"url": ERP, "events": ["order.created"]}),
    "retrieve": ("get", "{endpoint}", None),
    "update": ("patch", "{endpoint}", {"description": "changed"}),
    "delete": ("delete", "{endpoint}", None),
    "rotate": ("post", "{endpoint}/rotate-secret", None),
    "ping": ("post", "{endpoint}/ping", None),
    "deliveries": ("get", "{endpoint}/deliveries", None),
    "delivery": ("get", "{endpoint}/deliveries/{delivery}", None),
    "redeliver": ("post", "{endpoint}/deliveries/{delivery}/redeliver", None),
}
OK = {"list": 200, "create": 201, "delete": 204, "ping": 202, "redeliver": 202}


def _call(client: APIClient, action: str, endpoint, delivery):
    method, path, body = ACTIONS[action]
    url = V + path.format(
        company=f"/companies/{endpoint.company_id}",
        endpoint=f"/webhooks/{endpoint.id}",
        delivery=delivery.id,
    )
    return getattr(client, method)(url, body, format="json")


def _state():
    return (
        list(WebhookEndpoint.objects.values_list("id", "description", "secret").order_by("id")),
        WebhookDelivery.objects.count(),
    )


@pytest.fixture
def delivery(endpoint):
    return WebhookDelivery.objects.create(
        endpoint=endpoint,
        event="ping",
        event_id="ping:1",
        payload={"id": "ping:1", "type": "ping"},
        status=WebhookDelivery.Status.FAILED,
        give_up_at=endpoint.created_at,
    )


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize(
    ("role", "expected"),
    [("admin", "ok"), ("lead", 403), ("agent", 403), ("requester", 403), ("outsider", 404)],
)
def test_only_the_companys_admins_reach_its_endpoints(
    client_for, tenant, other_tenant, endpoint, delivery, action, role, expected
):
    person = other_tenant.admin if role == "outsider" else getattr(tenant, role)
    before = _state()

    response = _call(client_for(person), action, endpoint, delivery)

    if expected == "ok":
        assert response.status_code == OK.get(action, 200), response.content
    else:
        assert response.status_code == expected, response.content
        assert response.json()["code"] == ("permission_denied" if expected == 403 else "not_found")
        assert _state() == before


def test_anonymous_callers_are_refused(api_client, endpoint):
    assert api_client.get(f"{V}/webhooks/{endpoint.id}").status_code == 401


# --- Bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "url"),
        ({"url": ERP}, "events"),
        ({"url": ERP, "events": []}, "events"),
        ({"url": ERP, "events": ["order.deleted"]}, "events"),
        ({"url": ERP, "events": "order.created"}, "events"),
        ({"url": ERP, "events": {"order.created": 1}}, "events"),
        ({"url": ERP, "events": ["order.created"], "is_active": "yes"}, "is_active"),
        ({"url": ERP, "events": ["order.created"], "secret": "mine"}, "secret"),
        ({"url": ERP, "events": ["order.created"], "company": 2}, "company"),
        ({"url": ERP, "events": ["order.created"], "created_by": 1}, "created_by"),
        ({"url": "https://e.example.com/" + "a" * 2000, "events": ["ping"]}, "url"),
        ({"url": None, "events": ["order.created"]}, "url"),
        ({"url": ERP, "events": ["order.created"], "description": "x" * 201}, "description"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(client_for, tenant, body, field):
    response = client_for(tenant.admin).post(
        f"{V}/companies/{tenant.company.id}/webhooks", body, format="json"
    )

    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"url": "http://127.0.0.1/hook"},
        {"url": "https://10.0.0.1/"},
        {"events": []},
        {"events": ["nope"]},
        {"secret": "mine"},
        {"is_active": 0},
        {"company": 99},
    ],
)
def test_a_bad_patch_is_a_400_and_changes_nothing(client_for, tenant, endpoint, body):
    before = shown(endpoint), endpoint.secret

    response = client_for(tenant.admin).patch(f"{V}/webhooks/{endpoint.id}", body, format="json")

    assert response.status_code == 400, response.content
    endpoint.refresh_from_db()
    assert (shown(endpoint), endpoint.secret) == before


@pytest.mark.parametrize("path", ["rotate-secret", "ping"])
def test_an_action_that_takes_no_body_refuses_one(client_for, tenant, endpoint, path):
    before = endpoint.secret
    response = client_for(tenant.admin).post(
        f"{V}/webhooks/{endpoint.id}/{path}", {"secret": "mine"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["secret"][0]
    endpoint.refresh_from_db()
    assert endpoint.secret == before
    assert not WebhookDelivery.objects.exists()


# --- Lists --------------------------------------------------------------------------------


def test_the_list_holds_only_the_companys_endpoints_and_filters(client_for, tenant, other_tenant):
    ours = WebhookEndpointFactory(company=tenant.company, description="ERP")
    paused = WebhookEndpointFactory(company=tenant.company, is_active=False, description="CRM")
    WebhookEndpointFactory(company=other_tenant.company)
    client = client_for(tenant.admin)
    url = f"{V}/companies/{tenant.company.id}/webhooks"

    assert [row["id"] for row in client.get(url).json()["results"]] == [ours.id, paused.id]
    assert [row["id"] for row in client.get(url, {"is_active": "false"}).json()["results"]] == [
        paused.id
    ]
    assert [row["id"] for row in client.get(url, {"search": "erp"}).json()["results"]] == [ours.id]
    assert client.get(f"{V}/companies/{other_tenant.company.id}/webhooks").status_code == 404


@pytest.mark.parametrize("page_size", [1, 5, 100])
def test_the_endpoint_list_costs_a_fixed_number_of_queries(
    client_for, tenant, django_assert_max_num_queries, page_size
):
    WebhookEndpointFactory.create_batch(6, company=tenant.company)
    client = client_for(tenant.admin)

    with django_assert_max_num_queries(5):  # user, company, role, count, page
        response = client.get(
            f"{V}/companies/{tenant.company.id}/webhooks", {"page_size": page_size}
        )

    assert response.status_code == 200
    assert len(response.json()["results"]) == min(page_size, 6)
