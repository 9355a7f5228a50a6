"""Resource limits: pages, body sizes, uploads, JSON depth and login spraying all have a
ceiling, and going over it is a clear 4xx in the API's JSON error shape, never a 500 and
never a half-written row."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import get_resolver
from PIL import Image

from accounts.tests.factories import UserFactory
from homes.models import Home
from homes.tests.factories import HomeFactory, HomeMemberFactory, RuleFactory
from tests.test_isolation_matrix import BASE_QUERY, COLLECTIONS, ID_FILTERS, _filters, _walk
from tests.world import build_world, changed_tables, database_state

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login"


def _json_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    if code is not None:
        assert body["code"] == code, body
    return body


# --- pagination ------------------------------------------------------------------------------


def test_a_huge_page_size_is_capped_at_100(client_for, user):
    # given: a home with 105 rules
    home = HomeFactory(created_by=user)
    HomeMemberFactory(home=home, user=user, role="admin")
    RuleFactory.create_batch(105, home=home)

    # when
    client = client_for(user)
    responses = [
        client.get(f"/api/v1/homes/{home.pk}/rules", {"page_size": size})
        for size in (10**9, "9" * 40, 101)
    ]

    # then
    for response in responses:
        assert response.status_code == 200
        assert response.data["count"] == 105
        assert len(response.data["results"]) == 100
        assert response.data["next"] is not None


@pytest.mark.parametrize("page_size", ["0", "-1", "abc", "1e309", "", "2.5"])
def test_a_nonsense_page_size_is_refused(client_for, user, page_size):
    home = HomeFactory(created_by=user)
    HomeMemberFactory(home=home, user=user, role="admin")
    RuleFactory.create_batch(25, home=home)

    response = client_for(user).get(f"/api/v1/homes/{home.pk}/rules", {"page_size": page_size})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "page_size" in response.json()["errors"]


def test_every_collection_caps_its_page(client_for):
    # given: every collection of the URL configuration, read by a user who sees rows in each
    world = build_world()
    client = client_for(world.ours.admin)
    callbacks = {
        pattern.name: pattern.callback for _, pattern in _walk(get_resolver().url_patterns)
    }

    for name, url in COLLECTIONS.items():
        view = callbacks[name].cls
        if name in {"order-report", "order-stats"}:
            continue  # not pages: a streamed download and one summary object
        # when
        response = client.get(url, {"page_size": 10**9, "page": 1})
        # then
        assert response.status_code == 200, (name, response.content[:200])
        paginator = view.pagination_class
        assert paginator is not None and paginator.max_page_size == 100, name
        assert set(response.data) >= {"count", "next", "previous", "results"}, name


def test_a_page_far_past_the_end_is_empty(client_for, user):
    response = client_for(user).get("/api/v1/homes", {"page": 10**30})

    assert response.status_code == 200
    assert (response.json()["results"], response.json()["next"]) == ([], None)


# --- body size -------------------------------------------------------------------------------


def test_a_json_body_over_the_limit_is_a_json_413(client_for, user, settings):
    # given
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    client = client_for(user)
    before = database_state()

    # when
    body = json.dumps({"name": "x" * 20_000}).encode()
    response = client.generic("POST", "/api/v1/homes", data=body, content_type="application/json")

    # then
    _json_error(response, 413, "too_large")
    assert changed_tables(before) == []


@pytest.fixture
def photo_url(client_for, user) -> str:
    """The one multipart endpoint: the photo of a home `user` administers."""
    home = client_for(user).post("/api/v1/homes", {"name": "Casa"}).json()
    return f"/api/v1/homes/{home['id']}/photo"


def test_a_multipart_body_over_the_limit_is_a_json_413(client_for, user, settings, photo_url):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    client = client_for(user)
    before = database_state()

    response = client.put(photo_url, {"caption": "x" * 20_000}, format="multipart")

    _json_error(response, 413, "too_large")
    assert changed_tables(before) == []


def test_a_body_under_the_limit_still_works(client_for, user, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000

    response = client_for(user).post("/api/v1/homes", {"name": "Casa", "address": "x" * 200})

    assert response.status_code == 201


def test_too_many_form_fields_is_a_json_400(client_for, user, settings, photo_url):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    fields = {f"field{n}": "1" for n in range(60)}

    response = client_for(user).put(photo_url, fields, format="multipart")

    _json_error(response, 400)
    assert Home.objects.get().photo.name == ""


def test_an_upload_over_the_limit_is_a_json_400_and_nothing_is_stored(client_for, user, settings):
    # given: a photo larger than the configured limit
    settings.PHOTO_MAX_BYTES = 1_000
    buffer = io.BytesIO()
    Image.effect_noise((200, 200), 100).convert("RGB").save(buffer, format="PNG")
    photo = SimpleUploadedFile("big.png", buffer.getvalue(), content_type="image/png")
    assert photo.size > 1_000

    # when
    home = client_for(user).post("/api/v1/homes", {"name": "Casa"}).json()
    response = client_for(user).put(
        f"/api/v1/homes/{home['id']}/photo", {"photo": photo}, format="multipart"
    )

    # then
    body = _json_error(response, 400, "invalid")
    assert "photo" in body["errors"]
    assert Home.objects.get().photo.name == ""


# --- JSON shape ------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [100_000, 5_000, 900])
def test_deeply_nested_json_is_a_400(client_for, user, depth):
    body = "[" * depth + "]" * depth

    response = client_for(user).generic(
        "POST", "/api/v1/homes", data=body, content_type="application/json"
    )

    _json_error(response, 400)
    assert not Home.objects.exists()


def test_deeply_nested_json_inside_an_object_is_a_400(client_for, user):
    body = '{"name": ' + '{"a": ' * 50_000 + "1" + "}" * 50_000 + "}"

    response = client_for(user).generic(
        "POST", "/api/v1/orders", data=body, content_type="application/json"
    )

    _json_error(response, 400)


def test_a_huge_flat_json_array_is_a_400(client_for, user):
    body = json.dumps({"name": "Casa", "weekdays": [0] * 200_000})

    response = client_for(user).generic(
        "POST", "/api/v1/homes", data=body, content_type="application/json"
    )

    # 1.2 MB: under the body limit, so the serializer answers (a list where a string goes)
    assert response.status_code in (201, 400)
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("raw", ['{"name": NaN}', '{"name": Infinity}', "\xff\xfe", "{" * 10])
def test_malformed_json_is_a_400(client_for, user, raw):
    response = client_for(user).generic(
        "POST",
        "/api/v1/homes",
        data=raw.encode("latin-1"),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert not Home.objects.exists()


# --- login spraying --------------------------------------------------------------------------


def _login(api_client, email, **extra):
    return api_client.post(LOGIN, {"email": email, "password": "wrong-password"}, **extra)


def _refused_after(codes: list[int], limit: int) -> None:
    """Wrong passwords answer 401 until a limit, then every attempt is 429."""
    first = codes.index(429)
    assert 0 < first <= limit, codes
    assert codes[:first] == [401] * first, codes
    assert codes[first:] == [429] * (len(codes) - first), codes


def test_spraying_many_accounts_from_one_address_is_throttled(api_client):
    # given: 25 accounts, some of which exist
    emails = [f"victim{n}@example.com" for n in range(25)]
    for email in emails[:5]:
        UserFactory(email=email)

    # when: one wrong password for each, from the same address
    codes = [_login(api_client, email).status_code for email in emails]

    # then: the address is stopped (lockout after 10 failures, throttle after 20 attempts)
    _refused_after(codes, 20)


def test_rotating_x_forwarded_for_does_not_escape_the_limit(api_client):
    # given: without trusted proxies (NUM_PROXIES=0) the header is not believed
    headers = [f"198.51.100.{n}, 10.0.0.{n}" for n in range(25)]

    # when
    codes = [
        _login(
            api_client,
            f"victim{n}@example.com",
            HTTP_X_FORWARDED_FOR=header,
            REMOTE_ADDR="203.0.113.7",
        ).status_code
        for n, header in enumerate(headers)
    ]

    # then
    _refused_after(codes, 20)


def test_the_address_limit_counts_every_attempt_not_only_failures(api_client, settings):
    # given: no lockout, so only the throttle (20 a minute per address) is left
    settings.AXES_ENABLED = False
    emails = [f"victim{n}@example.com" for n in range(22)]

    codes = [_login(api_client, email).status_code for email in emails]

    assert codes == [401] * 20 + [429] * 2


def test_spraying_one_account_from_many_addresses_is_throttled(api_client):
    # given: one account, tried from 15 different addresses (and forwarded-for headers)
    victim = UserFactory()

    # when
    responses = [
        _login(
            api_client,
            victim.email,
            REMOTE_ADDR=f"192.0.2.{n}",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )
        for n in range(15)
    ]

    # then: the per-account limit (10 a minute) holds, with a Retry-After
    assert [r.status_code for r in responses[10:]] == [429] * 5
    assert int(responses[-1]["Retry-After"]) > 0
    _json_error(responses[-1], 429)


def test_case_and_spaces_do_not_make_a_new_account_for_the_limit(api_client):
    victim = UserFactory(email="victim@example.com")
    spellings = ["victim@example.com", "VICTIM@example.com", " Victim@Example.com "]

    codes = [
        _login(api_client, spellings[n % 3], REMOTE_ADDR=f"192.0.2.{n}").status_code
        for n in range(12)
    ]

    assert codes[10:] == [429, 429]
    assert victim.email == "victim@example.com"


# --- numbers past what an id column holds ----------------------------------------------------

HUGE = [str(10**30), "1e30", "9223372036854775808", "-9223372036854775809", "2.5"]


def test_a_huge_id_in_any_filter_is_a_400_not_a_500(client_for):
    # given: every id filter of every collection
    world = build_world()
    client = client_for(world.ours.admin)
    callbacks = {
        pattern.name: pattern.callback for _, pattern in _walk(get_resolver().url_patterns)
    }
    probed = 0

    for name, url in COLLECTIONS.items():
        for filter_name in _filters(callbacks[name]):
            if filter_name not in ID_FILTERS:
                continue
            for value in HUGE:
                # when
                response = client.get(url, {**BASE_QUERY.get(name, {}), filter_name: value})
                # then
                probed += 1
                body = _json_error(response, 400, "invalid")
                assert filter_name in body["errors"], (name, filter_name, value, body)

    assert probed >= 40


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/orders/{n}",
        "/api/v1/homes/{n}/tasks",
        "/api/v1/ongs/{n}/balance",
        "/api/v1/users/{n}",
    ],
)
def test_a_huge_id_in_the_url_is_a_404(client_for, user, url):
    response = client_for(user).get(url.format(n=10**30))

    _json_error(response, 404)


def test_a_huge_id_in_a_body_is_a_400(client_for, user):
    response = client_for(user).post(
        "/api/v1/orders", {"company": 10**30, "equipment": "printer", "title": "T"}
    )

    body = _json_error(response, 400, "invalid")
    assert "company" in body["errors"]


def test_deeply_nested_json_in_a_signed_inbound_email_is_a_400(api_client, settings):
    # given: a body the provider signed, nested deeper than Python's parser follows
    from orders.models import InboundEmail
    from orders.tests.mail import SECRET, post_signed

    settings.INBOUND_EMAIL_SECRET = SECRET
    body = ("[" * 100_000 + "]" * 100_000).encode()

    # when
    response = post_signed(api_client, body)

    # then
    body = _json_error(response, 400, "invalid")
    assert "body" in body["errors"]
    assert not InboundEmail.objects.exists()
