"""The placeholders of a canned reply: `{requester_name}`, `{order_id}` and `{title}`.

Written by hand rather than with `str.format`: format strings reach attributes and items
(`{title.__class__}`), and a body is text people write, so anything but the three names
is refused when a reply is saved. `{{` and `}}` stand for literal braces.
"""

import re

from django.utils.translation import gettext_lazy as _

from core.exceptions import FieldError

PLACEHOLDERS = ("requester_name", "order_id", "title")
_TOKEN_RE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


def placeholders_check(body: str, *, field: str = "body") -> None:
    """400 on `field` naming the first unknown placeholder or broken brace."""
    for match in _TOKEN_RE.finditer(body):
        token, name = match.group(0), match.group(1)
        if token in ("{{", "}}"):
            continue
        if name is None:
            snippet = body[max(match.start() - 10, 0) : match.end() + 10]
            raise FieldError(
                field,
                _('A lone "%(brace)s" near "%(snippet)s": write {{ or }} for a brace.')
                % {"brace": token, "snippet": snippet},
                code="broken_brace",
            )
        if name not in PLACEHOLDERS:
            raise FieldError(
                field,
                _("Unknown placeholder {%(name)s}; use {requester_name}, {order_id} or {title}.")
                % {"name": name},
                code="unknown_placeholder",
            )


def placeholders_fill(body: str, values: dict[str, str]) -> str:
    """The body with each placeholder replaced by its value (a checked body)."""

    def replace(match: re.Match) -> str:
        token, name = match.group(0), match.group(1)
        if token in ("{{", "}}"):
            return token[0]
        return values.get(name, token) if name is not None else token

    return _TOKEN_RE.sub(replace, body)
