"""The registry through the API: reading, writing, roles, filters and what a list costs."""

import pytest

from companies.models import Membership
from companies.tests.factories import MembershipFactory
from equipment.models import Equipment
from equipment.tests.factories import EquipmentFactory
from orders.models import Order
from orders.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/equipment"


def _row(item: Equipment, **changes) -> dict:
    return {
        "id": item.pk,
        "company": {"id": item.company_id, "name": item.company.trading_name},
        "kind": item.kind,
        "brand": item.brand,
        "model": item.model,
        "serial_number": item.serial_number,
        "patrimony_tag": item.patrimony_tag,
        "site_address": item.site_address,
        "room": item.room,
        "status": item.status,
        "notes": item.notes,
        "has_open_orders": False,
        "created_at": item.created_at.isoformat().replace("+00:00", "Z"),
        "updated_at": item.updated_at.isoformat().replace("+00:00", "Z"),
        **changes,
    }


# --- create -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "agent"])
def test_admins_and_agents_register_equipment(client_for, tenant, role):
    body = {
        "company": tenant.company.pk,
        "kind": "ups",
        "brand": " APC ",
        "model": "Back-UPS 1500",
        "serial_number": "3B1234X",
        "patrimony_tag": "PAT-7",
        "site_address": "Rua A, 1",
        "room": "Server room",
        "notes": "Battery replaced in 2025.",
    }

    response = client_for(getattr(tenant, role)).post(URL, body)

    assert response.status_code == 201, response.json()
    item = Equipment.objects.get()
    assert response.json() == _row(item)
    assert (item.company, item.kind, item.brand, item.status) == (
        tenant.company,
        "ups",
        "APC",
        Equipment.Status.IN_USE,
    )


def test_a_requester_may_not_register_equipment(client_for, tenant):
    response = client_for(tenant.requester).post(
        URL, {"company": tenant.company.pk, "kind": "printer"}
    )

    assert response.status_code == 403
    assert not Equipment.objects.exists()


