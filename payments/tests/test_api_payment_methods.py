import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from payments.cards import card_fingerprint
from payments.models import PaymentMethod
from payments.tests.factories import APPROVE, PaymentMethodFactory

pytestmark = pytest.mark.django_db

METHODS = "/api/v1/payment-methods"


def _card(**changes):
    return {
        "number": "4242 4242 4242 4242",
        "exp_month": 12,
        "exp_year": timezone.now().year + 2,
        "cvc": "123",
        "holder_name": "Paula Pessoa",
        **changes,
    }


def test_save_a_card_keeps_only_what_a_receipt_shows(user_client, user):
    response = user_client.post(METHODS, _card())

    assert response.status_code == 201
    method = PaymentMethod.objects.get()
    assert response.data == {
        "id": method.pk,
        "brand": "visa",
        "last4": "4242",
        "exp_month": 12,
        "exp_year": timezone.now().year + 2,
        "holder_name": "Paula Pessoa",
        "created_at": method.created_at.isoformat().replace("+00:00", "Z"),
        "updated_at": method.updated_at.isoformat().replace("+00:00", "Z"),
    }
    assert method.user == user
    assert method.fingerprint == card_fingerprint(APPROVE)
    assert method.gateway_token.startswith("tok_sandbox_ok_")


@pytest.mark.parametrize(
    ("number", "cvc", "brand"),
    [
        ("5555555555554444", "123", "mastercard"),
        ("2223003122003222", "123", "mastercard"),
        ("378282246310005", "1234", "amex"),
        ("6362970000457013", "123", "elo"),
    ],
)
def test_brands(user_client, number, cvc, brand):
    response = user_client.post(METHODS, _card(number=number, cvc=cvc))

    assert response.status_code == 201
    assert (response.data["brand"], response.data["last4"]) == (brand, number[-4:])


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"number": "4242424242424241"}, "number", "invalid_card_number"),
        ({"number": "4242"}, "number", "invalid_card_number"),
        ({"number": "4242-abcd-4242-4242"}, "number", "invalid_card_number"),
        ({"exp_month": 13}, "exp_month", "max_value"),
        ({"exp_year": 2020}, "exp_year", "card_expired"),
        ({"cvc": "12"}, "cvc", "invalid"),
        ({"cvc": "12a"}, "cvc", "invalid"),
        ({"number": "378282246310005", "cvc": "123"}, "cvc", "invalid_cvc"),
        ({"holder_name": ""}, "holder_name", "blank"),
    ],
)
def test_bad_cards_are_400_and_nothing_is_stored(user_client, changes, field, code):
    response = user_client.post(METHODS, _card(**changes))

    assert response.status_code == 400
    assert field in response.data["errors"]
    assert not PaymentMethod.objects.exists()


def test_last_month_of_expiry_is_still_valid(user_client):
    today = timezone.now().date()

    response = user_client.post(METHODS, _card(exp_month=today.month, exp_year=today.year))

    assert response.status_code == 201


def test_the_same_card_twice_is_refused(user_client, client_for):
    user_client.post(METHODS, _card())

    response = user_client.post(METHODS, _card(number="4242424242424242", holder_name="Other"))
    someone_else = client_for(UserFactory()).post(METHODS, _card())

    assert response.status_code == 400
    assert response.data["errors"] == {"number": ["You have already saved this card."]}
    assert someone_else.status_code == 201
    assert PaymentMethod.objects.count() == 2


def test_list_shows_only_my_cards_in_fixed_queries(
    user_client, user, django_assert_max_num_queries
):
    PaymentMethodFactory.create_batch(30, user=user)
    PaymentMethodFactory()

    with django_assert_max_num_queries(3):
        response = user_client.get(METHODS, {"page_size": 100})

    assert response.data["count"] == 30
    assert {"gateway_token", "fingerprint", "number", "cvc"}.isdisjoint(response.data["results"][0])


def test_patch_changes_holder_and_expiry_only(user_client, user):
    method = PaymentMethodFactory(user=user)

    response = user_client.patch(
        f"{METHODS}/{method.pk}",
        {"holder_name": "P. Pessoa", "exp_month": 1, "exp_year": 2098},
    )

    assert response.status_code == 200
    method.refresh_from_db()
    assert (method.holder_name, method.exp_month, method.exp_year) == ("P. Pessoa", 1, 2098)
    assert (method.last4, method.brand) == ("4242", "visa")


def test_patch_refuses_the_card_itself_and_changes_nothing(user_client, user):
    method = PaymentMethodFactory(user=user, holder_name="Card Holder")
    new_card = "This field cannot be set here; add a new card with POST /api/v1/payment-methods"

    response = user_client.patch(
        f"{METHODS}/{method.pk}",
        {
            "holder_name": "P. Pessoa",
            "last4": "0000",
            "brand": "amex",
            "number": "5555555555554444",
            "cvc": "123",
        },
    )

    assert response.status_code == 400
    assert response.data["errors"] == {
        "last4": ["This field cannot be set here."],
        "brand": ["This field cannot be set here."],
        "number": [new_card],
        "cvc": [new_card],
    }
    method.refresh_from_db()
    assert (method.holder_name, method.last4, method.brand) == ("Card Holder", "4242", "visa")


def test_patch_refuses_a_past_expiry(user_client, user):
    method = PaymentMethodFactory(user=user)

    response = user_client.patch(f"{METHODS}/{method.pk}", {"exp_year": 2020})

    assert response.status_code == 400
    method.refresh_from_db()
    assert method.exp_year == 2099


def test_delete_my_card(user_client, user):
    method = PaymentMethodFactory(user=user)

    assert user_client.delete(f"{METHODS}/{method.pk}").status_code == 204
    assert not PaymentMethod.objects.exists()


@pytest.mark.parametrize("method_name", ["get", "patch", "delete"])
def test_another_persons_card_is_404(user_client, method_name):
    theirs = PaymentMethodFactory()

    response = getattr(user_client, method_name)(f"{METHODS}/{theirs.pk}", {"holder_name": "Me"})

    assert response.status_code == 404
    assert PaymentMethod.objects.get(pk=theirs.pk).holder_name == theirs.holder_name


def test_staff_do_not_see_peoples_cards_through_the_api(staff_client):
    theirs = PaymentMethodFactory()

    assert staff_client.get(f"{METHODS}/{theirs.pk}").status_code == 404


def test_cards_need_login(api_client):
    assert api_client.get(METHODS).status_code == 401
    assert api_client.post(METHODS, _card()).status_code == 401
