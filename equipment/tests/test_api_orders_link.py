"""Orders pointing at an item: `equipment_item` on POST/PATCH orders, in the order's body
and as a list filter."""

import pytest
from django.core import mail

from companies.models import Membership
from companies.tests.factories import MembershipFactory
from equipment.models import Equipment
from equipment.tests.factories import EquipmentFactory
from orders.models import Order, OrderEvent
from orders.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders"


def _new(tenant, **fields) -> dict:
    return {"company": tenant.company.pk, "equipment": "printer", "title": "Jams", **fields}


def test_a_requester_opens_an_order_for_an_item_and_the_order_shows_it(
    client_for, tenant, item, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(tenant.requester).post(ORDERS, _new(tenant, equipment_item=item.pk))

    assert response.status_code == 201, response.json()
    order = Order.objects.get()
    assert order.equipment_item == item
    assert response.json()["equipment_item"] == {
        "id": item.pk,
        "kind": "printer",
        "brand": item.brand,
        "model": item.model,
        "serial_number": item.serial_number,
        "patrimony_tag": item.patrimony_tag,
        "status": "in_use",
    }
    assert (
        client_for(tenant.agent).get(f"{ORDERS}/{order.pk}").json()["equipment_item"]["id"]
        == item.pk
    )
    assert [message.to for message in mail.outbox] == [[tenant.admin.email]]  # as any order


def test_an_order_without_an_item_shows_null(client_for, tenant):
    response = client_for(tenant.requester).post(ORDERS, _new(tenant))

    assert response.status_code == 201
    assert response.json()["equipment_item"] is None


def test_another_companys_item_is_a_400_and_nothing_is_stored(client_for, tenant, other_tenant):
    theirs = EquipmentFactory(company=other_tenant.company)

    response = client_for(tenant.requester).post(ORDERS, _new(tenant, equipment_item=theirs.pk))

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"equipment_item"}
    assert not Order.objects.exists()
    assert not mail.outbox


def test_an_item_of_another_of_my_companies_is_a_400(client_for, tenant, other_tenant):
    # The agent sees both companies' items; an order holds only its own company's.
    MembershipFactory(company=other_tenant.company, user=tenant.agent, role=Membership.Role.AGENT)
    theirs = EquipmentFactory(company=other_tenant.company)

    response = client_for(tenant.agent).post(ORDERS, _new(tenant, equipment_item=theirs.pk))

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "equipment_item": ["Choose equipment of the order's company."]
    }
    assert not Order.objects.exists()


def test_a_retired_item_takes_no_new_order(client_for, tenant):
    retired = EquipmentFactory(company=tenant.company, status=Equipment.Status.RETIRED)

    response = client_for(tenant.requester).post(ORDERS, _new(tenant, equipment_item=retired.pk))

    assert response.status_code == 400
    assert response.json()["errors"] == {"equipment_item": ["This equipment is retired."]}
    assert not Order.objects.exists()


def test_patch_sets_and_clears_the_item_and_the_timeline_keeps_ids(client_for, tenant, item):
    order = OrderFactory(company=tenant.company, requester=tenant.requester)
    client = client_for(tenant.requester)

    set_response = client.patch(f"{ORDERS}/{order.pk}", {"equipment_item": item.pk})
    cleared = client.patch(f"{ORDERS}/{order.pk}", {"equipment_item": None})

    assert set_response.status_code == 200
    assert set_response.json()["equipment_item"]["id"] == item.pk
    assert cleared.json()["equipment_item"] is None
    changes = [
        event.data["changes"]
        for event in OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.UPDATED)
    ]
    assert changes == [
        {"equipment_item": {"from": None, "to": item.pk}},
        {"equipment_item": {"from": item.pk, "to": None}},
    ]


def test_patch_with_another_companys_item_changes_nothing(client_for, tenant, other_tenant):
    order = OrderFactory(company=tenant.company, requester=tenant.requester)
    theirs = EquipmentFactory(company=other_tenant.company)

    response = client_for(tenant.admin).patch(
        f"{ORDERS}/{order.pk}", {"equipment_item": theirs.pk, "title": "Changed"}
    )

    order.refresh_from_db()
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"equipment_item"}
    assert (order.title, order.equipment_item) != ("Changed", theirs)
    assert order.equipment_item is None
    assert not order.events.exists()


def test_the_order_list_filters_by_item(client_for, tenant, item):
    pointing = OrderFactory(company=tenant.company, equipment_item=item)
    OrderFactory(company=tenant.company)

    response = client_for(tenant.agent).get(ORDERS, {"equipment_item": item.pk})

    assert [row["id"] for row in response.json()["results"]] == [pointing.pk]
    assert client_for(tenant.agent).get(ORDERS, {"equipment_item": "x"}).status_code == 400


def test_the_order_list_keeps_its_query_budget_with_items(
    client_for, tenant, django_assert_max_num_queries
):
    for item in EquipmentFactory.create_batch(20, company=tenant.company):
        OrderFactory(company=tenant.company, equipment_item=item)

    client = client_for(tenant.agent)

    with django_assert_max_num_queries(3):
        response = client.get(ORDERS, {"page_size": 100})

    assert response.json()["count"] == 20


def test_an_order_keeps_its_item_once_retired(client_for, tenant, item):
    order = OrderFactory(company=tenant.company, requester=tenant.requester, equipment_item=item)
    Equipment.objects.filter(pk=item.pk).update(status=Equipment.Status.RETIRED)

    response = client_for(tenant.requester).patch(
        f"{ORDERS}/{order.pk}", {"equipment_item": item.pk, "title": "Still jams"}
    )

    assert response.status_code == 200
    assert response.json()["equipment_item"]["status"] == "retired"
    assert response.json()["title"] == "Still jams"


def test_the_admin_refuses_an_item_of_another_company(client, tenant, other_tenant, staff_user):
    # given an order of one company and an item of another
    order = OrderFactory(company=tenant.company, requester=tenant.requester)
    theirs = EquipmentFactory(company=other_tenant.company)
    client.force_login(staff_user)
    url = f"/admin/orders/order/{order.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {
        name: ("" if value is None else value)
        for name, value in form.initial.items()
        if name in form.fields
    }
    data.update({"company": order.company_id, "requester": order.requester_id})

    # when staff point the order at it in the admin
    response = client.post(url, {**data, "equipment_item": theirs.pk})

    # then the form says why and nothing is stored
    assert response.status_code == 200
    assert "This item belongs to another company." in response.content.decode()
    order.refresh_from_db()
    assert order.equipment_item is None