def test_another_companys_id_in_the_body_is_a_400_and_nothing_is_stored(
    client_for, tenant, other_tenant
):
    response = client_for(tenant.admin).post(
        URL, {"company": other_tenant.company.pk, "kind": "printer"}
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"company"}
    assert not Equipment.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "scanner"}, "kind"),
        ({"kind": "printer", "serial_number": "x" * 101}, "serial_number"),
        ({"kind": "printer", "status": "retired"}, "status"),
        ({"kind": "printer", "brand": "HP\x00"}, "brand"),
        ({"kind": ["printer"]}, "kind"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_stored(client_for, tenant, body, field):
    response = client_for(tenant.admin).post(URL, {"company": tenant.company.pk, **body})

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {field}
    assert not Equipment.objects.exists()


def test_a_serial_number_is_unique_per_company_whatever_its_case(
    client_for, tenant, other_tenant, item
):
    client = client_for(tenant.admin)

    same = client.post(
        URL,
        {
            "company": tenant.company.pk,
            "kind": "printer",
            "serial_number": item.serial_number.lower(),
        },
    )
    other_company = client_for(other_tenant.admin).post(
        URL,
        {
            "company": other_tenant.company.pk,
            "kind": "printer",
            "serial_number": item.serial_number,
        },
    )
    tag = client.post(
        URL,
        {"company": tenant.company.pk, "kind": "printer", "patrimony_tag": item.patrimony_tag},
    )

    assert same.status_code == 400
    assert same.json()["errors"] == {
        "serial_number": ["This company already has equipment with this serial number."]
    }
    assert other_company.status_code == 201
    assert tag.status_code == 400
    assert set(tag.json()["errors"]) == {"patrimony_tag"}
    assert Equipment.objects.filter(company=tenant.company).count() == 1


def test_blank_serial_numbers_do_not_collide(client_for, tenant):
    client = client_for(tenant.agent)

    for _ in range(2):
        response = client.post(URL, {"company": tenant.company.pk, "kind": "other"})
        assert response.status_code == 201

    assert Equipment.objects.filter(serial_number="").count() == 2


def test_an_inactive_company_gets_no_new_equipment(client_for, tenant):
    tenant.company.is_active = False
    tenant.company.save()

    response = client_for(tenant.admin).post(URL, {"company": tenant.company.pk, "kind": "ups"})

    assert response.status_code == 403
    assert response.json()["code"] == "company_inactive"
    assert not Equipment.objects.exists()


# --- read -------------------------------------------------------------------------------------


def test_members_see_their_companys_equipment_only(client_for, tenant, other_tenant, item):
    EquipmentFactory(company=other_tenant.company)

    for person in (tenant.admin, tenant.agent, tenant.requester):
        response = client_for(person).get(URL)
        assert response.status_code == 200
        assert response.json()["results"] == [_row(item)]


def test_staff_see_every_company(staff_client, tenant, other_tenant, item):
    theirs = EquipmentFactory(company=other_tenant.company)

    response = staff_client.get(URL)

    assert [row["id"] for row in response.json()["results"]] == [item.pk, theirs.pk]


def test_detail_shows_the_orders_the_caller_sees_newest_first(client_for, tenant, item):
    mine = OrderFactory(company=tenant.company, requester=tenant.requester, equipment_item=item)
    someone_elses = OrderFactory(company=tenant.company, equipment_item=item)
    closed = OrderFactory(
        company=tenant.company,
        requester=tenant.requester,
        equipment_item=item,
        status=Order.Status.CLOSED,
        solution="Fuser replaced.",
        assignee=tenant.agent,
    )
    OrderFactory(company=tenant.company, requester=tenant.requester)  # another item's

    agent_view = client_for(tenant.agent).get(f"{URL}/{item.pk}").json()
    requester_view = client_for(tenant.requester).get(f"{URL}/{item.pk}").json()

    def history(*orders):
        return [
            {
                "id": order.pk,
                "title": order.title,
                "status": order.status,
                "created_at": order.created_at.isoformat().replace("+00:00", "Z"),
                "closed_at": None,
            }
            for order in orders
        ]

    assert agent_view == {
        **_row(item, has_open_orders=True),
        "history": history(closed, someone_elses, mine),
    }
    assert requester_view["history"] == history(closed, mine)


def test_the_detail_history_is_bounded_and_the_orders_list_pages(
    client_for, tenant, item, django_assert_max_num_queries
):
    orders = OrderFactory.create_batch(13, company=tenant.company, equipment_item=item)
    client = client_for(tenant.agent)

    with django_assert_max_num_queries(3):
        detail = client.get(f"{URL}/{item.pk}").json()
    with django_assert_max_num_queries(4):
        page = client.get(f"{URL}/{item.pk}/orders", {"page_size": 100}).json()

    newest_first = [order.pk for order in reversed(orders)]
    assert [row["id"] for row in detail["history"]] == newest_first[:10]
    assert page["count"] == 13
    assert [row["id"] for row in page["results"]] == newest_first


@pytest.mark.parametrize("page_size", [1, 100])
def test_the_list_costs_the_same_whatever_the_page_size(
    client_for, tenant, django_assert_max_num_queries, page_size
):
    for item in EquipmentFactory.create_batch(30, company=tenant.company):
        OrderFactory(company=tenant.company, equipment_item=item)

    client = client_for(tenant.requester)

    # The caller, the count, the page (each row's company and open orders joined in it).
    with django_assert_max_num_queries(3):
        response = client.get(URL, {"page_size": page_size})

    assert response.json()["count"] == 30
    assert len(response.json()["results"]) == min(page_size, 30)
    assert all(row["has_open_orders"] for row in response.json()["results"])


# --- filters ----------------------------------------------------------------------------------


def test_filters_kind_status_site_open_orders_and_search(client_for, tenant):
    printer = EquipmentFactory(company=tenant.company, kind="printer", room="Reception")
    ups = EquipmentFactory(
        company=tenant.company, kind="ups", status="in_repair", site_address="Rua B, 9"
    )
    notebook = EquipmentFactory(
        company=tenant.company, kind="notebook", brand="Dell", serial_number="CN-0XYZ"
    )
    OrderFactory(company=tenant.company, equipment_item=printer)
    OrderFactory(
        company=tenant.company,
        equipment_item=ups,
        status="closed",
        solution="ok",
        assignee=tenant.agent,
    )
    client = client_for(tenant.requester)

    def ids(**params):
        response = client.get(URL, params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids(kind="printer,ups") == [printer.pk, ups.pk]
    assert ids(status="in_repair") == [ups.pk]
    assert ids(site="recep") == [printer.pk]
    assert ids(site="rua b") == [ups.pk]
    assert ids(has_open_orders="true") == [printer.pk]
    assert ids(has_open_orders="false") == [ups.pk, notebook.pk]
    assert ids(search="0xyz") == [notebook.pk]
    assert ids(search="dell") == [notebook.pk]
    assert ids(ordering="-kind") == [ups.pk, printer.pk, notebook.pk]
    assert ids(company=tenant.company.pk) == [printer.pk, ups.pk, notebook.pk]


@pytest.mark.parametrize(
    "params",
    [{"kind": "scanner"}, {"status": ""}, {"has_open_orders": "maybe"}, {"ordering": "notes"}],
)
def test_a_bad_filter_is_a_400(client_for, tenant, params):
    response = client_for(tenant.requester).get(URL, params)

    assert response.status_code == 400
    assert set(response.json()["errors"]) == set(params)


# --- edit, status, delete ---------------------------------------------------------------------


def test_an_agent_edits_an_item(client_for, tenant, item):
    response = client_for(tenant.agent).patch(
        f"{URL}/{item.pk}", {"room": "301", "notes": "Moved."}
    )

    item.refresh_from_db()
    assert response.status_code == 200
    assert response.json() == _row(item)
    assert (item.room, item.notes) == ("301", "Moved.")


def test_an_edit_may_not_take_another_items_serial_number(client_for, tenant, item):
    other = EquipmentFactory(company=tenant.company)

    response = client_for(tenant.admin).patch(
        f"{URL}/{other.pk}", {"serial_number": item.serial_number.lower(), "room": "9"}
    )

    other.refresh_from_db()
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"serial_number"}
    assert other.room == "204"


def test_the_status_is_changed_only_by_its_action(client_for, tenant, item):
    client = client_for(tenant.agent)

    refused = client.patch(f"{URL}/{item.pk}", {"status": "retired"})
    repaired = client.post(f"{URL}/{item.pk}/status", {"status": "in_repair"})

    item.refresh_from_db()
    assert refused.status_code == 400
    assert "status" in refused.json()["errors"]["status"][0]
    assert repaired.status_code == 200
    assert repaired.json() == _row(item)
    assert item.status == Equipment.Status.IN_REPAIR


def test_an_item_with_open_orders_is_not_retired(client_for, tenant, item):
    order = OrderFactory(company=tenant.company, equipment_item=item)
    client = client_for(tenant.admin)

    refused = client.post(f"{URL}/{item.pk}/status", {"status": "retired"})
    Order.objects.filter(pk=order.pk).update(
        status="closed", solution="done", assignee=tenant.agent
    )
    retired = client.post(f"{URL}/{item.pk}/status", {"status": "retired"})

    assert refused.status_code == 409
    assert refused.json() == {
        "detail": "Close the orders of this equipment before retiring it.",
        "code": "equipment_has_open_orders",
    }
    assert retired.status_code == 200
    item.refresh_from_db()
    assert item.status == Equipment.Status.RETIRED


def test_an_item_without_orders_is_deleted_one_with_orders_is_kept(client_for, tenant, item):
    used = EquipmentFactory(company=tenant.company)
    OrderFactory(company=tenant.company, equipment_item=used)
    client = client_for(tenant.agent)

    deleted = client.delete(f"{URL}/{item.pk}")
    refused = client.delete(f"{URL}/{used.pk}")

    assert deleted.status_code == 204
    assert refused.status_code == 409
    assert refused.json()["code"] == "equipment_has_orders"
    assert list(Equipment.objects.all()) == [used]


# --- roles ------------------------------------------------------------------------------------

WRITES = [
    ("patch", "", {"room": "1"}),
    ("post", "/status", {"status": "in_repair"}),
    ("delete", "", None),
]


@pytest.mark.parametrize(("method", "suffix", "body"), WRITES)
def test_a_requester_reads_but_may_not_change(client_for, tenant, item, method, suffix, body):
    client = client_for(tenant.requester)
    before = list(Equipment.objects.values())

    response = getattr(client, method)(f"{URL}/{item.pk}{suffix}", body)

    assert client.get(f"{URL}/{item.pk}").status_code == 200
    assert response.status_code == 403
    assert list(Equipment.objects.values()) == before


@pytest.mark.parametrize(
    ("method", "suffix", "body"), [*WRITES, ("get", "", None), ("get", "/orders", None)]
)
def test_another_companys_item_is_a_404(client_for, tenant, other_tenant, method, suffix, body):
    theirs = EquipmentFactory(company=other_tenant.company)
    before = list(Equipment.objects.values())

    response = getattr(client_for(tenant.admin), method)(f"{URL}/{theirs.pk}{suffix}", body)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}
    assert list(Equipment.objects.values()) == before


def test_an_agent_of_two_companies_manages_both(client_for, tenant, other_tenant):
    MembershipFactory(company=other_tenant.company, user=tenant.agent, role=Membership.Role.AGENT)
    theirs = EquipmentFactory(company=other_tenant.company)

    response = client_for(tenant.agent).patch(f"{URL}/{theirs.pk}", {"room": "12"})

    assert response.status_code == 200


@pytest.mark.parametrize("body", [{"status": "broken"}, {}, {"status": "retired", "room": "1"}])
def test_a_bad_status_body_is_a_400_and_changes_nothing(client_for, tenant, item, body):
    response = client_for(tenant.agent).post(f"{URL}/{item.pk}/status", body)

    item.refresh_from_db()
    assert response.status_code == 400
    assert item.status == Equipment.Status.IN_USE
