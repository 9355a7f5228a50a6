from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.db.models import F
from django.test import override_settings
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
LOGOUT_ALL = "/api/v1/auth/logout-all"
ME = "/api/v1/users/me"


def login(api_client, email, password=PASSWORD, **extra):
    return api_client.post(LOGIN, {"email": email, "password": password}, **extra)


def me_with(api_client, access):
    return api_client.get(ME, HTTP_AUTHORIZATION=f"Bearer {access}")


def test_register_creates_user_with_argon2_hash(api_client):
    response = api_client.post(
        REGISTER,
        {
            "email": "Nova@Example.com",
            "password": "a-long-unusual-passphrase",
            "name": "Nova Pessoa",
            "birth_date": "31/12/1990",
        },
    )

    assert response.status_code == 201, response.data
    assert response.data["email"] == "nova@example.com"
    assert response.data["birth_date"] == "1990-12-31"
    assert "password" not in response.data
    stored = User.objects.get(email="nova@example.com")
    assert stored.password.startswith("argon2$")
    assert stored.check_password("a-long-unusual-passphrase")
    assert not stored.is_staff and stored.is_active


def test_register_duplicate_email_in_any_case_is_400(api_client, user):
    response = api_client.post(
        REGISTER,
        {"email": user.email.upper(), "password": "a-long-unusual-passphrase", "name": "Other"},
    )

    assert response.status_code == 400
    assert response.data["code"] == "invalid"
    assert "email" in response.data["errors"]
    assert User.objects.count() == 1


def test_register_weak_password_is_400_and_stores_nothing(api_client):
    response = api_client.post(
        REGISTER, {"email": "weak@example.com", "password": "12345678", "name": "Weak"}
    )

    assert response.status_code == 400
    assert "password" in response.data["errors"]
    assert not User.objects.filter(email="weak@example.com").exists()


def test_register_cannot_set_flags(api_client):
    response = api_client.post(
        REGISTER,
        {
            "email": "sneaky@example.com",
            "password": "a-long-unusual-passphrase",
            "name": "Sneaky",
            "is_staff": True,
            "is_superuser": True,
            "is_active": False,
        },
    )

    assert response.status_code == 400
    assert response.data["code"] == "invalid"
    assert response.data["errors"] == {
        "is_staff": ["This field cannot be set here."],
        "is_superuser": ["This field cannot be set here."],
        "is_active": ["This field cannot be set here."],
    }
    assert not User.objects.filter(email="sneaky@example.com").exists()


def test_login_returns_tokens_and_user(api_client, user):
    response = login(api_client, user.email.upper())

    assert response.status_code == 200
    assert set(response.data) == {"access", "refresh", "user"}
    assert response.data["user"]["id"] == user.id
    assert me_with(api_client, response.data["access"]).data["email"] == user.email


def test_wrong_password_and_unknown_email_get_the_same_401(api_client, user):
    wrong = login(api_client, user.email, "not-the-password")
    unknown = login(api_client, "nobody@example.com")

    assert wrong.status_code == unknown.status_code == 401
    assert (
        wrong.data
        == unknown.data
        == {
            "detail": "Invalid e-mail or password.",
            "code": "invalid_credentials",
        }
    )


def test_refresh_rotates_and_old_refresh_is_revoked(api_client, user):
    first = login(api_client, user.email).data

    rotated = api_client.post(REFRESH, {"refresh": first["refresh"]})
    replay = api_client.post(REFRESH, {"refresh": first["refresh"]})

    assert rotated.status_code == 200
    assert rotated.data["refresh"] != first["refresh"]
    assert me_with(api_client, rotated.data["access"]).status_code == 200
    assert replay.status_code == 401
    assert api_client.post(REFRESH, {"refresh": rotated.data["refresh"]}).status_code == 200


def test_refresh_with_garbage_is_401(api_client):
    assert api_client.post(REFRESH, {"refresh": "not-a-token"}).status_code == 401


def test_logout_revokes_that_refresh_token_only(api_client, user):
    phone = login(api_client, user.email).data
    laptop = login(api_client, user.email).data

    response = api_client.post(
        LOGOUT, {"refresh": phone["refresh"]}, HTTP_AUTHORIZATION=f"Bearer {phone['access']}"
    )

    assert response.status_code == 204
    assert api_client.post(REFRESH, {"refresh": phone["refresh"]}).status_code == 401
    assert api_client.post(REFRESH, {"refresh": laptop["refresh"]}).status_code == 200


def test_logout_refuses_someone_elses_refresh_token(api_client, user):
    other = UserFactory()
    theirs = login(api_client, other.email).data
    mine = login(api_client, user.email).data

    response = api_client.post(
        LOGOUT, {"refresh": theirs["refresh"]}, HTTP_AUTHORIZATION=f"Bearer {mine['access']}"
    )

    assert response.status_code == 401
    assert api_client.post(REFRESH, {"refresh": theirs["refresh"]}).status_code == 200


