"""schemathesis hooks of `make fuzz` (loaded through SCHEMATHESIS_HOOKS=fuzz.hooks).

`negative_data_rejection_except_coercion` is schemathesis' `negative_data_rejection` minus
two kinds of case that Django REST framework accepts by design, so not defects:
- a JSON number sent for a text field is taken as its text (`"description": 0` is stored
  as "0"; DRF's CharField);
- an empty optional field of a multipart or urlencoded form counts as not sent (HTML forms
  send every field, filled or not), so its default applies.
Every other invalid input must still be refused. The coverage phase says which field it
made invalid; the fuzzing and stateful phases do not, so there a body counts as accepted by
design only when turning its numbers into text (where the schema wants text) makes it valid,
or when it is a form body that is not a set of fields at all (DRF reads no field from it)
sent to an operation that requires none.

`use_after_free_except_deactivation` is schemathesis' `use_after_free` except under
`companies/{…}`, `ongs/{…}` and `events/{…}`: there DELETE deactivates (docs/orders.md,
docs/ngos.md); the object leaves the public lists but its admins and staff keep reading it
and what hangs under it (members, teams, balance, withdrawals, participants) and may
reactivate it, so "a deleted object is gone" does not hold there by design.

`ensure_resource_availability_except_leaving` is schemathesis' `ensure_resource_availability`
except under `homes/{…}`: a stateful scenario may create a home and then remove its creator's
own membership (leaving; allowed to a sole member, docs/homes.md), after which the home is
rightly 404 to them.

fuzz/main.py runs the three in place of the built-in ones; docs/security.md says why.
"""

import re

import jsonschema
import schemathesis
from schemathesis.generation.meta import CoveragePhaseData, CoverageScenario
from schemathesis.specs.openapi.checks import (
    ensure_resource_availability,
    negative_data_rejection,
    use_after_free,
)

DEACTIVATED_NOT_DELETED = re.compile(r"^/api/v1/(companies|ongs|events)/\{[a-z_]+\}")
LEFT_BY_DESIGN = re.compile(r"^/api/v1/homes/\{[a-z_]+\}")
FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


def _body_schema(case) -> dict | None:
    for body in case.operation.body:
        if body.media_type == case.media_type and isinstance(body.resolved_schema, dict):
            return body.resolved_schema
    return None


def _valid_once_numbers_are_text(case) -> bool:
    schema = _body_schema(case)
    if schema is None:
        return False
    if (case.media_type or "").startswith(FORMS) and not isinstance(case.body, dict):
        return not schema.get("required")
    if not isinstance(case.body, dict):
        return False
    properties = schema.get("properties", {})
    coerced = {
        name: str(value)
        if isinstance(value, int | float)
        and not isinstance(value, bool)
        and isinstance(properties.get(name), dict)
        and properties[name].get("type") == "string"
        else value
        for name, value in case.body.items()
    }
    if coerced == case.body:
        return False
    return jsonschema.Draft4Validator(schema).is_valid(coerced)


def _accepted_by_design(case) -> bool:
    meta = case.meta
    data = meta.phase.data if meta is not None else None
    if not isinstance(data, CoveragePhaseData):
        return _valid_once_numbers_are_text(case)
    location = getattr(data, "location", None)
    if not isinstance(case.body, dict) or not location or "/properties/" not in location:
        return False
    name = location.rsplit("/properties/", 1)[1].split("/")[0]
    value = case.body.get(name)
    if (case.media_type or "").startswith(FORMS):
        # A repeated form field: DRF reads the last value.
        last = value[-1] if isinstance(value, list) and value else value
        if last == "":
            return True
    if not isinstance(data, CoveragePhaseData):
        return False
    if data.scenario != CoverageScenario.INCORRECT_TYPE:
        return False
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    for body in case.operation.body:
        if body.media_type == case.media_type and isinstance(body.resolved_schema, dict):
            field = body.resolved_schema.get("properties", {}).get(name, {})
            return isinstance(field, dict) and field.get("type") == "string"
    return False


@schemathesis.check
def negative_data_rejection_except_coercion(ctx, response, case):
    if _accepted_by_design(case):
        return None
    return negative_data_rejection(ctx, response, case)


@schemathesis.check
def use_after_free_except_deactivation(ctx, response, case):
    if DEACTIVATED_NOT_DELETED.match(case.operation.path):
        return None
    return use_after_free(ctx, response, case)


@schemathesis.check
def ensure_resource_availability_except_leaving(ctx, response, case):
    if LEFT_BY_DESIGN.match(case.operation.path):
        return None
    return ensure_resource_availability(ctx, response, case)
