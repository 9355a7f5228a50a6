import pytest

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


def test_patch_me_changes_profile_but_never_flags(user_client, user):
    response = user_client.patch(
        ME,
        {
            "name": "New Name",
            "phone": "+55 11 99999-0000",
            "birth_date": "01/02/1985",
            "is_staff": True,
            "is_superuser": True,
            "is_active": False,
            "session_version": 99,
        },
    )

    assert response.status_code == 200
    stored = User.objects.get(pk=user.pk)
    assert (stored.name, stored.phone, str(stored.birth_date)) == (
        "New Name",
        "+55 11 99999-0000",
        "1985-02-01",
    )
    assert (stored.is_staff, stored.is_superuser, stored.is_active) == (False, False, True)
    assert stored.session_version == 0


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
