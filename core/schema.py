"""The OpenAPI schema, polished in one place by drf-spectacular postprocessing hooks.

drf-spectacular documents what each view declares; these hooks (SPECTACULAR_SETTINGS'
POSTPROCESSING_HOOKS, in this order) add what a newcomer reading Swagger UI needs, from the
views themselves rather than from a decorator on each of them:

1. `polish_operations`: operation ids that read like method names (`orders_take`,
   `orders_messages_list`), integer ids in paths, `security: []` where the view takes no
   authentication at all (public reads that also take a token keep drf-spectacular's
   `[{jwtAuth: []}, {}]`: a logged-in caller sees more), a summary ("Take an order") and
   a description that says what the operation does and who may call it, and every tag
   used listed in SPECTACULAR_SETTINGS["TAGS"].
2. `declare_error_responses`: the error responses each operation can really give, all in
   the one shape of `core.exceptions.exception_handler` (`{detail, code, errors?}`).
3. `name_page_components`: `OrderPage`, not `PaginatedOrderListList`.
4. `add_examples`: request and response examples of the main operations (EXAMPLES).

Summaries come from, in order: an explicit `@extend_schema(summary=...)`, SUMMARIES below,
the first sentence of the view method's docstring when it is an instruction ("Mark the bill
paid (...)"), or the action and the model's verbose name ("List orders", "Delete a
routine"). "Who may call it" is read from the view's authentication and permission classes
and its `required_roles` / `private_actions` (core.permissions.RolePermission).

Error responses, by rule (see `_error_codes`), plus RAISES for what a view or its service
raises that the rules cannot see (a 409 from a state transition, a 403 from a service):

- 400 when the operation takes a body or query parameters;
- 401 when it accepts a JWT (missing, expired or revoked token; on public reads a bad
  token is refused too), or checks credentials of its own (RAISES);
- 403 when a permission can refuse: a `required_roles` entry for the action (unless the
  action is private, which is a 404), staff-only permissions, or a permission class of
  the project's own (a role, a signature);
- 404 when it has path parameters (an object the caller cannot see; a page past the end
  is an empty page, not a 404);
- 413 and 415 when it takes a body (too large; not JSON);
- 409 and 422 when it takes an `Idempotency-Key` (still running; used for another body);
- 429 when its view is throttled (see `DEFAULT_THROTTLE_RATES`).

A response an operation already declares (e.g. 402 on donations) is left as it is. Times
(`format: time`) become a pattern, see TIME_PATTERN.
"""

import copy
import inspect
import re
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.utils import translation
from drf_spectacular.plumbing import get_doc, get_view_model
from drf_spectacular.settings import spectacular_settings
from rest_framework import permissions as drf_permissions
from rest_framework import viewsets

from core.demo import DEMO_PASSWORD
from core.permissions import RolePermission

HTTP_METHODS = ("get", "put", "post", "patch", "delete")
STANDARD_ACTIONS = {"list", "create", "retrieve", "update", "partial_update", "destroy"}
METHOD_VERBS = {
    "get": "retrieve",
    "post": "create",
    "put": "update",
    "patch": "partial_update",
    "delete": "destroy",
}
# Leading path segments that name no resource: `/api/v1/orders` is about orders.
PREFIX_SEGMENT = re.compile(r"^(api|v\d+)$")
# Path parameters with these names are ids: integers, unless the URL pattern takes more
# than digits. (drf-spectacular types a router's `lookup_value_regex = r"\d+"` as a string.)
INTEGER_PATH_PARAMETER = re.compile(r"^(id|pk|\w+_id|\w+_pk)$")
DIGITS_PATTERNS = {r"^\d+$", r"^[0-9]+$"}
JWT_SCHEME = "jwtAuth"
IDEMPOTENCY_HEADER = "idempotency-key"

# A docstring gives the summary when it opens with one of these verbs (an instruction,
# "Mark the bill paid"); a descriptive one ("The audit timeline") stays in the description.
# Custom actions named by one of them ("take") are summarised as "Take an order".
VERBS = {
    "accept", "activate", "add", "approve", "assign", "cancel", "change", "check", "close",
    "complete", "confirm", "create", "deactivate", "delete", "download", "edit", "end",
    "export", "get", "invite", "join", "leave", "list", "mark", "move", "pay", "publish",
    "read", "receive", "redirect", "refresh", "register", "reject", "release", "remove",
    "reopen", "replace", "request", "reset", "restore", "revoke", "rotate", "send", "set",
    "show", "start", "stop", "take", "update", "upload", "verify", "withdraw",
}  # fmt: skip

# Summaries the rules above cannot word well, by operation id.
SUMMARIES = {
    "auth_login": "Log in",
    "health": "Check that the service is ready",
    "ping": "Ping the API behind authentication",
    "users_me_destroy": "Deactivate your account",
    "users_me_password": "Change your password",
    "events_registration_create": "Register for an event",
    "events_registration_destroy": "Cancel your registration for an event",
    "homes_members_create": "Invite someone to a home",
    "ongs_donations_create": "Donate to an NGO",
    "ongs_withdrawals_create": "Request a withdrawal from an NGO",
}

