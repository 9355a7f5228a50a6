"""schemathesis hooks of `make fuzz` (loaded through SCHEMATHESIS_HOOKS=fuzz.hooks).

Three built-in checks run as narrowed copies; fuzz/main.py excludes the originals and
docs/security.md says why. Each copy excuses only what is named below and hands every other
case to the original check.

`negative_data_rejection_except_coercion` is schemathesis' `negative_data_rejection` minus
two kinds of case that Django REST framework accepts by design, so not defects, and one that
is not invalid at all (third, below):
- a JSON number sent for a plain text field is taken as its text (`"description": 0` is
  stored as "0"; DRF's CharField);
- an empty optional field of a multipart or urlencoded form counts as not sent (HTML forms
  send every field, filled or not), so its default applies; and a form body that is not a
  set of fields at all, sent to an operation that requires no field, is an empty form.
A case is excused only when the body is its only invalid part (an invalid query, path or
header next to it is still judged), and only for the field that was made invalid:
- fuzzing, stateful and examples phases: schemathesis records each mutation; every one must
  be a `type` change of a top-level body field declared `type: string` to an integer or
  number, and the body, with those numbers turned into text, must be valid against the
  operation's schema (OpenAPI 3.0 `nullable` honoured, so a null in a nullable field does
  not spoil it); a form body that is not a set of fields must have been mutated at its root;
- coverage phase (no mutation record, but it names the field and the kind): an `Incorrect
  type` number for that text field, valid once turned into text, or that optional form
  field sent empty;
- a case with no record at all: only if turning its numbers into text makes it valid.
Third, not DRF's doing but schemathesis': a mutation of a top-level property the schema does
not declare (its error feedback reads our 400 envelope `{"errors": {"password": [...]}}` as
a body field `errors` and then "breaks" it) leaves a body that is valid as sent; when every
mutation is of such a property and the body validates, accepting it is right (seen as
anonymous: POST auth/login with the demo credentials and `"errors": {}`, 200).
Everything else DRF coerces (a 0 for a boolean, `{}` for a list...) is NOT excused.

`use_after_free_except_deactivation` is schemathesis' `use_after_free`, except when the
DELETE that "freed" the object was `DELETE /api/v1/companies/{id}`, `/ongs/{id}` or
`/events/{id}`: those deactivate (docs/orders.md, docs/ngos.md); the object leaves the
public lists but its admins and staff keep reading it and what hangs under it (members,
teams, balance, withdrawals, participants) and may reactivate it. A DELETE of something
under them (a member, a registration) must still make it gone. (schemathesis reports the
first DELETE of the scenario that covers the path; when that is a deactivation, a later
real DELETE in the same scenario is not judged.)

`ensure_resource_availability_except_leaving` is schemathesis' `ensure_resource_availability`,
except for a 404 under `homes/{…}` after the scenario removed a membership of that same home
with a successful `DELETE /api/v1/homes/{home_id}/members/{user_id}`: a sole member may leave
(docs/homes.md), after which the home is rightly 404 to them (seen in CI: create home ->
leave -> add routine -> 404). Any other 404 of a just-created home is still a failure.

`filter_case` (coverage phase only) keeps, on the operations whose coverage phase runs under
another role, just the probes of undeclared HTTP methods (expect 405): fuzz/main.py sets
FUZZ_COVERAGE_OWNED to the role's own operations for the roles that probe methods; without
it nothing is filtered.
"""

import copy
import os
import re
from urllib.parse import urlencode

import jsonschema
import schemathesis
from schemathesis.core.mutations import OperatorKind
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import CoveragePhaseData, CoverageScenario
from schemathesis.openapi.checks import EnsureResourceAvailability, UseAfterFree
from schemathesis.specs.openapi.checks import (
    ensure_resource_availability,
    negative_data_rejection,
    use_after_free,
)

DEACTIVATING_DELETE = re.compile(r"^DELETE /api/v1/(companies|ongs|events)/[^/]+$")
UNDER_A_HOME = re.compile(r"^/api/v1/homes/\{(id|home_id)\}")
LEAVING = "/api/v1/homes/{home_id}/members/{user_id}"
FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")
# A mutation's pointer names the changed schema (`/properties/name`); a coverage case's
# location names the violated keyword in it (`/properties/name/type`).
TOP_LEVEL_PROPERTY = re.compile(r"^/properties/([^/]+)$")
TOP_LEVEL_KEYWORD = re.compile(r"^/properties/([^/]+)/")
TOP_LEVEL_SUBSCHEMA = re.compile(r"^/properties/([^/]+)(/|$)")


