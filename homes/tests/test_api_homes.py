import io

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from PIL import Image

from homes.models import Home, HomeMember
from homes.tests.factories import HomeFactory, HomeMemberFactory

pytestmark = pytest.mark.django_db

HOMES = "/api/v1/homes"


def _png(size=(8, 8)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "blue").save(buffer, format="PNG")
    return SimpleUploadedFile("house.png", buffer.getvalue(), content_type="image/png")


def test_create_home_makes_creator_its_admin(user_client, user):
    response = user_client.post(
        HOMES,
        {
            "name": "Casa Verde",
            "address": "Rua A, 1",
            "rent": "1500.00",
            "time_zone": "Europe/Lisbon",
        },
    )

    assert response.status_code == 201
    body = response.json()
    home = Home.objects.get()
    assert body == {
        "id": home.pk,
        "name": "Casa Verde",
        "address": "Rua A, 1",
        "rent": "1500.00",
        "photo": None,
        "time_zone": "Europe/Lisbon",
        "tasks_need_review": False,
        "created_by": user.pk,
        "my_role": "admin",
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert list(HomeMember.objects.values_list("user_id", "role")) == [(user.pk, "admin")]


def test_create_home_defaults_to_sao_paulo(user_client):
    response = user_client.post(HOMES, {"name": "Casa"})

    assert response.status_code == 201
    assert response.json()["time_zone"] == "America/Sao_Paulo"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "X", "time_zone": "Mars/Olympus"}, "time_zone"),
        ({"name": "X", "rent": "-1"}, "rent"),
        ({"rent": "10"}, "name"),
    ],
)
def test_create_home_bad_input_is_400_and_writes_nothing(user_client, payload, field):
    response = user_client.post(HOMES, payload)

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Home.objects.exists()


def _photo_url(home) -> str:
    return f"{HOMES}/{home.pk}/photo"


def test_the_admin_uploads_and_removes_the_homes_photo(client_for, house, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(house.admin)

    response = client.put(_photo_url(house.home), {"photo": _png()}, format="multipart")

    assert response.status_code == 200
    assert response.json()["photo"].startswith("http://testserver/media/homes/photos/house")
    assert Home.objects.get(pk=house.home.pk).photo.name.startswith("homes/photos/house")

    response = client.delete(_photo_url(house.home))

    assert (response.status_code, response.json()["photo"]) == (200, None)
    assert Home.objects.get(pk=house.home.pk).photo.name == ""


def test_a_photo_sent_as_json_is_415(client_for, house):
    response = client_for(house.admin).put(_photo_url(house.home), {"photo": "aGVsbG8="})

    assert (response.status_code, response.json()["code"]) == (415, "unsupported_media_type")


def test_a_residents_photo_upload_is_403_and_a_strangers_404(client_for, house):
    upload = {"photo": _png()}

    resident = client_for(house.resident).put(_photo_url(house.home), upload, format="multipart")
    stranger = client_for(house.stranger).put(
        _photo_url(house.home), {"photo": _png()}, format="multipart"
    )

    assert (resident.status_code, stranger.status_code) == (403, 404)
    assert Home.objects.get(pk=house.home.pk).photo.name == ""


def test_photo_that_is_not_an_image_is_400(client_for, house):
    fake = SimpleUploadedFile("house.png", b"not an image at all", content_type="image/png")

    response = client_for(house.admin).put(
        _photo_url(house.home), {"photo": fake}, format="multipart"
    )

    assert response.status_code == 400
    assert "photo" in response.json()["errors"]
    assert Home.objects.get(pk=house.home.pk).photo.name == ""


@override_settings(PHOTO_MAX_BYTES=100)
def test_photo_too_large_is_400(client_for, house):
    response = client_for(house.admin).put(
        _photo_url(house.home), {"photo": _png((200, 200))}, format="multipart"
    )

    assert response.status_code == 400
    assert response.json()["errors"]["photo"] == ["The photo is larger than 100\xa0bytes."]
    assert Home.objects.get(pk=house.home.pk).photo.name == ""


def test_a_home_created_from_a_form_is_415_and_nothing_is_stored(user_client):
    response = user_client.post(HOMES, {"name": "Foto"}, format="multipart")

    assert (response.status_code, response.json()["code"]) == (415, "unsupported_media_type")
    assert not Home.objects.exists()


def test_list_shows_only_my_homes_and_searches_by_name(client_for, house):
    HomeFactory(name="Casa Azul Not Mine")
    client = client_for(house.resident)

    assert [h["name"] for h in client.get(HOMES).json()["results"]] == ["Casa Azul"]
    assert client.get(HOMES, {"search": "azul"}).json()["count"] == 1
    assert client.get(HOMES, {"name": "nothing"}).json()["count"] == 0


def test_list_has_fixed_query_count(client_for, user, django_assert_max_num_queries):
    for _ in range(30):
        HomeMemberFactory(user=user, role=HomeMember.Role.ADMIN)
    client = client_for(user)

    with django_assert_max_num_queries(4):
        response = client.get(HOMES, {"page_size": 100})

    assert response.json()["count"] == 30
    assert {h["my_role"] for h in response.json()["results"]} == {"admin"}


def test_other_home_is_404(client_for, house):
    client = client_for(house.stranger)
    url = f"{HOMES}/{house.home.pk}"

    assert client.get(url).status_code == 404
    assert client.patch(url, {"name": "Mine now"}).status_code == 404
    assert client.delete(url).status_code == 404
    assert Home.objects.get(pk=house.home.pk).name == "Casa Azul"


def test_admin_updates_home_resident_gets_403(client_for, house):
    url = f"{HOMES}/{house.home.pk}"

    denied = client_for(house.resident).patch(url, {"name": "Resident's"})
    allowed = client_for(house.admin).patch(url, {"name": "Casa Nova", "time_zone": "Asia/Tokyo"})

    assert denied.status_code == 403
    assert allowed.status_code == 200
    house.home.refresh_from_db()
    assert (house.home.name, house.home.time_zone) == ("Casa Nova", "Asia/Tokyo")


def test_admin_deletes_home(client_for, house):
    assert client_for(house.resident).delete(f"{HOMES}/{house.home.pk}").status_code == 403

    response = client_for(house.admin).delete(f"{HOMES}/{house.home.pk}")

    assert response.status_code == 204
    assert not Home.objects.filter(pk=house.home.pk).exists()
    assert mail.outbox == []


def test_staff_sees_every_home(staff_client, house):
    assert staff_client.get(f"{HOMES}/{house.home.pk}").json()["my_role"] is None
