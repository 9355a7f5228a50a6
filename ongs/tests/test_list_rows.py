"""The NGO list builds its rows by hand (core/rows.py): they must say exactly what
the generic serializer says, in two queries whatever the page size."""

import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from accounts.tests.factories import UserFactory
from ongs import selectors
from ongs.api.serializers import OngListSerializer, OngSerializer
from ongs.models import Ong
from ongs.tests.factories import OngFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("reader", ["anonymous", "owner", "staff"])
@pytest.mark.parametrize("zone", ["UTC", "America/Sao_Paulo"])
def test_hand_written_ngo_row_matches_the_generic_serializer(zone, reader):
    mine = OngFactory(cnpj="11222333000181", phone="+55 11 4000-0000", address="Rua A, 1")
    OngFactory(description="", is_active=False, owner=mine.owner)
    OngFactory()
    viewer = {"anonymous": AnonymousUser(), "owner": mine.owner, "staff": None}[reader]
    viewer = viewer or UserFactory(is_staff=True)
    ngos = selectors.ong_list_visible_to(viewer).order_by("id")

    with timezone.override(zone):
        rows = OngListSerializer.rows(ngos.values_list(*OngListSerializer.COLUMNS))
        generic = [OngSerializer(ngo).data for ngo in ngos]

    assert len(rows) == (2 if reader == "anonymous" else 3)
    assert rows == generic
    assert rows[0]["cnpj"] == "11.222.333/0001-81"
    shown = [row["owner"]["email"] is not None for row in rows]
    assert shown == {"anonymous": [False, False], "owner": [True, True, False]}.get(
        reader, [True, True, True]
    )


def test_public_ngo_list_is_two_queries_and_the_generic_json(
    api_client, django_assert_max_num_queries
):
    OngFactory.create_batch(30, name="Ação “social”")
    OngFactory(is_active=False)

    with django_assert_max_num_queries(2) as queries:
        response = api_client.get("/api/v1/ongs", {"page_size": 25, "page": 2})

    assert response.status_code == 200
    count = queries.captured_queries[0]["sql"]
    assert "COUNT(" in count and "accounts_user" not in count  # counted without the owners
    body = json.loads(response.content)
    assert body["count"] == 30
    expected = [
        OngSerializer(ngo).data
        for ngo in selectors.ong_list_visible_to(AnonymousUser()).order_by("name", "id")
    ][25:]
    assert all(row["owner"]["email"] is None for row in expected)
    assert body["results"] == json.loads(json.dumps(expected))


def test_filters_still_apply_to_the_hand_built_list(api_client):
    OngFactory(name="Casa do Pão", cause=Ong.Cause.SOCIAL)
    OngFactory(name="Bicho Feliz", cause=Ong.Cause.ANIMALS)

    names = [row["name"] for row in api_client.get("/api/v1/ongs?cause=animals").data["results"]]

    assert names == ["Bicho Feliz"]
