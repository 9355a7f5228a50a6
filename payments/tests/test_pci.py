"""The full card number and the CVC never reach the database, the logs or a response."""

import json
import re

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import IdempotencyRecord
from ongs.tests.factories import OngFactory
from payments.tests.factories import INSUFFICIENT_FUNDS, PROCESSOR_ERROR

pytestmark = pytest.mark.django_db

NUMBERS = ["4242424242424242", "378282246310005", INSUFFICIENT_FUNDS, PROCESSOR_ERROR]
CVCS = ["987", "6543"]


def _all_payment_rows() -> list[str]:
    """Every column of every row of every table the payments and NGO ledger apps own, and
    of the Idempotency-Key records (core's), which store the donation answers."""
    tables = [
        model for label in ("payments", "ongs") for model in apps.get_app_config(label).get_models()
    ]
    values = []
    for model in [*tables, IdempotencyRecord]:
        for row in model.objects.values_list():
            values.extend(str(value) for value in row)
    return values


def test_card_number_and_cvc_are_never_stored_logged_or_returned(client_for, user, captured_logs):
    client = client_for(user)
    ong = OngFactory()
    responses = []

    with CaptureQueriesContext(connection) as queries:
        for number, cvc in zip(NUMBERS, ["987", "6543", "987", "987"], strict=True):
            responses.append(
                client.post(
                    "/api/v1/payment-methods",
                    {
                        "number": number,
                        "exp_month": 12,
                        "exp_year": 2099,
                        "cvc": cvc,
                        "holder_name": "Paula",
                    },
                )
            )
        # refused inputs must not echo the number either
        responses.append(
            client.post(
                "/api/v1/payment-methods",
                {
                    "number": NUMBERS[0],
                    "exp_month": 12,
                    "exp_year": 2099,
                    "cvc": "987",
                    "holder_name": "Paula",
                },
            )
        )
        responses.append(
            client.post(
                "/api/v1/payment-methods",
                {
                    "number": "4242424242424241",
                    "exp_month": 12,
                    "exp_year": 2020,
                    "cvc": "987",
                    "holder_name": "Paula",
                },
            )
        )
        for method in client.get("/api/v1/payment-methods").data["results"]:
            responses.append(
                client.post(
                    f"/api/v1/ongs/{ong.pk}/donations",
                    {"amount": "10.00", "payment_method": method["id"]},
                    HTTP_IDEMPOTENCY_KEY=f"pci-{method['id']}",
                )
            )
        responses.append(client.get("/api/v1/payment-methods"))
        responses.append(client.get("/api/v1/donations"))

    assert [response.status_code for response in responses[:6]] == [201, 201, 201, 201, 400, 400]
    assert sorted(response.status_code for response in responses[6:10]) == [201, 201, 402, 502]
    stored = _all_payment_rows()
    assert len(stored) > 50  # the scan really read the rows
    sql = [query["sql"] for query in queries.captured_queries]
    bodies = [response.content.decode() for response in responses]
    logs = captured_logs
    # A number is searched as a substring; a CVC as a whole word, since any three digits
    # also occur inside timestamps, hashes and tokens.
    patterns = [re.escape(number) for number in [*NUMBERS, "4242424242424241"]]
    patterns += [rf"\b{cvc}\b" for cvc in CVCS]
    places = {"database": stored, "SQL": sql, "response": bodies, "logs": logs}
    for pattern in patterns:
        for where, haystack in places.items():
            assert not [text for text in haystack if re.search(pattern, text)], (pattern, where)
    # the idempotency records store responses: they are in the scan above, but be explicit
    assert all(NUMBERS[0] not in json.dumps(value) for value in stored)


def test_card_details_never_show_in_a_repr():
    from payments.gateway import CardDetails

    card = CardDetails(
        number="4242424242424242", exp_month=1, exp_year=2099, cvc="987", holder_name="P"
    )

    assert "4242424242424242" not in repr(card)
    assert "987" not in repr(card)
