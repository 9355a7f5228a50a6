"""The OpenAPI schema as a newcomer reads it (core/schema.py's hooks): method-like operation
ids, a summary and "who may call it" on every operation, no login declared where none is
taken, clean page names, tags in reading order, only the errors an operation can give, and
examples that match their own schemas."""

import re

import jsonschema
import pytest
from django.conf import settings
from django.test import Client

from core import schema as hooks
from core.views import SchemaView

METHODS = {"get", "put", "post", "patch", "delete"}
NO_LOGIN = {"auth_register", "auth_login", "auth_refresh", "inbound_email", "health"}
PUBLIC_READS = {"ongs_list", "ongs_retrieve", "ongs_events_list", "events_list", "events_retrieve"}
TAGS = [
    "auth",
    "users",
    "companies",
    "orders",
    "inbound e-mail",
    "sla",
    "equipment",
    "ongs",
    "events",
    "payments",
    "homes",
    "health",
    "webhooks",
]


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


@pytest.fixture(scope="module")
def operations(schema) -> dict[str, dict]:
    """Operation id → the operation, with its path and method added under `_path`."""
    found = {}
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if method in METHODS:
                assert operation["operationId"] not in found, operation["operationId"]
                found[operation["operationId"]] = {**operation, "_path": path, "_method": method}
    return found


def _errors(operation: dict) -> set[str]:
    return {code for code in operation["responses"] if code[0] == "4"}


# --- Operation ids and paths -------------------------------------------------------------


def test_operation_ids_read_like_method_names_and_are_unique(schema, operations):
    ids = [
        operation["operationId"]
        for methods in schema["paths"].values()
        for method, operation in methods.items()
        if method in METHODS
    ]

    assert len(ids) > 100
    assert len(ids) == len(set(ids))
    assert [i for i in ids if not re.fullmatch(r"[a-z_]+", i) or "api_v1" in i] == []
    assert {
        "orders_list",
        "orders_create",
        "orders_retrieve",
        "orders_partial_update",
        "orders_destroy",
        "orders_take",
        "orders_close",
        "orders_messages_list",
        "orders_messages_create",
        "orders_attachments_retrieve",
        "orders_stats",
        "companies_activate",
        "companies_members_partial_update",
        "users_me_retrieve",
        "users_me_partial_update",
        "events_registration_create",
        "events_registration_destroy",
        "auth_login",
        "auth_logout_all",
        "inbound_email",
        "health",
    } <= operations.keys()
    assert operations["orders_take"]["_path"] == "/api/v1/orders/{id}/take"
    assert operations["orders_messages_list"]["_method"] == "get"


@pytest.mark.django_db
def test_operation_ids_stay_the_same_once_the_views_have_served_requests(operations):
    # DRF adds `head` to a viewset route's own method mapping on its first request.
    Client().get("/api/v1/orders/stats")
    Client().get("/api/v1/ongs/1/balance")
    SchemaView.forget()

    again = Client().get("/api/schema/", {"format": "json"}).json()

    ids = {
        operation["operationId"]
        for methods in again["paths"].values()
        for method, operation in methods.items()
        if method in METHODS
    }
    assert ids == operations.keys()
    assert {"orders_stats", "ongs_balance"} <= ids


def test_ids_in_paths_are_integers_and_other_path_parameters_are_not(operations):
    kinds = {
        parameter["name"]: parameter["schema"]["type"]
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "path"
    }

    assert {"id", "company_id", "user_id", "home_id", "ong_pk", "event_pk", "attachment_id"} <= (
        kinds.keys()
    )
    assert {name for name, kind in kinds.items() if kind != "integer"} == {"token"}


def test_an_explicit_operation_id_and_summary_are_kept():
    result = {
        "paths": {
            "/api/v1/things": {
                "post": {"operationId": "make_thing", "summary": "Make a thing", "responses": {}},
                "get": {"operationId": "api_v1_things_list", "responses": {}},
            }
        }
    }

    class NoViews:
        endpoints = []

    hooks.polish_operations(result, NoViews(), None, True)

    post, get = result["paths"]["/api/v1/things"]["post"], result["paths"]["/api/v1/things"]["get"]
    assert (post["operationId"], post["summary"]) == ("make_thing", "Make a thing")
    assert get["operationId"] == "things"  # drf-spectacular's default id, renamed
    assert get["summary"] and "**Who may call it:**" in get["description"]


# --- Summaries and descriptions ----------------------------------------------------------


def test_every_operation_has_a_summary_and_says_what_it_does_and_who_may_call_it(operations):
    for operation_id, operation in operations.items():
        summary = operation.get("summary", "")
        what, _, who = operation.get("description", "").partition("\n\n**Who may call it:** ")
        assert summary.strip() and summary[0].isupper(), operation_id
        assert not summary.endswith("."), operation_id
        assert what.strip() and who.strip(), operation_id


