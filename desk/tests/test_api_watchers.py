import pytest
from django.core import mail

from accounts.tests.factories import UserFactory
from companies.models import Membership
from companies.tests.factories import CompanyFactory, MembershipFactory
from desk.models import OrderWatcher
from desk.tests.factories import OrderWatcherFactory
from orders.models import Order
from orders.tests.mail import mime, post_mime, result_of

pytestmark = pytest.mark.django_db


def watchers_url(order):
    return f"/api/v1/orders/{order.pk}/watchers"


@pytest.fixture
def colleague(tenant):
    """Another requester of the tenant's company."""
    return MembershipFactory(company=tenant.company, role=Membership.Role.REQUESTER).user


def test_an_agent_adds_a_person_and_an_address(client_for, tenant, order, colleague):
    client = client_for(tenant.agent)

    person = client.post(watchers_url(order), {"user": colleague.pk})
    address = client.post(watchers_url(order), {"email": "Boss@Client.Example"})
    listed = client.get(watchers_url(order))

    assert person.status_code == 201
    assert person.json() == {
        "id": person.json()["id"],
        "user": {"id": colleague.pk, "name": colleague.name},
        "email": "",
        "added_by": {"id": tenant.agent.pk, "name": tenant.agent.name},
        "created_at": person.json()["created_at"],
    }
    assert address.status_code == 201
    assert address.json()["email"] == "boss@client.example"
    assert [row["id"] for row in listed.json()["results"]] == [
        person.json()["id"],
        address.json()["id"],
    ]
    assert list(OrderWatcher.objects.values_list("user", "email", "added_by")) == [
        (colleague.pk, "", tenant.agent.pk),
        (None, "boss@client.example", tenant.agent.pk),
    ]


def test_the_requester_watches_and_unwatches_only_themselves(client_for, tenant, order, colleague):
    client = client_for(tenant.requester)
    theirs = OrderWatcherFactory(order=order, user=colleague)

    someone = client.post(watchers_url(order), {"user": colleague.pk})
    address = client.post(watchers_url(order), {"email": "a@b.example"})
    themselves = client.post(watchers_url(order), {"user": tenant.requester.pk})
    remove_other = client.delete(f"{watchers_url(order)}/{theirs.pk}")
    remove_own = client.delete(f"{watchers_url(order)}/{themselves.json()['id']}")

    assert (someone.status_code, address.status_code) == (403, 403)
    assert themselves.status_code == 201
    assert remove_other.status_code == 403
    assert remove_own.status_code == 204
    assert list(OrderWatcher.objects.values_list("user", flat=True)) == [colleague.pk]


def test_an_agent_removes_any_watcher(client_for, tenant, order, colleague):
    watcher = OrderWatcherFactory(order=order, user=colleague)

    response = client_for(tenant.agent).delete(f"{watchers_url(order)}/{watcher.pk}")

    assert response.status_code == 204
    assert OrderWatcher.objects.count() == 0


def test_someone_outside_the_company_is_400_and_nothing_is_stored(
    client_for, tenant, other_tenant, order
):
    outsider = UserFactory()

    for person in (outsider, other_tenant.agent):
        response = client_for(tenant.admin).post(watchers_url(order), {"user": person.pk})
        assert response.status_code == 400
        assert list(response.json()["errors"]) == ["user"]
    assert OrderWatcher.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": "not-an-address"},
        {"user": 1, "email": "a@b.example"},
        {"user": "x"},
        {"email": "a@b.example", "added_by": 1},
    ],
)
def test_bad_input_is_400_and_nothing_is_stored(client_for, tenant, order, body):
    response = client_for(tenant.agent).post(watchers_url(order), body, format="json")

    assert response.status_code == 400
    assert OrderWatcher.objects.count() == 0


def test_the_same_watcher_twice_is_409(client_for, tenant, order):
    client = client_for(tenant.agent)
    client.post(watchers_url(order), {"email": "a@b.example"})

    again = client.post(watchers_url(order), {"email": "A@b.example"})

    assert again.status_code == 409
    assert again.json()["code"] == "already_watching"
    assert OrderWatcher.objects.count() == 1


def test_another_companys_order_or_watcher_is_404(client_for, tenant, other_tenant, order):
    watcher = OrderWatcherFactory(order=order, email="a@b.example")
    theirs = Order.objects.create(
        company=other_tenant.company, requester=other_tenant.requester, title="Theirs"
    )
    client = client_for(other_tenant.admin)

    assert client.get(watchers_url(order)).status_code == 404
    assert client.post(watchers_url(order), {"email": "x@y.example"}).status_code == 404
    assert client.delete(f"{watchers_url(order)}/{watcher.pk}").status_code == 404
    mine = client_for(tenant.admin).delete(f"{watchers_url(theirs)}/{watcher.pk}")
    assert mine.status_code == 404
    assert OrderWatcher.objects.count() == 1


