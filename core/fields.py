"""Serializer fields every app shares, stricter than DRF's where JSON can say exactly what
is meant."""

import re
from functools import lru_cache
from zoneinfo import available_timezones

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.encoding import smart_str
from django.utils.translation import gettext_lazy as _
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


class PhotoField(serializers.ImageField):
    """An uploaded photo (a person's, a home's): JPEG, PNG, WebP or GIF as Pillow decodes
    it, not as the client's header says, and at most `PHOTO_MAX_BYTES`."""

    content_types = {"image/jpeg", "image/png", "image/webp", "image/gif"}

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", _("JPEG, PNG, WebP or GIF."))
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        photo = super().to_internal_value(data)
        limit = settings.PHOTO_MAX_BYTES  # read per request, so tests and operators can set it
        if photo.size > limit:
            raise serializers.ValidationError(
                _("The photo is larger than %(limit)s.") % {"limit": filesizeformat(limit)},
                code="photo_too_large",
            )
        if getattr(photo, "content_type", None) not in self.content_types:
            raise serializers.ValidationError(
                _("Send a JPEG, PNG, WebP or GIF image."), code="photo_type"
            )
        return photo


class AbsoluteImageField(serializers.ImageField):
    """A stored image as an absolute URL (from the request, else `SITE_URL`), or null."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        if not value:
            return None
        request = self.context.get("request")
        if request is not None:
            return request.build_absolute_uri(value.url)
        return f"{settings.SITE_URL}{value.url}"


# What the schema's `pattern` for a decimal string says (an optional minus, ASCII digits,
# an optional fractional part); digit counts and bounds are DecimalField's own checks.
PLAIN_DECIMAL = re.compile(r"-?[0-9]*(?:\.[0-9]*)?")


class MoneyField(serializers.DecimalField):
    """A DecimalField that takes plain decimals only ("10", "10.50", a JSON number).

    Python's Decimal also reads "1e3", "5E-1", "1_000" and non-ASCII digits; the OpenAPI
    pattern of a decimal string does not, and a client's validator would refuse them, so
    the server refuses them too (400 `invalid`) instead of guessing what was meant.
    """

    default_error_messages = {
        "plain": _("Enter a plain decimal number such as 10 or 10.50 (no exponent)."),
    }

    def to_internal_value(self, data):
        if not isinstance(data, bool) and not PLAIN_DECIMAL.fullmatch(smart_str(data).strip()):
            self.fail("plain")
        return super().to_internal_value(data)


@lru_cache(maxsize=1)
def _time_zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


class TimeZoneField(serializers.CharField):
    """An IANA time zone name (`America/Sao_Paulo`); anything else is a 400."""

    default_error_messages = {"invalid_time_zone": _("Unknown time zone.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("help_text", _("IANA name, e.g. America/Sao_Paulo"))
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value not in _time_zone_names():
            self.fail("invalid_time_zone")
        return value