def test_summaries_come_from_docstrings_that_instruct_or_else_from_the_action_and_model(
    operations,
):
    summaries = {name: operation["summary"] for name, operation in operations.items()}

    assert summaries["orders_take"] == "Take an order"  # its docstring describes: not used
    assert summaries["orders_list"] == "List orders"
    assert summaries["orders_create"] == "Create an order"
    assert summaries["routines_destroy"] == "Delete a routine"
    assert summaries["ongs_retrieve"] == "Get an NGO"  # the model's verbose name
    assert summaries["companies_activate"] == "Activate a company"
    assert summaries["companies_members_list"] == "List a company's members"
    assert summaries["orders_messages_list"] == "List an order's messages"
    assert summaries["orders_messages_create"] == "Add a message to an order"
    assert summaries["bills_pay"] == "Mark the bill paid"  # "Mark the bill paid (...); 409 ..."
    assert summaries["auth_register"] == "Create an account"  # the view's docstring
    assert summaries["auth_login"] == "Log in"  # SUMMARIES


def test_descriptions_say_who_may_call_the_operation(operations):
    def who(operation_id: str) -> str:
        return operations[operation_id]["description"].split("**Who may call it:** ", 1)[1]

    assert who("auth_login") == "Anyone, without logging in."
    assert who("events_list") == "Anyone; logging in is optional."
    assert who("orders_list") == "Any logged-in user."
    assert who("companies_activate") == "Platform staff only."
    assert "roles on the order: admin or agent" in who("orders_take")
    assert "platform staff always may" in who("orders_take")
    assert "404" in who("ongs_balance")  # a private action: others do not see it exists
    assert "signature" in who("inbound_email")
    assert "only the person (or staff) changes them" in who("users_partial_update")


def test_a_descriptive_docstring_is_no_summary():
    assert hooks._instruction("Mark the bill paid (the creditor); 409 if paid.") == (
        "Mark the bill paid"
    )
    assert hooks._instruction("Rotate a refresh token: a new pair comes back.") == (
        "Rotate a refresh token"
    )
    assert hooks._instruction("The audit timeline, oldest first.") is None
    assert hooks._instruction("An agent takes an open order.") is None
    assert hooks._instruction(None) is None


# --- Security ----------------------------------------------------------------------------


def test_operations_that_take_no_login_declare_no_security(operations):
    assert {i for i, operation in operations.items() if operation.get("security") == []} == (
        NO_LOGIN
    )


def test_public_reads_take_a_token_but_do_not_need_one(operations):
    for operation_id in PUBLIC_READS:
        assert operations[operation_id]["security"] == [{"jwtAuth": []}, {}], operation_id


def test_every_other_operation_keeps_the_jwt_bearer_scheme(schema, operations):
    assert schema["components"]["securitySchemes"]["jwtAuth"]["scheme"] == "bearer"
    for operation_id, operation in operations.items():
        if operation_id not in NO_LOGIN:
            assert {"jwtAuth": []} in operation["security"], operation_id
    assert operations["orders_take"]["security"] == [{"jwtAuth": []}]


# --- Components and tags -----------------------------------------------------------------


def test_pages_are_named_after_what_they_list(schema, operations):
    names = schema["components"]["schemas"].keys()

    assert [name for name in names if name.startswith("Paginated")] == []
    assert {"OrderPage", "EventPage", "RoutinePage"} <= names
    ok = operations["orders_list"]["responses"]["200"]["content"]["application/json"]
    assert ok["schema"] == {"$ref": "#/components/schemas/OrderPage"}
    assert "Paginated" not in str(schema)


def test_page_names_never_collide():
    assert hooks._page_names(["PaginatedOrderListList", "PaginatedOrderList", "Order"]) == {
        "PaginatedOrderList": "OrderPage",
        "PaginatedOrderListList": "OrderListPage",
    }


def test_tags_are_declared_in_reading_order_each_with_a_description(schema, operations):
    tags = schema["tags"]

    assert [tag["name"] for tag in tags] == TAGS
    assert [tag["name"] for tag in settings.SPECTACULAR_SETTINGS["TAGS"]] == TAGS
    assert all(tag.get("description") for tag in tags)
    used = {tag for operation in operations.values() for tag in operation["tags"]}
    assert used == set(TAGS)


# --- Error responses ---------------------------------------------------------------------