# How roles of `required_roles` read in "who may call it" (others read as they are).
ROLE_LABELS = {"self": "the member themselves", "lead": "team lead"}

# Error codes a view (or the service it calls) can raise beyond what the rules of
# `_error_codes` see, by operation id. Read from the views and services: a 409 is a state
# that forbids the change (a transition, the last admin, a paid bill, a full event), a 403
# a refusal by the service itself, a 401 credentials checked by the view.
RAISES: dict[str, set[str]] = {
    "auth_login": {"401"},  # wrong password, disabled account (a locked one is a 429)
    "auth_refresh": {"401"},  # invalid, expired or revoked refresh token
    "inbound_email": {"409"},  # the same signed request while it is still being answered
    "companies_members_create": {"409"},  # already a member
    "companies_members_partial_update": {"409"},  # the last admin cannot step down
    "companies_members_destroy": {"409"},  # nor be removed
    "companies_members_deactivate": {"409"},  # own account, or one the company does not manage
    "orders_stats": {"400"},  # the list filters apply, though the schema shows none
    "orders_create": {"403"},  # company awaiting activation; priority by a requester
    "orders_messages_create": {"403"},  # internal notes are for agents and admins
    "equipment_create": {"403"},  # a requester of the company
    "equipment_import": {"403", "409"},  # a requester; a row stored meanwhile by another request
    "equipment_status": {"409"},  # retiring an item with open orders
    "equipment_destroy": {"409"},  # orders point at it
    "orders_attachments_create": {"403"},  # another's message; company awaiting activation
    "orders_attachments_destroy": {"403"},  # neither its sender nor an admin
    "orders_wait": {"409"},  # not in progress
    "orders_visits_create": {"409"},  # the technician's visits overlap; the order is closed
    "visits_cancel": {"409"},  # not scheduled
    "visits_reschedule": {"409"},  # not scheduled; overlaps another visit
    "canned_replies_list": {"403"},  # nobody's agent or admin: requesters have no canned replies
    "canned_replies_create": {"403"},  # not an admin, nor the lead of the team
    "orders_rating_create": {"409"},  # already rated, or not closed
    "orders_watchers_create": {"403", "409"},  # a requester adding someone else; already
    "orders_watchers_destroy": {"403"},  # a requester removing someone else
    **{
        f"orders_{transition}": {"409"}
        for transition in ("take", "assign", "release", "close", "reopen", "redirect", "priority")
    },
    "events_create": {"403", "409"},  # not a manager of the NGO; the NGO is inactive
    # 403: the NGO's own owner or admin; 409: inactive, started, full, registered, overlapping
    "events_registration_create": {"403", "409"},
    "events_registration_destroy": {"409"},  # the event has started
    "ongs_create": {"409"},  # the person already owns an active NGO
    "ongs_withdrawals_create": {"409"},  # more than the balance
    "ongs_donations_create": {"409"},  # the NGO is inactive
    "homes_members_create": {"409"},  # already a member or invited
    "homes_members_partial_update": {"409"},  # the last admin
    "homes_members_destroy": {"409"},  # the last admin
    "tasks_partial_update": {"409"},  # a done task
    "tasks_complete": {"409"},  # already done
    "tasks_approve": {"409"},  # not waiting for review
    "tasks_send_back": {"409"},
    "webhooks_ping": {"409"},  # the endpoint is inactive
    "webhooks_deliveries_redeliver": {"409"},  # the endpoint is inactive
    "bills_partial_update": {"409"},  # a paid bill
    "bills_destroy": {"409"},
    "bills_pay": {"409"},
    **{
        f"bills_{step}": {"409"}  # the bill is not in the state the step starts from
        for step in ("report_payment", "confirm_payment", "reject_payment", "mark_unpaid")
    },
}

ERROR_COMPONENT = "Error"
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "Every error. `errors` (validation only) maps a field name to its messages; "
        "some domain errors add context, e.g. the current `status` on a conflict."
    ),
    "properties": {
        "detail": {"type": "string", "description": "A human message, in the request's language."},
        "code": {"type": "string", "description": "A stable machine code, e.g. `invalid`."},
        "errors": {
            "type": "object",
            "additionalProperties": {},
            "description": "Field name to its messages (`non_field_errors` for the whole input).",
        },
    },
    "required": ["detail", "code"],
}
DESCRIPTIONS = {
    "400": "Invalid input, or a business rule refused it.",
    "401": "No valid access token (missing, expired, revoked or malformed).",
    "403": "Authenticated, but not allowed to do this.",
    "404": "No such object among those the caller can see.",
    "409": "The object's current state does not allow this.",
    "413": "The body is larger than the limit.",
    "415": "The body's content type is not accepted.",
    "422": "This Idempotency-Key was already used for a different request.",
    "429": "Too many requests; retry after the `Retry-After` header's seconds.",
}
# On operations that take no access token: their 401 and 403 are about what the body or
# headers carry.
DESCRIPTIONS_WITHOUT_LOGIN = {
    "401": "The credentials or token sent are not valid.",
    "403": "Refused: the request does not carry what this operation requires.",
}


