import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ME = "/api/v1/users/me"


def test_me_shows_profile_without_secrets(user_client, user):
    response = user_client.get(ME)

    assert response.status_code == 200
    assert response.data["email"] == user.email
    assert not {"password", "session_version", "is_superuser"} & set(response.data)


def test_me_requires_authentication(api_client):
    response = api_client.get(ME)

    assert response.status_code == 401
    assert response.data["code"] == "not_authenticated"


def test_patch_me_changes_profile(user_client, user):
    response = user_client.patch(
        ME, {"name": "New Name", "phone": "+55 11 99999-0000", "birth_date": "01/02/1985"}
    )

    assert response.status_code == 200
    assert response.data["birth_date"] == "1985-02-01"
    stored = User.objects.get(pk=user.pk)
    assert (stored.name, stored.phone, str(stored.birth_date)) == (
        "New Name",
        "+55 11 99999-0000",
        "1985-02-01",
    )


def test_patch_me_changes_profile_but_never_flags(user_client, user):
    response = user_client.patch(
        ME,
        {
            "name": "New Name",
            "phone": "+55 11 99999-0000",
            "is_staff": True,
            "is_superuser": True,
            "is_active": False,
            "session_version": 99,
        },
    )

    assert response.status_code == 400
    assert set(response.data["errors"]) == {
        "is_staff",
        "is_superuser",
        "is_active",
        "session_version",
    }
    assert response.data["errors"]["is_staff"] == ["This field cannot be set here."]
    assert "DELETE /api/v1/users/me" in response.data["errors"]["is_active"][0]
    stored = User.objects.get(pk=user.pk)
    assert (stored.name, stored.phone) == (user.name, "")
    assert (stored.is_staff, stored.is_superuser, stored.is_active) == (False, False, True)
    assert stored.session_version == 0


def test_patch_me_password_points_at_the_password_action(user_client, user):
    response = user_client.patch(ME, {"password": "an-even-longer-new-passphrase"})

    assert response.status_code == 400
    assert response.data["errors"] == {
        "password": [
            "This field cannot be set here; change it with POST /api/v1/users/me/password."
        ]
    }
    assert User.objects.get(pk=user.pk).check_password(PASSWORD)


def test_patch_me_email_taken_is_400(user_client, user):
    other = UserFactory()

    response = user_client.patch(ME, {"email": other.email.upper()})

    assert response.status_code == 400
    assert User.objects.get(pk=user.pk).email == user.email


def test_password_change_revokes_other_sessions(api_client, user):
    other_device = api_client.post(
        "/api/v1/auth/login", {"email": user.email, "password": PASSWORD}
    ).data
    this_device = api_client.post(
        "/api/v1/auth/login", {"email": user.email, "password": PASSWORD}
    ).data

    response = api_client.post(
        f"{ME}/password",
        {"current_password": PASSWORD, "new_password": "an-even-longer-new-passphrase"},
        HTTP_AUTHORIZATION=f"Bearer {this_device['access']}",
    )

    assert response.status_code == 200
    assert (
        api_client.get(ME, HTTP_AUTHORIZATION=f"Bearer {other_device['access']}").status_code == 401
    )
    assert (
        api_client.post("/api/v1/auth/refresh", {"refresh": other_device["refresh"]}).status_code
        == 401
    )
    assert (
        api_client.get(ME, HTTP_AUTHORIZATION=f"Bearer {response.data['access']}").status_code
        == 200
    )
    assert User.objects.get(pk=user.pk).check_password("an-even-longer-new-passphrase")


def test_password_change_with_wrong_current_password_is_400(user_client, user):
    response = user_client.post(
        f"{ME}/password",
        {"current_password": "wrong", "new_password": "an-even-longer-new-passphrase"},
    )

    assert response.status_code == 400
    assert "current_password" in response.data["errors"]
    assert User.objects.get(pk=user.pk).check_password(PASSWORD)


