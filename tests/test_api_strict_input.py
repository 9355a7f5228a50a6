"""What schema fuzzing (docs/security.md) found, pinned as tests through the HTTP API."""

from datetime import timedelta

import pytest
from django.utils import timezone

from events.tests.factories import EventFactory
from ongs.tests.factories import OngFactory

pytestmark = pytest.mark.django_db

NOT_FOUND = {"detail": "Not found.", "code": "not_found"}


def test_a_url_matching_no_route_is_a_json_404_in_the_error_shape(api_client):
    response = api_client.get("/api/v1/bills/not-a-number")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == NOT_FOUND


def test_an_unknown_object_is_a_404_with_a_code(api_client):
    response = api_client.get("/api/v1/ongs/987654")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@pytest.mark.parametrize("page_size", ["abc", "0", "-3", ""])
def test_a_page_size_that_is_not_a_positive_integer_is_refused(api_client, page_size):
    response = api_client.get("/api/v1/ongs", {"page_size": page_size})

    assert response.status_code == 400
    assert response.json()["errors"] == {"page_size": ["Must be a positive integer."]}


def test_an_empty_page_is_refused(api_client):
    response = api_client.get("/api/v1/ongs", {"page": ""})

    assert response.status_code == 400
    assert response.json()["errors"] == {"page": ["Must be a positive integer."]}


def test_a_huge_page_size_is_capped(api_client):
    OngFactory.create_batch(3)

    response = api_client.get("/api/v1/ongs", {"page_size": "100000"})

    assert response.status_code == 200
    assert response.json()["count"] == 3


def test_a_yes_no_filter_refuses_anything_but_true_false_1_0(api_client):
    OngFactory(is_active=True)

    refused = api_client.get("/api/v1/ongs", {"is_active": "maybe"})
    accepted = api_client.get("/api/v1/ongs", {"is_active": "TRUE"})

    assert refused.status_code == 400
    assert refused.json()["errors"] == {"is_active": ["Must be true or false."]}
    assert accepted.status_code == 200
    assert accepted.json()["count"] == 1


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/events", "starts_before"),
        ("/api/v1/events", "upcoming"),
        ("/api/v1/orders", "created_before"),
        ("/api/v1/orders", "team"),
    ],
)
def test_an_empty_typed_filter_is_refused_not_ignored(user_client, path, parameter):
    response = user_client.get(path, {parameter: ""})

    assert response.status_code == 400
    assert response.json()["errors"] == {parameter: ["This field may not be blank."]}


def test_an_empty_text_filter_still_means_no_filter(api_client):
    OngFactory()

    response = api_client.get("/api/v1/ongs", {"name": ""})

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_a_date_time_filter_with_an_offset_postgresql_refuses_is_read_in_utc(api_client):
    EventFactory(starts_at=timezone.now() + timedelta(days=3))

    # +21:18 is valid ISO 8601; PostgreSQL accepts offsets up to 15:59 only.
    response = api_client.get("/api/v1/events", {"starts_before": "9491-05-20T02:58:36+21:18"})

    assert response.status_code == 200
    assert response.json()["count"] == 1


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"])
def test_a_date_time_filter_outside_the_calendar_in_utc_is_a_400(api_client, value):
    response = api_client.get("/api/v1/events", {"starts_after": value})

    assert response.status_code == 400
    assert response.json()["errors"] == {"starts_after": ["Enter a valid date/time."]}


def test_an_undeclared_method_on_the_inbound_webhook_is_405(api_client):
    response = api_client.generic("TRACE", "/api/v1/inbound/email")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def _schema(api_client) -> dict:
    response = api_client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_the_schema_declares_the_error_responses_each_operation_can_give(api_client):
    schema = _schema(api_client)
    error = {"$ref": "#/components/schemas/Error"}

    assert schema["components"]["schemas"]["Error"]["required"] == ["detail", "code"]
    operations = [
        (path, method, operation)
        for path, methods in schema["paths"].items()
        if path.startswith("/api/")
        for method, operation in methods.items()
    ]
    assert len(operations) > 100
    for path, method, operation in operations:
        responses = operation["responses"]
        for code, response in responses.items():
            if code.startswith(("4", "5")) and "DonationRefused" not in str(response):
                assert response["content"]["application/json"]["schema"] == error, (path, code)
        if "{" in path:
            assert "404" in responses, (path, method)
        if "requestBody" in operation:
            assert {"400", "415"} <= responses.keys(), (path, method)
    login = schema["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert "429" in login and not {"403", "404"} & login.keys()
    assert "422" in schema["paths"]["/api/v1/ongs/{ong_pk}/donations"]["post"]["responses"]
    assert "429" not in schema["paths"]["/api/v1/orders"]["get"]["responses"]
    assert "409" in schema["paths"]["/api/v1/orders/{id}/take"]["post"]["responses"]


def test_the_schema_shows_public_reads_as_open_to_anonymous_callers(api_client):
    paths = _schema(api_client)["paths"]

    assert {} in paths["/api/v1/events"]["get"]["security"]
    assert {} in paths["/api/v1/ongs/{id}"]["get"]["security"]
    assert {} not in paths["/api/v1/ongs/{id}"]["patch"]["security"]


def test_the_schema_declares_times_as_drf_writes_them(api_client):
    routine = _schema(api_client)["components"]["schemas"]["Routine"]["properties"]

    assert "format" not in routine["time_limit"]
    assert routine["time_limit"]["pattern"] == r"^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$"


def test_the_schema_marks_what_can_be_null_as_nullable(api_client):
    schemas = _schema(api_client)["components"]["schemas"]

    assert schemas["Team"]["properties"]["lead"]["nullable"] is True
    assert schemas["Task"]["properties"]["assignee_name"]["nullable"] is True