# --- The views behind the operations -----------------------------------------------------


@dataclass
class Endpoint:
    """One operation's view instance, as drf-spectacular built it, and what it declares."""

    path: str
    method: str
    view: Any

    @property
    def action(self) -> str | None:
        return getattr(self.view, "action", None)

    @property
    def is_viewset(self) -> bool:
        return isinstance(self.view, viewsets.ViewSetMixin)

    @property
    def handler(self):
        name = self.action if self.is_viewset else self.method
        return getattr(self.view, name or "", None)

    @property
    def action_map(self) -> dict[str, str]:
        """A viewset route's method → action, without the `head` DRF adds on the first
        request (it writes it into the route's own mapping)."""
        mapping = getattr(self.view, "action_map", None) or {self.method: self.action}
        return {method: action for method, action in mapping.items() if method in HTTP_METHODS}

    @property
    def route_methods(self) -> list[str]:
        """The HTTP methods served at this operation's path by the same view."""
        if self.is_viewset:
            return list(self.action_map)
        return [m for m in HTTP_METHODS if hasattr(self.view, m)]

    @property
    def handler_is_shared(self) -> bool:
        """One function serves several methods (`@action(methods=["put", "delete"])`)."""
        return self.is_viewset and list(self.action_map.values()).count(self.action) > 1

    @cached_property
    def model(self):
        return get_view_model(self.view, emit_warnings=False)

    @property
    def detail(self) -> bool:
        if getattr(self.view, "detail", None) is not None:
            return bool(self.view.detail)
        return self.path.rstrip("/").endswith("}")

    def _call(self, name: str) -> list:
        try:
            return list(getattr(self.view, name)())
        except Exception:  # a view that cannot say has nothing to declare
            return []

    @cached_property
    def permissions(self) -> list:
        return self._call("get_permissions")

    @cached_property
    def authenticators(self) -> list:
        return self._call("get_authenticators")

    @cached_property
    def throttles(self) -> list:
        return self._call("get_throttles")

    @property
    def required_roles(self) -> set[str]:
        roles = (getattr(self.view, "required_roles", None) or {}).get(self.action) or ()
        return {str(role) for role in roles}

    @property
    def private(self) -> bool:
        return self.action in set(getattr(self.view, "private_actions", ()) or ())


def _endpoints(generator) -> dict[tuple[str, str], Endpoint]:
    """(path, method) → Endpoint for every operation, built once per generation."""
    cached = getattr(generator, "_core_schema_endpoints", None)
    if cached is not None:
        return cached
    found = {}
    for path, _regex, method, callback in getattr(generator, "endpoints", None) or []:
        try:  # as drf-spectacular's own parse(): the view, its `{pk}` named, a mock request
            view = generator.create_view(callback, method)
            path = generator.coerce_path(path, method, view)
            view.request = spectacular_settings.GET_MOCK_REQUEST(method, path, view, None)
        except Exception:  # noqa: S112 - a view that cannot be built has nothing to declare
            continue
        found[(path, method.lower())] = Endpoint(path, method.lower(), view)
    generator._core_schema_endpoints = found
    return found


def _operations(result):
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method in HTTP_METHODS:
                yield path, method, operation


# --- Words -------------------------------------------------------------------------------


def _segments(path: str) -> list[str]:
    """The path's segments after the prefix (`api`, `v1`), parameters included."""
    segments = [segment for segment in path.strip("/").split("/") if segment]
    while segments and PREFIX_SEGMENT.match(segments[0]):
        segments.pop(0)
    return segments


def _is_parameter(segment: str) -> bool:
    return segment.startswith("{")


def _human(segment: str) -> str:
    return segment.replace("-", " ").replace("_", " ")


def _singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _a(noun: str) -> str:
    """`noun` with its indefinite article: "an order", "a user", "an NGO"."""
    if noun.startswith("the "):
        return noun
    first = noun.split()[0]
    # An acronym reads letter by letter ("an NGO", "a URL"); "u" mostly sounds "you".
    vowels = "AEFHILMNORSX" if first.isupper() else "aeioAEIO"
    return f"{'an' if first[0] in vowels else 'a'} {noun}"


def _possessive(phrase: str) -> str:
    return f"{phrase}'" if phrase.endswith("s") else f"{phrase}'s"


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def _names(model) -> tuple[str, str] | None:
    """A model's verbose name and plural, in English (the schema's prose is English)."""
    if model is None:
        return None
    with translation.override("en"):
        return str(model._meta.verbose_name), str(model._meta.verbose_name_plural)


def _resource_names(endpoints) -> dict[str, tuple[str, str]]:
    """Top-level path segment → its model's names, from the routes `/<segment>[/{id}]`."""
    names = {}
    for endpoint in endpoints.values():
        segments = _segments(endpoint.path)
        top_level = len(segments) == 1 or (len(segments) == 2 and _is_parameter(segments[1]))
        if top_level and not _is_parameter(segments[0]):
            found = _names(endpoint.model)
            if found:
                names.setdefault(segments[0], found)
    return names


