"""The base of every request body: a field it does not declare is a 400, never ignored."""

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError


class InputSerializer(serializers.Serializer):
    """A request body that refuses what it cannot take.

    A client that sends `{"password": ...}` to a profile update, or `{"active": false}` to a
    company update, must learn that nothing happened: each field the body may not set is
    named in a 400 (`errors.<field>`, code `not_allowed`). `elsewhere` maps a field to the
    action that does change it, so the message can point there. Bodies from outside (the
    mail providers' webhooks) keep plain `Serializer`: they carry fields we do not read.
    """

    elsewhere: Mapping[str, Any] = {}

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            refused = {name: [self._refusal(name)] for name in data if not self._takes(name)}
            if refused:
                raise ValidationError(refused)
        return super().to_internal_value(data)

    def _takes(self, name: str) -> bool:
        field = self.fields.get(name)
        return field is not None and not field.read_only

    def _refusal(self, name: str) -> ErrorDetail:
        where = self.elsewhere.get(name)
        if where:
            message = _("This field cannot be set here; %(where)s") % {"where": where}
        else:
            message = _("This field cannot be set here.")
        return ErrorDetail(str(message), code="not_allowed")


class NoBody(InputSerializer):
    """The body of an action that takes none (take, approve, logout-all): empty or `{}`."""


def refuse_body(request, *, elsewhere: Mapping[str, Any] | None = None) -> None:
    """For an action that takes no body: any field sent is a 400 naming it, so a client
    that sends `{"status": ...}` to `take` learns that it changed nothing."""
    body = NoBody(data=request.data)
    body.elsewhere = elsewhere or {}
    body.is_valid(raise_exception=True)


class InputSerializerSchema(OpenApiSerializerExtension):
    """In the schema an input body says `additionalProperties: false`, as it behaves, so a
    generated client or a fuzzer does not send what would be refused."""

    target_class = InputSerializer
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        return {**schema, "additionalProperties": False}
