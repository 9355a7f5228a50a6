"""Request and response examples of the equipment operations, for the API schema."""

from drf_spectacular.utils import OpenApiExample

from equipment.services import EDITABLE_FIELDS

_WHEN = "2026-03-02T13:45:00Z"
_ITEM = {
    "id": 12,
    "company": {"id": 1, "name": "SoftClient"},
    "kind": "printer",
    "brand": "HP",
    "model": "LaserJet M428",
    "serial_number": "BRBSN12345",
    "patrimony_tag": "PAT-0042",
    "site_address": "Av. Paulista, 1000, São Paulo - SP",
    "room": "2nd floor, room 204",
    "status": "in_use",
    "notes": "Shared by the finance team.",
    "has_open_orders": True,
    "created_at": _WHEN,
    "updated_at": _WHEN,
}
_ORDER = {
    "id": 42,
    "title": "Printer on the 2nd floor jams on every page",
    "status": "in_progress",
    "created_at": _WHEN,
    "closed_at": None,
}
_BODY = {key: _ITEM[key] for key in EDITABLE_FIELDS}

LIST = OpenApiExample(
    "A page of printers",
    value={"count": 1, "next": None, "previous": None, "results": [_ITEM]},
    response_only=True,
)
DETAIL = OpenApiExample(
    "A printer with its orders",
    value={
        **_ITEM,
        "history": [
            _ORDER,
            {**_ORDER, "id": 17, "title": "Toner", "status": "closed", "closed_at": _WHEN},
        ],
    },
    response_only=True,
)
CREATE_REQUEST = OpenApiExample("A printer", value={"company": 1, **_BODY}, request_only=True)
CREATED = OpenApiExample(
    "Registered, in use",
    value={**_ITEM, "has_open_orders": False},
    response_only=True,
    status_codes=["201"],
)
UPDATE_REQUEST = OpenApiExample(
    "Moved to another room", value={"room": "3rd floor, room 301"}, request_only=True
)
UPDATED = OpenApiExample(
    "Moved", value={**_ITEM, "room": "3rd floor, room 301"}, response_only=True
)
STATUS_REQUEST = OpenApiExample("Retire it", value={"status": "retired"}, request_only=True)
RETIRED = OpenApiExample(
    "Retired",
    value={**_ITEM, "status": "retired", "has_open_orders": False},
    response_only=True,
)
ORDERS = OpenApiExample(
    "It still has open orders",
    value={
        "detail": "Close the orders of this equipment before retiring it.",
        "code": "equipment_has_open_orders",
    },
    response_only=True,
    status_codes=["409"],
)
ORDERS = OpenApiExample(
    "It still has open orders",
    value={
        "detail": "Close the orders of this equipment before retiring it.",
        "code": "equipment_has_open_orders",
    },
    response_only=True,
    status_codes=["409"],
)
HAS_ORDERS = OpenApiExample(
    "Orders point at it",
    value={
        "detail": "Orders point at this equipment: retire it instead of deleting it.",
        "code": "equipment_has_orders",
    },
    response_only=True,
    status_codes=["409"],
)
ORDERS = OpenApiExample(
    "Its orders",
    value={"count": 1, "next": None, "previous": None, "results": [_ORDER]},
    response_only=True,
)
IMPORTED = OpenApiExample(
    "Every row stored", value={"created": 120}, response_only=True, status_codes=["201"]
)