def test_logout_all_revokes_every_access_and_refresh_token(api_client, user):
    sessions = [login(api_client, user.email).data for _ in range(3)]

    response = api_client.post(LOGOUT_ALL, HTTP_AUTHORIZATION=f"Bearer {sessions[0]['access']}")

    assert response.status_code == 204
    for session in sessions:
        assert me_with(api_client, session["access"]).status_code == 401
        assert api_client.post(REFRESH, {"refresh": session["refresh"]}).status_code == 401
    assert OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True).count() == 0
    fresh = login(api_client, user.email)
    assert fresh.status_code == 200
    assert me_with(api_client, fresh.data["access"]).status_code == 200


def test_self_deactivated_account_is_reactivated_by_login(api_client, user):
    session = login(api_client, user.email).data
    auth = f"Bearer {session['access']}"

    assert api_client.delete(ME, HTTP_AUTHORIZATION=auth).status_code == 204
    user.refresh_from_db()
    assert (user.is_active, user.deactivated_by_owner) == (False, True)
    assert me_with(api_client, session["access"]).status_code == 401

    again = login(api_client, user.email)

    assert again.status_code == 200
    user.refresh_from_db()
    assert (user.is_active, user.deactivated_by_owner) == (True, False)


def test_account_disabled_by_staff_cannot_log_in(api_client):
    disabled = UserFactory(is_active=False, deactivated_by_owner=False)

    response = login(api_client, disabled.email)

    assert response.status_code == 401
    assert response.data["code"] == "account_disabled"
    disabled.refresh_from_db()
    assert not disabled.is_active


def test_login_is_throttled_per_email_with_retry_after(api_client, user):
    responses = [login(api_client, user.email) for _ in range(11)]

    assert [r.status_code for r in responses[:10]] == [200] * 10
    assert responses[-1].status_code == 429
    assert int(responses[-1]["Retry-After"]) > 0
    assert "throttled" in responses[-1].data["detail"]


@override_settings(AXES_FAILURE_LIMIT=3)
def test_repeated_wrong_passwords_lock_the_account(api_client, user):
    failures = [login(api_client, user.email, "wrong").status_code for _ in range(3)]

    locked = login(api_client, user.email)  # even the right password is refused now

    assert failures == [401, 401, 429]
    assert locked.status_code == 429
    assert locked.json()["code"] == "account_locked"
    assert int(locked["Retry-After"]) > 0


def test_errors_are_translated_to_portuguese(api_client, user):
    response = api_client.post(
        LOGIN, {"email": user.email, "password": "wrong"}, HTTP_ACCEPT_LANGUAGE="pt-BR"
    )

    assert response.status_code == 401
    assert response.data["detail"] == "E-mail ou senha inválidos."


def test_validation_errors_name_the_fields(api_client):
    response = api_client.post(LOGIN, {"email": "not-an-email"})

    assert response.status_code == 400
    assert set(response.data["errors"]) == {"email", "password"}


# --- lockout: the account from that address, not the address -------------------------------

IP1, IP2 = "203.0.113.10", "198.51.100.20"


@pytest.fixture
def no_email_throttle(settings):
    # The per-e-mail throttle (10 attempts a minute, whatever the address) is tested on its
    # own; here it is raised so only the lockout decides.
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login_email": "1000/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


def test_ten_wrong_passwords_lock_that_account_from_that_address_only(
    api_client, no_email_throttle
):
    # given: A and B, colleagues behind one address
    account_a, account_b = UserFactory(), UserFactory()

    # when: ten wrong passwords for A from IP1
    failures = [
        login(api_client, account_a.email, "wrong", REMOTE_ADDR=IP1).status_code for _ in range(10)
    ]

    # then: A is locked from IP1, even with the right password, and the answer says so
    locked = login(api_client, account_a.email, REMOTE_ADDR=IP1)
    assert failures == [401] * 9 + [429]
    assert locked.status_code == 429
    assert locked.json() == {
        "detail": "Too many failed logins. The account is locked for a while; try later.",
        "code": "account_locked",
    }
    assert int(locked["Retry-After"]) == 15 * 60
    # B logs in from the same address, and A from another one
    assert login(api_client, account_b.email, REMOTE_ADDR=IP1).status_code == 200
    assert login(api_client, account_a.email, REMOTE_ADDR=IP2).status_code == 200
    # and the lock on A from IP1 still holds
    assert login(api_client, account_a.email, REMOTE_ADDR=IP1).status_code == 429


def test_many_accounts_failing_from_one_address_lock_none_of_the_others(
    api_client, no_email_throttle
):
    # given: nine wrong passwords for each of two accounts from one address
    account_a, account_b = UserFactory(), UserFactory()
    for account in (account_a, account_b):
        for _ in range(9):
            login(api_client, account.email, "wrong", REMOTE_ADDR=IP1)

    # then: 18 failures from the address lock nobody; each account has 9 of its 10
    assert login(api_client, account_a.email, REMOTE_ADDR=IP1).status_code == 200
    assert login(api_client, account_b.email, REMOTE_ADDR=IP1).status_code == 200


def test_the_lock_ends_after_the_cool_off(api_client, no_email_throttle):
    account = UserFactory()
    for _ in range(10):
        login(api_client, account.email, "wrong", REMOTE_ADDR=IP1)
    assert login(api_client, account.email, REMOTE_ADDR=IP1).status_code == 429

    # when: the attempts are older than the cool-off (15 minutes)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=16))

    assert login(api_client, account.email, REMOTE_ADDR=IP1).status_code == 200