def test_each_operation_lists_only_the_errors_it_can_give(operations):
    assert _errors(operations["auth_login"]) == {"400", "401", "413", "415", "429"}
    assert _errors(operations["auth_register"]) == {"400", "413", "415", "429"}
    assert _errors(operations["orders_take"]) == {"401", "403", "404", "409"}
    assert _errors(operations["orders_close"]) == {"400", "401", "403", "404", "409", "413", "415"}
    assert _errors(operations["orders_list"]) == {"400", "401"}  # past the end: an empty page
    assert _errors(operations["orders_retrieve"]) == {"401", "404"}
    assert _errors(operations["orders_stats"]) == {"400", "401"}  # RAISES: unlisted filters
    assert _errors(operations["companies_activate"]) == {"401", "403", "404"}
    assert _errors(operations["ongs_balance"]) == {"401", "404"}  # private: 404, never 403
    assert _errors(operations["inbound_email"]) == {"400", "403", "409", "413", "415"}
    assert {"402", "409", "422", "429", "502"} <= operations["ongs_donations_create"][
        "responses"
    ].keys()
    assert _errors(operations["health"]) == set()


def test_error_responses_follow_the_rules(operations):
    for operation_id, operation in operations.items():
        codes = _errors(operation)
        has_body = "requestBody" in operation
        query = any(p["in"] == "query" for p in operation.get("parameters", []))
        in_path = any(p["in"] == "path" for p in operation.get("parameters", []))
        raised = hooks.RAISES.get(operation_id, set())
        assert ("400" in codes) == (has_body or query or "400" in raised), operation_id
        assert ({"413", "415"} <= codes) == has_body, operation_id
        assert ("404" in codes) == in_path, operation_id
        if operation.get("security") == []:
            assert "401" not in codes or "401" in raised, operation_id
        else:
            assert "401" in codes, operation_id
        if operation["_method"] == "get" and "403" not in raised:
            assert "409" not in codes, operation_id


def test_error_responses_are_the_one_error_shape(schema, operations):
    error = {"$ref": "#/components/schemas/Error"}

    assert schema["components"]["schemas"]["Error"]["required"] == ["detail", "code"]
    for operation_id, operation in operations.items():
        for code in _errors(operation) - {"402"}:
            content = operation["responses"][code]["content"]["application/json"]
            assert content["schema"] == error, (operation_id, code)


def test_the_tables_name_operations_that_exist(operations):
    for table in (hooks.RAISES, hooks.SUMMARIES, hooks.EXAMPLES):
        assert set(table) - operations.keys() == set()


# --- Examples ----------------------------------------------------------------------------


def _json_schema(node):
    """An OpenAPI 3.0 schema as JSON Schema: `nullable` becomes a `null` alternative."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def _validate(schema: dict, part: dict, value) -> None:
    root = _json_schema({"components": schema["components"]})
    validator = jsonschema.Draft4Validator(
        {**_json_schema(part), "components": root["components"]},
    )
    validator.validate(value)


@pytest.mark.parametrize(
    "operation_id",
    [
        "auth_login",
        "orders_create",
        "orders_take",
        "orders_close",
        "inbound_email",
        "ongs_donations_create",
        "events_registration_create",
        "homes_routines_create",
    ],
)
def test_main_operations_have_examples_that_match_their_schemas(schema, operations, operation_id):
    operation = operations[operation_id]
    parts = [("request", operation.get("requestBody", {}))] + [
        (code, response) for code, response in operation["responses"].items()
    ]
    shown = []
    for name, part in parts:
        content = part.get("content", {}).get("application/json", {})
        for example in content.get("examples", {}).values():
            assert example["summary"]
            _validate(schema, content["schema"], example["value"])
            shown.append(name)

    assert any(name.startswith("2") for name in shown), operation_id
    if "requestBody" in operation:
        assert "request" in shown, operation_id


# Bodies we do not own: a mail provider's webhook sends fields we do not read.
OPEN_BODIES = {"inbound_email"}


def test_request_bodies_refuse_what_they_do_not_declare(schema, operations):
    # core.serializers.InputSerializer answers 400 to an undeclared field; the schema says so
    # (`additionalProperties: false`), so generated clients and fuzzers do not send one.
    components = schema["components"]["schemas"]
    open_bodies = set()
    for operation_id, operation in operations.items():
        for media in operation.get("requestBody", {}).get("content", {}).values():
            name = media["schema"].get("$ref", "").rsplit("/", 1)[-1]
            if components.get(name, {}).get("additionalProperties") is not False:
                open_bodies.add(operation_id)
    assert open_bodies == OPEN_BODIES


@pytest.mark.django_db
def test_options_answers_every_path_without_a_server_error(schema):
    """DRF's OPTIONS metadata looks up the object of every PUT; a path with no `pk` (such as
    users/me/photo) must still answer, for browsers' preflights and for generated clients."""
    from rest_framework.test import APIClient

    from accounts.models import User

    client = APIClient()
    client.force_authenticate(User.objects.create_user(email="options@example.com", password="x"))
    for path in schema["paths"]:
        url = re.sub(r"\{[^}]+\}", "1", path)
        response = client.options(url)
        assert response.status_code < 500, (url, response.status_code)