@pytest.mark.parametrize("page_size", [1, 100])
def test_the_list_costs_the_same_whatever_its_size(
    client_for, tenant, order, django_assert_max_num_queries, page_size
):
    for number in range(20):
        OrderWatcherFactory(order=order, email=f"w{number}@b.example", added_by=tenant.agent)
    for _number in range(10):
        person = MembershipFactory(company=tenant.company).user
        OrderWatcherFactory(order=order, user=person, added_by=tenant.agent)
    client = client_for(tenant.requester)

    with django_assert_max_num_queries(6):
        response = client.get(watchers_url(order), {"page_size": page_size})

    assert response.json()["count"] == 30


# --- Notifications --------------------------------------------------------------------------


def test_watchers_get_public_notifications_in_their_language_never_notes(
    client_for, tenant, in_progress_order, colleague, django_capture_on_commit_callbacks
):
    colleague.language = "pt-br"
    colleague.save()
    OrderWatcherFactory(order=in_progress_order, user=colleague)
    OrderWatcherFactory(order=in_progress_order, email="boss@client.example")
    OrderWatcherFactory(order=in_progress_order, user=in_progress_order.assignee)  # acts
    url = f"/api/v1/orders/{in_progress_order.pk}/messages"
    client = client_for(in_progress_order.assignee)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"body": "Fuser ordered", "is_internal": True})
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"body": "Arriving at 3 pm."})

    sent = {message.to[0]: message for message in mail.outbox}
    assert sorted(sent) == sorted([tenant.requester.email, colleague.email, "boss@client.example"])
    assert sent[colleague.email].body.startswith("Olá")
    assert sent["boss@client.example"].body.startswith("Hello boss@client.example,")
    assert "Arriving at 3 pm." in sent["boss@client.example"].body


def test_watchers_hear_of_a_close_but_not_of_a_priority_change(
    client_for, tenant, in_progress_order, django_capture_on_commit_callbacks
):
    OrderWatcherFactory(order=in_progress_order, email="boss@client.example")

    with django_capture_on_commit_callbacks(execute=True):
        client_for(tenant.admin).post(
            f"/api/v1/orders/{in_progress_order.pk}/priority", {"priority": "urgent"}
        )
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        client_for(tenant.admin).post(
            f"/api/v1/orders/{in_progress_order.pk}/close", {"solution": "Done"}
        )

    watcher_mail = [m for m in mail.outbox if m.to == ["boss@client.example"]]
    assert len(watcher_mail) == 1
    assert "/rate/" not in watcher_mail[0].body


# --- Inbound e-mail copied to others -------------------------------------------------------


def test_addresses_copied_on_inbound_mail_watch_the_order_it_opens(
    api_client, tenant, inbound_secret, colleague
):
    other_company_support = "help@elsewhere.example"
    raw = mime(
        sender=tenant.requester.email,
        to=tenant.company.support_email,
        headers={
            "Cc": f"Boss <Boss@Client.example>, {colleague.email}, "
            f"{tenant.company.support_email}, {tenant.requester.email}, "
            f"no-reply@mutirao.localhost, {other_company_support}",
        },
    )
    CompanyFactory(support_email=other_company_support)

    result = result_of(post_mime(api_client, raw))

    assert result["status"] == "created"
    watchers = OrderWatcher.objects.filter(order_id=result["order"])
    assert set(watchers.values_list("user", "email", "added_by")) == {
        (None, "boss@client.example", tenant.requester.pk),
        (colleague.pk, "", tenant.requester.pk),
    }


def test_a_reply_copied_to_someone_new_adds_them_and_keeps_the_others(
    api_client, tenant, inbound_secret, order
):
    OrderWatcherFactory(order=order, email="boss@client.example")
    raw = mime(
        sender=tenant.requester.email,
        to=tenant.company.support_email,
        subject=f"Re: [#{order.pk}] {order.title}",
        headers={"Cc": "boss@client.example, deputy@client.example"},
    )

    result = result_of(post_mime(api_client, raw))

    assert (result["status"], result["order"]) == ("joined", order.pk)
    assert sorted(OrderWatcher.objects.values_list("email", flat=True)) == [
        "boss@client.example",
        "deputy@client.example",
    ]