class _Words:
    """How the parts of a path read in prose."""

    def __init__(self, resources: dict[str, tuple[str, str]]):
        self.resources = resources

    def one(self, segment: str) -> str:
        if segment == "me":
            return "the current user"
        if segment in self.resources:
            return self.resources[segment][0]
        return _singular(_human(segment))

    def many(self, segment: str) -> str:
        if segment in self.resources:
            return self.resources[segment][1]
        return _human(segment)


# --- Operation ids -----------------------------------------------------------------------


def _response_schema(operation: dict) -> dict:
    for code, response in sorted(operation.get("responses", {}).items()):
        if str(code).startswith("2"):
            for media, content in (response.get("content") or {}).items():
                if "json" in media:
                    return content.get("schema") or {}
    return {}


def _is_list(operation: dict, components: dict) -> bool:
    schema = _response_schema(operation)
    if schema.get("type") == "array":
        return True
    ref = schema.get("$ref", "")
    component = components.get(ref.rsplit("/", 1)[-1], {}) if ref else {}
    return (component.get("properties", {}).get("results") or {}).get("type") == "array"


def _default_operation_ids(path: str) -> set[str]:
    """The ids drf-spectacular gives by itself (`api_v1_orders_take_create`), to tell them
    from one an `@extend_schema(operation_id=...)` chose, which is kept."""
    tokens = [s.replace("-", "_") for s in path.strip("/").split("/") if s and "{" not in s]
    verbs = {"list", *METHOD_VERBS.values()}
    return {"_".join([*tokens[start:], verb]) for start in range(len(tokens) + 1) for verb in verbs}


def _operation_id(path: str, method: str, endpoint: Endpoint | None, operation, components):
    """`orders_list`, `orders_take`, `orders_messages_list`, `users_me_partial_update`:
    the path's words, then the action when it is a standard one, or the method's verb when
    the route serves several methods, returns a list or ends with an id."""
    segments = _segments(path)
    words = [s.replace("-", "_") for s in segments if not _is_parameter(s)]
    base = "_".join(words) or "root"
    action = endpoint.action if endpoint else None
    if action in STANDARD_ACTIONS:
        verb = action
    elif method == "get" and _is_list(operation, components):
        verb = "list"
    elif (endpoint and len(endpoint.route_methods) > 1) or (
        segments and _is_parameter(segments[-1])
    ):
        verb = METHOD_VERBS[method]
    else:
        verb = ""
    return f"{base}_{verb}" if verb else base


# --- Summaries and descriptions ----------------------------------------------------------


def _first_sentence(doc: str) -> str:
    paragraph = " ".join(doc.strip().split("\n\n")[0].split())
    return re.split(r"(?<=\.)\s", paragraph, maxsplit=1)[0].strip()


def _instruction(doc: str | None) -> str | None:
    """A docstring's first sentence as a summary, when it is an instruction: without
    parentheses, cut at `;` or `:`, no final period. None for descriptive docstrings."""
    if not doc:
        return None
    sentence = re.sub(r"\s*\([^)]*\)", "", _first_sentence(inspect.cleandoc(doc)))
    sentence = re.split(r"[;:]\s", sentence, maxsplit=1)[0].strip().rstrip(".").strip()
    first = sentence.split(" ", 1)[0].lower() if sentence else ""
    return sentence if first in VERBS else None


def _own_doc(obj) -> str | None:
    """The docstring `obj` itself has in the project's code (not DRF's or a base class's)."""
    doc = getattr(obj, "__doc__", None)
    module = getattr(obj, "__module__", "") or ""
    if not doc or module.startswith(("rest_framework", "drf_spectacular", "django")):
        return None
    return doc


def _docstring_summary(endpoint: Endpoint) -> str | None:
    if endpoint.handler_is_shared:  # one docstring for several operations
        return None
    summary = _instruction(_own_doc(endpoint.handler))
    if summary or endpoint.is_viewset or len(endpoint.route_methods) > 1:
        return summary
    return _instruction(get_doc(type(endpoint.view)))  # a view with one operation