def test_password_change_to_weak_password_is_400(user_client, user):
    response = user_client.post(
        f"{ME}/password", {"current_password": PASSWORD, "new_password": "123"}
    )

    assert response.status_code == 400
    assert User.objects.get(pk=user.pk).check_password(PASSWORD)


def test_people_list_only_themselves(user_client, user):
    UserFactory.create_batch(3)

    response = user_client.get("/api/v1/users")

    assert response.status_code == 200
    assert [row["id"] for row in response.data["results"]] == [user.id]


def test_another_users_profile_is_404(user_client):
    other = UserFactory()

    assert user_client.get(f"/api/v1/users/{other.id}").status_code == 404
    assert user_client.patch(f"/api/v1/users/{other.id}", {"name": "X"}).status_code == 404
    assert User.objects.get(pk=other.pk).name == other.name


def test_staff_lists_everyone_filtered_by_email(staff_client):
    UserFactory(email="maria@example.com")
    UserFactory(email="joao@example.com")

    response = staff_client.get("/api/v1/users", {"email": "maria"})

    assert response.status_code == 200
    assert [row["email"] for row in response.data["results"]] == ["maria@example.com"]


def test_user_list_query_budget(staff_client, django_assert_max_num_queries):
    UserFactory.create_batch(30)

    with django_assert_max_num_queries(3):
        response = staff_client.get("/api/v1/users", {"page_size": 100})

    assert response.data["count"] == 31


def test_page_size_is_capped_at_100(staff_client):
    UserFactory.create_batch(105)

    response = staff_client.get("/api/v1/users", {"page_size": 10000})

    assert len(response.data["results"]) == 100
    assert response.data["count"] == 106


# --- staff: filter by is_staff, deactivate anyone ---------------------------------------------


def test_staff_filter_users_by_is_staff(staff_client, staff_user):
    other_staff = UserFactory(is_staff=True)
    person = UserFactory()

    staff_only = staff_client.get("/api/v1/users", {"is_staff": "true"})
    others = staff_client.get("/api/v1/users", {"is_staff": "false"})
    garbage = staff_client.get("/api/v1/users", {"is_staff": "maybe"})

    assert [row["id"] for row in staff_only.data["results"]] == [staff_user.id, other_staff.id]
    assert [row["id"] for row in others.data["results"]] == [person.id]
    assert garbage.status_code == 400
    assert "is_staff" in garbage.data["errors"]


def test_staff_deactivate_a_user_who_cannot_reopen_it_by_logging_in(
    api_client, staff_client, client_for
):
    person = UserFactory()
    session = api_client.post(
        "/api/v1/auth/login", {"email": person.email, "password": PASSWORD}
    ).data

    response = staff_client.delete(f"/api/v1/users/{person.id}")

    assert response.status_code == 204
    stored = User.objects.get(pk=person.pk)
    assert (stored.is_active, stored.deactivated_by_owner) == (False, False)
    assert stored.session_version == 1
    assert api_client.get(ME, HTTP_AUTHORIZATION=f"Bearer {session['access']}").status_code == 401
    again = api_client.post("/api/v1/auth/login", {"email": person.email, "password": PASSWORD})
    assert (again.status_code, again.data["code"]) == (401, "account_disabled")


def test_staff_deactivating_themselves_is_like_users_me(staff_client, staff_user):
    response = staff_client.delete(f"/api/v1/users/{staff_user.id}")

    assert response.status_code == 204
    stored = User.objects.get(pk=staff_user.pk)
    assert (stored.is_active, stored.deactivated_by_owner) == (False, True)


def test_anyone_deactivates_themselves_by_id(user_client, user):
    assert user_client.delete(f"/api/v1/users/{user.id}").status_code == 204
    stored = User.objects.get(pk=user.pk)
    assert (stored.is_active, stored.deactivated_by_owner) == (False, True)