# --- negative_data_rejection ---------------------------------------------------------------


def _body_schema(case) -> dict | None:
    for body in case.operation.body:
        if body.media_type == case.media_type and isinstance(body.resolved_schema, dict):
            return body.resolved_schema
    return None


def _with_nullable(schema):
    """The schema as JSON Schema: OpenAPI 3.0's `nullable: true` also admits null."""
    if isinstance(schema, list):
        return [_with_nullable(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {key: _with_nullable(value) for key, value in schema.items()}
    if converted.pop("nullable", False) is True:
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def _text_field(schema: dict, name: str) -> bool:
    field = schema.get("properties", {}).get(name)
    return isinstance(field, dict) and field.get("type") == "string"


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _only_the_body_is_invalid(case) -> bool:
    return all(
        location == ParameterLocation.BODY or not component.mode.is_negative
        for location, component in case.meta.components.items()
    )


def _valid_with_numbers_as_text(case, schema: dict, names) -> bool:
    body = copy.copy(case.body)
    for name in names:
        body[name] = str(body[name])
    return jsonschema.Draft4Validator(_with_nullable(schema)).is_valid(body)


def _empty_form(case, schema: dict) -> bool:
    return (
        (case.media_type or "").startswith(FORMS)
        and not isinstance(case.body, dict)
        and not schema.get("required")
    )


def _declared_properties(case) -> set[str] | None:
    """Top-level body properties as the API's own schema declares them (not as inferred)."""
    content = case.operation.definition.raw.get("requestBody", {}).get("content", {})
    schema = content.get(case.media_type, {}).get("schema")
    raw = case.operation.schema.raw_schema
    for _ in range(10):
        if not isinstance(schema, dict):
            return None
        ref = schema.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/"):
            break
        schema = raw
        for part in ref[2:].split("/"):
            schema = schema.get(part, {}) if isinstance(schema, dict) else {}
    if not isinstance(schema, dict) or schema.get("additionalProperties") is False:
        return None
    if {"allOf", "anyOf", "oneOf"} & set(schema):
        return None
    return set(schema.get("properties", {}))


def _invented_property(case, schema: dict, names: set[str]) -> bool:
    """Every mutated property is one the schema does not declare, and the body is valid.

    schemathesis learns field paths from 400 answers, and reads our error envelope
    (`{"detail", "code", "errors": {"password": [...]}}`) as a body field `errors` holding
    `password`; it then "breaks" that invented field (`errors -> Missing required
    property: password`). An undeclared property is free by the schema (no
    additionalProperties: false), so such a body is valid and accepting it is right.
    """
    declared = _declared_properties(case)
    return (
        declared is not None
        and bool(names)
        and not names & declared
        and isinstance(case.body, dict)
        and jsonschema.Draft4Validator(_with_nullable(schema)).is_valid(case.body)
    )


def _excused_by_mutations(case, schema: dict, mutations) -> bool:
    if any(m.parameter_location != ParameterLocation.BODY for m in mutations):
        return False
    touched = {
        found.group(1)
        for m in mutations
        if (found := TOP_LEVEL_SUBSCHEMA.match(m.schema_pointer or "")) is not None
    }
    if len(touched) == len(mutations) and _invented_property(case, schema, touched):
        return True
    if _empty_form(case, schema):
        return all(m.schema_pointer in ("", "/") for m in mutations)
    if not isinstance(case.body, dict):
        return False
    names = set()
    for mutation in mutations:
        found = TOP_LEVEL_PROPERTY.match(mutation.schema_pointer or "")
        if (
            mutation.operator != OperatorKind.CHANGE_TYPE
            or tuple(mutation.keywords) != ("type",)
            or found is None
            or not _text_field(schema, found.group(1))
            or not _is_number(case.body.get(found.group(1)))
        ):
            return False
        names.add(found.group(1))
    return _valid_with_numbers_as_text(case, schema, names)


def _excused_by_coercion_alone(case, schema: dict) -> bool:
    if _empty_form(case, schema):
        return True
    if not isinstance(case.body, dict):
        return False
    names = [
        name for name, value in case.body.items() if _is_number(value) and _text_field(schema, name)
    ]
    return bool(names) and _valid_with_numbers_as_text(case, schema, names)


def _coverage_field(case, data: CoveragePhaseData) -> str | None:
    """The top-level body field the coverage phase made invalid, if it names one."""
    if data.parameter_location != ParameterLocation.BODY or not isinstance(case.body, dict):
        return None
    found = TOP_LEVEL_KEYWORD.match(data.location or "")
    return found.group(1) if found else None


def _excused_in_coverage(case, schema: dict, data: CoveragePhaseData) -> bool:
    """The coverage phase records no mutation but names the field (`location`) and the kind."""
    name = _coverage_field(case, data)
    if name is None:
        return False
    if _invented_property(case, schema, {name}):
        return True
    value = case.body.get(name)
    if (case.media_type or "").startswith(FORMS):
        # An optional form field sent empty (DRF reads the last value of a repeated one).
        last = value[-1] if isinstance(value, list) and value else value
        if last == "" and name not in schema.get("required", []):
            return True
    return (
        data.scenario == CoverageScenario.INCORRECT_TYPE
        and _is_number(value)
        and _text_field(schema, name)
        and _valid_with_numbers_as_text(case, schema, [name])
    )


def _accepted_by_design(case) -> bool:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_negative:
        return False
    if not _only_the_body_is_invalid(case):
        return False
    schema = _body_schema(case)
    if schema is None:
        return False
    data = meta.phase.data
    if isinstance(data, CoveragePhaseData) and not data.mutations:
        return _excused_in_coverage(case, schema, data)
    mutations = getattr(data, "mutations", ())
    if mutations:
        return _excused_by_mutations(case, schema, mutations)
    return _excused_by_coercion_alone(case, schema)


@schemathesis.check
def negative_data_rejection_except_coercion(ctx, response, case):
    if _accepted_by_design(case):
        return None
    return negative_data_rejection(ctx, response, case)


# --- use_after_free ------------------------------------------------------------------------


@schemathesis.check
def use_after_free_except_deactivation(ctx, response, case):
    try:
        return use_after_free(ctx, response, case)
    except UseAfterFree as failure:
        if DEACTIVATING_DELETE.match(failure.free or ""):
            return None
        raise


# --- ensure_resource_availability ----------------------------------------------------------


def _left_the_home(ctx, case) -> bool:
    params = case.path_parameters or {}
    home = params.get("home_id", params.get("id"))
    if home is None:
        return False
    for prior in ctx.internals.find_all_cases():
        if prior.operation.method.upper() != "DELETE" or prior.operation.path != LEAVING:
            continue
        if str((prior.path_parameters or {}).get("home_id")) != str(home):
            continue
        prior_response = ctx.internals.find_response(case_id=prior.id)
        if prior_response is not None and 200 <= prior_response.status_code < 300:
            return True
    return False


@schemathesis.check
def ensure_resource_availability_except_leaving(ctx, response, case):
    try:
        return ensure_resource_availability(ctx, response, case)
    except EnsureResourceAvailability:
        if UNDER_A_HOME.match(case.operation.path) and _left_the_home(ctx, case):
            return None
        raise


# --- coverage phase: undeclared methods everywhere, the rest on the role's own operations --

_OWNED = os.environ.get("FUZZ_COVERAGE_OWNED")
OWNED = re.compile(_OWNED) if _OWNED is not None else None


# gunicorn answers a request line over 4094 bytes with its own HTML 414 before Django
# sees the request (its `limit_request_line`): not an answer of the API to check.
REQUEST_LINE_LIMIT = 4000


def _request_line_too_long(case) -> bool:
    path = len(case.path) + sum(len(str(v)) for v in (case.path_parameters or {}).values())
    return path + len(urlencode(case.query or {}, doseq=True)) > REQUEST_LINE_LIMIT


@schemathesis.hook
def filter_case(context, case):
    if _request_line_too_long(case):
        return False
    if OWNED is None or case.meta is None:
        return True
    data = case.meta.phase.data
    if not isinstance(data, CoveragePhaseData) or OWNED.search(case.operation.path):
        return True
    return data.scenario == CoverageScenario.UNSPECIFIED_HTTP_METHOD