def _derived_summary(path, method, endpoint, words: _Words, is_list: bool, collection: bool):
    segments = _segments(path) or ["root"]
    names = [s for s in segments if not _is_parameter(s)] or ["root"]
    action = endpoint.action if endpoint else None
    model_names = _names(endpoint.model) if endpoint else None
    last = names[-1]
    ends_with_id = _is_parameter(segments[-1])

    if action in STANDARD_ACTIONS:
        index = segments.index(last)
        parent = next((s for s in reversed(segments[:index]) if not _is_parameter(s)), None)
        if parent is None:
            one, many = model_names or (words.one(last), words.many(last))
            return {
                "list": f"List {many}",
                "create": f"Create {_a(one)}",
                "retrieve": f"Get {_a(one)}",
                "update": f"Update {_a(one)}",
                "partial_update": f"Update {_a(one)}",
                "destroy": f"Delete {_a(one)}",
            }[action]
        owner, child = _a(words.one(parent)), _human(last)
        return {
            "list": f"List {_possessive(owner)} {child}",
            "create": f"Add {_a(_singular(child))} to {owner}",
            "retrieve": f"Get {_a(_singular(child))} of {owner}",
            "update": f"Update {_a(_singular(child))} of {owner}",
            "partial_update": f"Update {_a(_singular(child))} of {owner}",
            "destroy": f"Remove {_a(_singular(child))} from {owner}",
        }[action]

    # A custom action or a plain view: `orders/{id}/take`, `orders/stats`, `users/me`.
    index = len(segments) - 1 - segments[::-1].index(last)
    before = segments[index - 1] if index > 0 else None
    if before is not None and _is_parameter(before):
        resource = next((s for s in reversed(segments[:index]) if not _is_parameter(s)), None)
        owner = _a(words.one(resource)) if resource else None
    elif before is not None:
        owner = words.one(before) if before == "me" else None
    else:
        owner = None
    word = _human(last)
    if last == "me":
        thing = "the current user"
        return {
            "get": f"Get {thing}",
            "put": f"Update {thing}",
            "patch": f"Update {thing}",
            "delete": f"Delete {thing}",
            "post": f"Create {thing}",
        }[method]
    first_word = word.split()[0]
    if first_word in VERBS:
        target = owner or (model_names[1] if model_names else None)
        return f"{word.capitalize()} {target}" if target else word.capitalize()
    if method == "get":
        if is_list:
            return f"List {_possessive(owner)} {word}" if owner else f"List {word}"
        if owner:
            return f"Get {_possessive(owner)} {_singular(word) if ends_with_id else word}"
        if model_names and before is not None:
            return f"Get {model_names[0]} {word}"
        return f"Get {word}"
    if owner:
        if method == "post" and collection:
            return f"Add {_a(_singular(word))} to {owner}"
        verb = {"post": "Set", "put": "Set", "patch": "Update", "delete": "Remove"}[method]
        return f"{verb} {_possessive(owner)} {word}"
    return word.capitalize()


def _what(operation: dict, endpoint: Endpoint | None) -> str:
    """What the operation does: its description, unless drf-spectacular took it from a
    base class's docstring (a mixin's note to developers, not the view's own words)."""
    description = (operation.get("description") or "").strip()
    if endpoint is not None and description:
        view_class = type(endpoint.view)
        if not view_class.__dict__.get("__doc__") and description == get_doc(view_class).strip():
            return ""
    return description


def _who(endpoint: Endpoint | None, method: str, words: _Words) -> str:
    """Who may call the operation, from its view's authentication and permissions."""
    if endpoint is None:
        return "Any logged-in user."
    permissions = endpoint.permissions
    roles = endpoint.required_roles
    safe = method.upper() in drf_permissions.SAFE_METHODS
    if roles == {"staff"} or any(isinstance(p, drf_permissions.IsAdminUser) for p in permissions):
        return "Platform staff only."
    needs_login = any(
        isinstance(p, drf_permissions.IsAuthenticated)
        or (isinstance(p, drf_permissions.IsAuthenticatedOrReadOnly) and not safe)
        or (isinstance(p, RolePermission) and roles)
        for p in permissions
    )
    if not endpoint.authenticators:
        who = ["Anyone, without logging in."]
    elif needs_login:
        who = ["Any logged-in user."]
    else:
        who = ["Anyone; logging in is optional."]
    if roles:
        # Roles are held on the route's first resource: the order of `orders/{id}/take`,
        # the company of `companies/{company_id}/members/{user_id}`.
        noun = words.one(next((s for s in _segments(endpoint.path) if not _is_parameter(s)), ""))
        labels = sorted(ROLE_LABELS.get(role, role) for role in roles - {"staff"})
        these = "one of these roles" if len(labels) > 1 else "this role"
        who = [
            f"A logged-in user with {these} on the {noun}: {_join(labels)} "
            "(platform staff always may)."
        ]
        if endpoint.private:
            who.append("Anyone else gets 404, as if it did not exist.")
    for permission in permissions:
        if not isinstance(permission, _BUILT_IN_PERMISSIONS):
            doc = get_doc(type(permission))
            if doc:
                who.append(_first_sentence(doc))
    return " ".join(who)


# DRF's permissions that only ask for a login (or not even that); they refuse with 401.
_LOGIN_PERMISSIONS = (
    drf_permissions.AllowAny,
    drf_permissions.IsAuthenticated,
    drf_permissions.IsAuthenticatedOrReadOnly,
)
_BUILT_IN_PERMISSIONS = (*_LOGIN_PERMISSIONS, drf_permissions.IsAdminUser, RolePermission)


def _is_integer_id(name: str, schema: dict) -> bool:
    if schema.get("type") != "string" or {"format", "enum"} & schema.keys():
        return False
    pattern = schema.get("pattern")
    if pattern is None:
        return bool(INTEGER_PATH_PARAMETER.match(name))
    return pattern in DIGITS_PATTERNS


def _security(endpoint: Endpoint | None, operation: dict):
    if endpoint is not None and not endpoint.authenticators:
        return []  # no login accepted at all: register, login, inbound e-mail, health
    return operation.get("security")