def test_a_non_staff_user_cannot_deactivate_someone_else(client_for, tenant, other_tenant):
    admin = client_for(tenant.admin)

    seen = admin.delete(f"/api/v1/users/{tenant.agent.id}")  # a member: visible
    unseen = admin.delete(f"/api/v1/users/{other_tenant.agent.id}")

    assert (seen.status_code, seen.data["code"]) == (403, "permission_denied")
    assert unseen.status_code == 404
    assert (
        User.objects.filter(pk__in=[tenant.agent.pk, other_tenant.agent.pk])
        .filter(is_active=True, session_version=0)
        .count()
        == 2
    )


# --- photo -------------------------------------------------------------------------------------


def _png(size=(8, 8)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, format="PNG")
    return SimpleUploadedFile("Me At The Beach.png", buffer.getvalue(), content_type="image/png")


def test_upload_replace_and_remove_my_photo(
    user_client, user, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    assert user_client.get(ME).data["photo"] is None

    with django_capture_on_commit_callbacks(execute=True):
        first = user_client.put(f"{ME}/photo", {"photo": _png()}, format="multipart")
    first_name = User.objects.get(pk=user.pk).photo.name

    assert first.status_code == 200
    assert first.json()["photo"] == f"http://testserver/media/{first_name}"
    assert first_name.startswith("users/photos/") and first_name.endswith(".png")
    assert "Beach" not in first_name
    assert (tmp_path / first_name).exists()
    assert user_client.get(ME).json()["photo"] == first.json()["photo"]

    with django_capture_on_commit_callbacks(execute=True):
        second = user_client.put(f"{ME}/photo", {"photo": _png((16, 16))}, format="multipart")
    second_name = User.objects.get(pk=user.pk).photo.name

    assert second.status_code == 200
    assert second_name != first_name
    assert not (tmp_path / first_name).exists()  # the replaced file is gone

    with django_capture_on_commit_callbacks(execute=True):
        removed = user_client.delete(f"{ME}/photo")

    assert (removed.status_code, removed.json()["photo"]) == (200, None)
    assert not User.objects.get(pk=user.pk).photo
    assert not (tmp_path / second_name).exists()


def test_a_photo_that_is_not_an_image_is_400(user_client, user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile("me.png", b"not an image at all", content_type="image/png")

    response = user_client.put(f"{ME}/photo", {"photo": fake}, format="multipart")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"photo"}
    assert not User.objects.get(pk=user.pk).photo
    assert not list(tmp_path.iterdir())


def test_a_photo_too_large_is_400(user_client, user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.PHOTO_MAX_BYTES = 100

    response = user_client.put(f"{ME}/photo", {"photo": _png((200, 200))}, format="multipart")

    assert response.status_code == 400
    assert response.json()["errors"]["photo"] == ["The photo is larger than 100\xa0bytes."]
    assert not User.objects.get(pk=user.pk).photo


def test_a_photo_sent_as_json_is_415_and_through_patch_is_400(user_client, user):
    as_json = user_client.put(f"{ME}/photo", {"photo": "aGVsbG8="})
    through_patch = user_client.patch(ME, {"photo": "aGVsbG8="})

    assert (as_json.status_code, as_json.json()["code"]) == (415, "unsupported_media_type")
    assert through_patch.status_code == 400
    assert "PUT /api/v1/users/me/photo" in through_patch.json()["errors"]["photo"][0]
    assert not User.objects.get(pk=user.pk).photo


def test_photo_needs_a_login(api_client):
    assert api_client.put(f"{ME}/photo", {"photo": _png()}, format="multipart").status_code == 401


def test_the_pointer_is_translated(user_client, user):
    response = user_client.patch(ME, {"password": "x"}, HTTP_ACCEPT_LANGUAGE="pt-BR")

    assert response.status_code == 400
    assert response.data["errors"]["password"][0].endswith(
        "altere-o com POST /api/v1/users/me/password."
    )
