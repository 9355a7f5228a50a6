"""Serializer fields every app shares, stricter than DRF's where JSON can say exactly what
is meant."""

from rest_framework import serializers


class StrictBooleanField(serializers.BooleanField):
    """JSON's `true` or `false` only. DRF's also takes `0`, `"yes"` or `"on"`: from a JSON
    client that is a bug to report, not a yes or a no to guess."""

    def to_internal_value(self, data):
        if type(data) is bool:
            return data
        self.fail("invalid", input=data)


class IdListField(serializers.ManyRelatedField):
    """A list of related ids. DRF's ManyRelatedField iterates whatever it gets, so a JSON
    object became the list of its keys (`{}` emptied a team)."""

    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        return super().to_internal_value(data)
