import pytest

from companies.cnpj import cnpj_format, cnpj_is_valid, cnpj_normalize


@pytest.mark.parametrize(
    "value",
    ["11.222.333/0001-81", "11222333000181", "12.ABC.345/01DE-35", "12abc34501de35"],
)
def test_valid_cnpjs_numeric_and_alphanumeric(value):
    assert cnpj_is_valid(value)


@pytest.mark.parametrize(
    "value",
    ["11.222.333/0001-82", "11111111111111", "12.ABC.345/01DE-36", "1122233300018", "", "ABC"],
)
def test_invalid_cnpjs(value):
    assert not cnpj_is_valid(value)


def test_normalize_and_format():
    assert cnpj_normalize("12.abc.345/01de-35") == "12ABC34501DE35"
    assert cnpj_format("12ABC34501DE35") == "12.ABC.345/01DE-35"
