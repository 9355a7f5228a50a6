"""core.renderers.JSONRenderer (orjson) must write what DRF's JSONRenderer writes."""

import datetime
import decimal
import json
import uuid

from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer as DRFJSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict

from core.renderers import JSONRenderer

ZONE = datetime.timezone(datetime.timedelta(hours=-3))

DATA = ReturnDict(
    {
        "text": "Ação “social” – 日本 \u2028 \u2029 </script>",
        "int": 2**40,
        "float": 0.1,
        "bool": True,
        "none": None,
        "decimal": decimal.Decimal("12.30"),
        "utc": datetime.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.UTC),
        "local": datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=ZONE),
        "naive": datetime.datetime(2026, 1, 2, 3, 4, 5),
        "date": datetime.date(2026, 1, 2),
        "time": datetime.time(3, 4, 5),
        "delta": datetime.timedelta(hours=1, seconds=1),
        "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "lazy": gettext_lazy("open"),
        "tuple": (1, "a"),
        "set": {3},
        "nested": [{"k": [1, {"x": None}]}],
        3: "int key",
    },
    serializer=None,
)


def test_same_bytes_as_drf():
    assert JSONRenderer().render(DATA) == DRFJSONRenderer().render(DATA)


def test_unusual_values_fall_back_to_drf():
    data = {"huge": 2**70}
    assert (
        JSONRenderer().render(data)
        == DRFJSONRenderer().render(data)
        == b'{"huge":1180591620717411303424}'
    )


def test_indented_and_empty_output_take_drfs_path():
    indented = JSONRenderer().render({"a": [1]}, "application/json; indent=2")
    assert indented == DRFJSONRenderer().render({"a": [1]}, "application/json; indent=2")
    assert json.loads(indented) == {"a": [1]}
    assert JSONRenderer().render(None) == b""


def test_the_api_answers_through_it(api_client):
    response = api_client.get("/api/v1/ping")
    assert response.status_code in (200, 401)
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)