def polish_operations(result, generator, request, public):
    """drf-spectacular postprocessing hook: operation ids, integer ids in paths, security,
    summaries, descriptions and tags (see the module docstring)."""
    endpoints = _endpoints(generator)
    words = _Words(_resource_names(endpoints))
    components = result.get("components", {}).get("schemas", {})
    chosen: dict[tuple[str, str], str] = {}
    for path, method, operation in _operations(result):
        endpoint = endpoints.get((path, method))
        current = operation.get("operationId", "")
        if not current or current in _default_operation_ids(path):
            chosen[(path, method)] = _operation_id(path, method, endpoint, operation, components)
        for parameter in operation.get("parameters", []):
            schema = parameter.get("schema") or {}
            if parameter.get("in") == "path" and _is_integer_id(parameter.get("name", ""), schema):
                parameter["schema"] = {
                    key: value for key, value in schema.items() if key != "pattern"
                } | {"type": "integer"}
    # Two operations the rules name alike keep drf-spectacular's ids (and the tests fail).
    proposed = {
        (path, method): chosen.get((path, method), operation.get("operationId"))
        for path, method, operation in _operations(result)
    }
    counts = Counter(proposed.values())
    for (path, method), operation_id in chosen.items():
        if counts[operation_id] == 1:
            result["paths"][path][method]["operationId"] = operation_id

    for path, method, operation in _operations(result):
        endpoint = endpoints.get((path, method))
        security = _security(endpoint, operation)
        if security is not None:
            operation["security"] = security
        is_list = _is_list(operation, components)
        get = result["paths"][path].get("get")
        collection = bool(get) and _is_list(get, components)
        summary = (
            operation.get("summary")
            or SUMMARIES.get(operation.get("operationId", ""))
            or (_docstring_summary(endpoint) if endpoint else None)
            or (_derived_summary(path, method, endpoint, words, is_list, collection))
        )
        operation["summary"] = summary[:1].upper() + summary[1:]
        who = _who(endpoint, method, words)
        what = _what(operation, endpoint)
        if not what or what.rstrip(".") == who.rstrip("."):
            what = f"{operation['summary']}."
        operation["description"] = f"{what}\n\n**Who may call it:** {who}"

    declared = [tag.get("name") for tag in result.get("tags", [])]
    for _path, _method, operation in _operations(result):
        for tag in operation.get("tags", []):
            if tag not in declared:
                declared.append(tag)
                result.setdefault("tags", []).append({"name": tag})
    return result


# --- Error responses ---------------------------------------------------------------------

# DRF writes times as `HH:MM[:SS[.ffffff]]`, with no offset; OpenAPI's `format: time` is
# RFC 3339's full-time, which needs one, so validators would refuse every time we send.
TIME_PATTERN = r"^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$"


def _local_times(node) -> None:
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("format") == "time":
            del node["format"]
            node["pattern"] = TIME_PATTERN
        for value in node.values():
            _local_times(value)
    elif isinstance(node, list):
        for value in node:
            _local_times(value)


def _may_refuse(endpoint: Endpoint | None, method: str) -> bool:
    """Whether a permission of the operation's view can answer 403."""
    if endpoint is None:
        return True
    for permission in endpoint.permissions:
        if isinstance(permission, RolePermission):
            if endpoint.required_roles and not endpoint.private:
                return True
        elif isinstance(permission, drf_permissions.IsAdminUser):
            return True
        elif isinstance(permission, _LOGIN_PERMISSIONS):
            continue  # refuses with 401 only (the JWT authentication names its scheme)
        else:
            kind = type(permission)
            base = drf_permissions.BasePermission
            if kind.has_permission is not base.has_permission:
                return True
            if kind.has_object_permission is not base.has_object_permission and endpoint.detail:
                return True
    return False


def _error_codes(path: str, method: str, operation: dict, endpoint: Endpoint | None) -> set[str]:
    parameters = operation.get("parameters", [])
    query = [p for p in parameters if p.get("in") == "query"]
    body = "requestBody" in operation
    jwt = any(JWT_SCHEME in requirement for requirement in operation.get("security") or [])
    codes = set()
    if body or query:
        codes.add("400")
    if jwt:
        codes.add("401")
    if _may_refuse(endpoint, method):
        codes.add("403")
    if any(p.get("in") == "path" for p in parameters):
        codes.add("404")
    if body:
        codes |= {"413", "415"}
    if any(
        p.get("in") == "header" and p.get("name", "").lower() == IDEMPOTENCY_HEADER
        for p in parameters
    ):
        codes |= {"409", "422"}
    if endpoint is not None and endpoint.throttles:
        codes.add("429")
    return codes | RAISES.get(operation.get("operationId", ""), set())


