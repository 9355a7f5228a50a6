"""CNPJ, the Brazilian company registry number, numeric or alphanumeric (in force since
July 2026): stored as 14 upper-case characters, shown as XX.XXX.XXX/XXXX-XX."""

import re

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from validate_docbr import CNPJ

_SHAPE = re.compile(r"^[0-9A-Z]{12}[0-9]{2}$")
_checker = CNPJ()


def cnpj_normalize(value: str) -> str:
    """Drop punctuation and spaces, upper-case the letters."""
    return re.sub(r"[\s./-]", "", value or "").upper()


def cnpj_is_valid(value: str) -> bool:
    cnpj = cnpj_normalize(value)
    if not _SHAPE.match(cnpj) or len(set(cnpj)) == 1:
        return False
    return _checker.validate(cnpj)


def cnpj_format(value: str) -> str:
    cnpj = cnpj_normalize(value)
    if len(cnpj) != 14:
        return value
    return f"{cnpj[:2]}.{cnpj[2:5]}.{cnpj[5:8]}/{cnpj[8:12]}-{cnpj[12:]}"


class CNPJField(serializers.CharField):
    """Accepts a CNPJ with or without punctuation, validates its check digits, returns the
    14-character form; shows it formatted."""

    default_error_messages = {"invalid_cnpj": _("Enter a valid CNPJ.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 18)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value == "":
            return value
        if not cnpj_is_valid(value):
            self.fail("invalid_cnpj")
        return cnpj_normalize(value)

    def to_representation(self, value):
        return cnpj_format(value) if value else value