def declare_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: see the module docstring."""
    _local_times(result)
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    endpoints = _endpoints(generator)
    for path, method, operation in _operations(result):
        endpoint = endpoints.get((path, method))
        codes = _error_codes(path, method, operation, endpoint)
        without_login = operation.get("security") == []
        responses = operation.setdefault("responses", {})
        for code in sorted(codes):
            description = (without_login and DESCRIPTIONS_WITHOUT_LOGIN.get(code)) or (
                DESCRIPTIONS[code]
            )
            responses.setdefault(
                code,
                {
                    "content": {
                        "application/json": {
                            "schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
                        }
                    },
                    "description": description,
                },
            )
        operation["responses"] = dict(sorted(responses.items()))
    return result


# --- Component names ---------------------------------------------------------------------

PAGINATED_NAME = re.compile(r"^Paginated(?P<name>\w+)List$")


def _page_names(names) -> dict[str, str]:
    """`PaginatedOrderListList` → `OrderPage` (`OrderListPage` if `OrderPage` is taken)."""
    existing = set(names)
    renames: dict[str, str] = {}
    for name in sorted(names):
        match = PAGINATED_NAME.match(name)
        if not match:
            continue
        inner = match["name"]
        candidates = [f"{inner}Page"]
        if inner.endswith("List") and len(inner) > len("List"):
            candidates.insert(0, f"{inner[: -len('List')]}Page")
        for candidate in candidates:
            if candidate not in existing and candidate not in renames.values():
                renames[name] = candidate
                break
    return renames


def _replace_refs(node, refs: dict[str, str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref in refs:
            node["$ref"] = refs[ref]
        for value in node.values():
            _replace_refs(value, refs)
    elif isinstance(node, list):
        for value in node:
            _replace_refs(value, refs)


def name_page_components(result, generator, request, public):
    """drf-spectacular postprocessing hook: a page of orders is `OrderPage`."""
    schemas = result.get("components", {}).get("schemas", {})
    renames = _page_names(schemas)
    if not renames:
        return result
    prefix = "#/components/schemas/"
    _replace_refs(result, {f"{prefix}{old}": f"{prefix}{new}" for old, new in renames.items()})
    result["components"]["schemas"] = dict(
        sorted((renames.get(name, name), schema) for name, schema in schemas.items())
    )
    return result


# --- Examples ----------------------------------------------------------------------------

_WHEN = "2026-03-02T13:45:00Z"
_ORDER = {
    "id": 42,
    "company": {"id": 1, "name": "SoftClient"},
    "requester": {"id": 7, "name": "Rui Requester"},
    "team": {"id": 3, "name": "Suporte"},
    "assignee": None,
    "equipment": "printer",
    "title": "Printer on the 2nd floor jams on every page",
    "status": "open",
    "priority": "medium",
    "channel": "api",
    "created_at": _WHEN,
    "updated_at": _WHEN,
    "taken_at": None,
    "closed_at": None,
    "time_spent_minutes": 0,
    "description": "It started after the toner change this morning.",
    "site_address": "Rua das Flores 100, 2nd floor",
    "solution": "",
    "previous_order": None,
    "sla": {
        "respond_by": "2026-03-02T14:00:00Z",
        "resolve_by": "2026-03-02T17:00:00Z",
        "response": "pending",
        "resolution": "pending",
        "paused": False,
    },
    "equipment_item": None,
}
_TAKEN = {
    **_ORDER,
    "status": "in_progress",
    "assignee": {"id": 5, "name": "Luís Lead"},
    "taken_at": "2026-03-02T14:02:10Z",
    "updated_at": "2026-03-02T14:02:10Z",
}
_CLOSED = {
    **_TAKEN,
    "status": "closed",
    "solution": "Replaced the worn pickup roller; printed 50 test pages.",
    "closed_at": "2026-03-02T16:30:00Z",
    "updated_at": "2026-03-02T16:30:00Z",
    "time_spent_minutes": 75,
    "sla": {**_ORDER["sla"], "response": "met", "resolution": "met"},
}
_DONATION = {
    "id": 310,
    "ong": {"id": 2, "name": "Instituto Mãos Dadas"},
    "amount": "50.00",
    "currency": "BRL",
    "status": "approved",
    "decline_code": "",
    "card_brand": "visa",
    "card_last4": "4242",
    "message": "For the winter clothes drive.",
    "created_at": _WHEN,
    "settled_at": _WHEN,
}
_ROUTINE_BODY = {
    "name": "Take the bins out",
    "description": "Recycling on Tuesdays, everything else on Fridays.",
    "weekdays": [1, 4],
    "time_limit": "21:00",
    "assignment": "rotation",
    "rotation_members": [11, 12, 13],
    "points": 10,
    "penalty_amount": "5.00",
    "valid_from": "2026-03-02",
}
_USER = {
    "id": 7,
    "email": "user@softclient.demo",
    "name": "Rui Requester",
    "birth_date": None,
    "position": "Accountant",
    "phone": "",
    "photo": None,
    "language": "en",
    "is_active": True,
    "is_staff": False,
    "created_at": _WHEN,
    "updated_at": _WHEN,
}
# Shortened, unsigned: what a token looks like, not one.
_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIn0.c2lnbmF0dXJl"  # noqa: S105


def _error(detail: str, code: str, **extra) -> dict:
    return {"detail": detail, "code": code, **extra}


# Operation id → "request" or a status code → example summary → value.
EXAMPLES: dict[str, dict[str, dict[str, Any]]] = {
    "auth_login": {
        "request": {
            "A demo requester (seeded by make run)": {
                "email": "user@softclient.demo",
                "password": DEMO_PASSWORD,
            }
        },
        "200": {"Logged in": {"access": _TOKEN, "refresh": _TOKEN, "user": _USER}},
        "401": {
            "Wrong e-mail or password": _error("Invalid e-mail or password.", "invalid_credentials")
        },
    },
    "orders_create": {
        "request": {
            "A jammed printer": {
                "company": 1,
                "team": 3,
                "equipment": "printer",
                "title": _ORDER["title"],
                "description": _ORDER["description"],
                "site_address": _ORDER["site_address"],
            }
        },
        "201": {"Opened": _ORDER},
    },
    "orders_take": {
        "200": {"Taken: now in progress, assigned to the caller": _TAKEN},
        "409": {
            "Someone else took it first": _error(
                "Cannot take an order that is in progress.",
                "invalid_transition",
                status="in_progress",
            )
        },
    },
    "orders_close": {
        "request": {"With the solution": {"solution": _CLOSED["solution"]}},
        "200": {"Closed": _CLOSED},
        "409": {
            "Already closed": _error(
                "Cannot close an order that is closed.", "invalid_transition", status="closed"
            )
        },
    },
    "inbound_email": {
        "request": {
            "A new request by e-mail": {
                "from": "Rui Requester <rui@client.example>",
                "to": ["suporte@softclient.demo"],
                "subject": "Printer on the 2nd floor jams on every page",
                "text": "It started after the toner change this morning.",
                "message_id": "<CAF1234@mail.client.example>",
                "date": "Mon, 02 Mar 2026 13:45:00 +0000",
            },
            "A reply to order 42": {
                "from": "rui@client.example",
                "to": ["suporte@softclient.demo"],
                "subject": "Re: [#42] Printer on the 2nd floor jams on every page",
                "text": "Still jamming after lunch.",
                "in_reply_to": "<order-42-1@mutirao.localhost>",
                "references": ["<order-42-1@mutirao.localhost>"],
            },
        },
        "200": {
            "One order created": {
                "results": [{"status": "created", "inbound": 900, "order": 42, "reason": ""}]
            },
            "A reply joined its order": {
                "results": [{"status": "joined", "inbound": 901, "order": 42, "reason": ""}]
            },
        },
    },
    "equipment_import": {
        "400": {
            "Two bad rows, nothing stored": _error(
                "Nothing was imported: fix the rows listed and send the file again.",
                "invalid_rows",
                rows=[
                    {"row": 3, "errors": {"kind": ['"scanner" is not a valid choice.']}},
                    {"row": 7, "errors": {"serial_number": ["The same value is on row 2."]}},
                ],
            )
        },
    },
    "equipment_status": {
        "409": {
            "It still has open orders": _error(
                "Close the orders of this equipment before retiring it.",
                "equipment_has_open_orders",
            )
        },
    },
    "ongs_donations_create": {
        "request": {
            "Fifty reais with a saved card": {
                "amount": "50.00",
                "payment_method": 8,
                "message": _DONATION["message"],
            }
        },
        "201": {"Approved": _DONATION},
        "402": {
            "Declined": {
                "detail": "The card was declined.",
                "code": "insufficient_funds",
                "donation": {
                    **_DONATION,
                    "status": "declined",
                    "decline_code": "insufficient_funds",
                    "card_last4": "9995",
                },
            }
        },
    },
    "events_registration_create": {
        "201": {
            "Registered": {
                "id": 77,
                "event": 12,
                "user": {"id": 7, "name": "Rui Requester", "email": "user@softclient.demo"},
                "created_at": _WHEN,
            }
        },
        "409": {"The event is full": _error("This event is full.", "event_full")},
    },
    "homes_routines_create": {
        "request": {"Bins, in rotation": _ROUTINE_BODY},
        "201": {
            "Created": {
                "id": 21,
                "home": 4,
                **_ROUTINE_BODY,
                "responsible": None,
                "valid_until": None,
                "created_by": 11,
                "created_at": _WHEN,
                "updated_at": _WHEN,
            }
        },
    },
}


def _slug(summary: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", summary.lower()).strip("-")


def _json_content(content: dict) -> dict | None:
    for media, body in content.items():
        if media == "application/json" or media.endswith("+json"):
            return body
    return None


def add_examples(result, generator, request, public):
    """drf-spectacular postprocessing hook: EXAMPLES on their operations' JSON bodies."""
    for _path, _method, operation in _operations(result):
        for part, examples in EXAMPLES.get(operation.get("operationId", ""), {}).items():
            if part == "request":
                holder = operation.get("requestBody")
            else:
                holder = operation.get("responses", {}).get(part)
            content = _json_content((holder or {}).get("content") or {})
            if content is None:
                continue
            content["examples"] = {
                _slug(summary): {"summary": summary, "value": copy.deepcopy(value)}
                for summary, value in examples.items()
            }
    return result
