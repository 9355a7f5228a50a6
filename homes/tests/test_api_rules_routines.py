import pytest

from homes.models import Routine, Rule
from homes.tests.factories import RoutineFactory, RuleFactory

pytestmark = pytest.mark.django_db


def test_admin_writes_rules_members_read_them(client_for, house):
    url = f"/api/v1/homes/{house.home.pk}/rules"

    created = client_for(house.admin).post(url, {"text": "Quiet after 22:00"})
    rule = Rule.objects.get()
    listed = client_for(house.resident).get(url)
    edited = client_for(house.admin).patch(
        f"/api/v1/rules/{rule.pk}", {"text": "Quiet after 23:00"}
    )

    assert created.status_code == 201
    assert created.json() == {
        "id": rule.pk,
        "home": house.home.pk,
        "text": "Quiet after 22:00",
        "created_by": house.admin.pk,
        "created_at": created.json()["created_at"],
        "updated_at": created.json()["updated_at"],
    }
    assert [r["text"] for r in listed.json()["results"]] == ["Quiet after 22:00"]
    assert edited.status_code == 200
    assert Rule.objects.get().text == "Quiet after 23:00"
    assert client_for(house.admin).delete(f"/api/v1/rules/{rule.pk}").status_code == 204
    assert not Rule.objects.exists()


def test_resident_changing_rules_is_403(client_for, house):
    rule = RuleFactory(home=house.home)
    client = client_for(house.resident)

    assert client.post(f"/api/v1/homes/{house.home.pk}/rules", {"text": "Mine"}).status_code == 403
    assert client.patch(f"/api/v1/rules/{rule.pk}", {"text": "Mine"}).status_code == 403
    assert client.delete(f"/api/v1/rules/{rule.pk}").status_code == 403
    assert client.get(f"/api/v1/rules/{rule.pk}").status_code == 200
    assert Rule.objects.get().text == rule.text


def test_another_homes_rules_are_404(client_for, house):
    rule = RuleFactory(home=house.home)
    client = client_for(house.stranger)

    assert client.get(f"/api/v1/homes/{house.home.pk}/rules").status_code == 404
    assert client.get(f"/api/v1/rules/{rule.pk}").status_code == 404
    assert client.patch(f"/api/v1/rules/{rule.pk}", {"text": "x"}).status_code == 404
    assert client.delete(f"/api/v1/rules/{rule.pk}").status_code == 404


def test_rules_list_fixed_queries(client_for, house, django_assert_max_num_queries):
    RuleFactory.create_batch(30, home=house.home)

    with django_assert_max_num_queries(6):
        response = client_for(house.resident).get(
            f"/api/v1/homes/{house.home.pk}/rules", {"page_size": 100, "search": "dishes"}
        )

    assert response.json()["count"] == 30


def test_admin_creates_rotation_routine(client_for, house):
    response = client_for(house.admin).post(
        f"/api/v1/homes/{house.home.pk}/routines",
        {
            "name": "Take out the trash",
            "weekdays": [4, 0, 2, 2],
            "time_limit": "21:00",
            "assignment": "rotation",
            "rotation_members": [house.resident.pk, house.other_resident.pk],
            "points": 3,
            "penalty_amount": "5.00",
            "valid_from": "01/03/2026",
            "valid_until": "2026-12-31",
        },
    )

    assert response.status_code == 201
    body = response.json()
    routine = Routine.objects.get()
    assert body == {
        "id": routine.pk,
        "home": house.home.pk,
        "name": "Take out the trash",
        "description": "",
        "weekdays": [0, 2, 4],
        "time_limit": "21:00:00",
        "assignment": "rotation",
        "responsible": None,
        "rotation_members": [house.resident.pk, house.other_resident.pk],
        "points": 3,
        "penalty_amount": "5.00",
        "valid_from": "2026-03-01",
        "valid_until": "2026-12-31",
        "created_by": house.admin.pk,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"weekdays": []}, "weekdays"),
        ({"weekdays": [7]}, "weekdays"),
        ({"time_limit": "25:00"}, "time_limit"),
        ({"responsible": None}, "responsible"),
        ({"penalty_amount": "0"}, "penalty_amount"),
        ({"valid_from": "2026-05-01", "valid_until": "2026-04-01"}, "valid_until"),
        ({"assignment": "rotation", "rotation_members": []}, "rotation_members"),
    ],
)
def test_routine_bad_input_is_400(client_for, house, change, field):
    payload = {
        "name": "Dishes",
        "weekdays": [0],
        "time_limit": "20:00",
        "responsible": house.resident.pk,
        **change,
    }

    response = client_for(house.admin).post(f"/api/v1/homes/{house.home.pk}/routines", payload)

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Routine.objects.exists()


def test_routine_responsible_from_another_home_is_400(client_for, house):
    payload = {
        "name": "Dishes",
        "weekdays": [0],
        "time_limit": "20:00",
        "responsible": house.stranger.pk,
    }

    response = client_for(house.admin).post(f"/api/v1/homes/{house.home.pk}/routines", payload)

    assert response.status_code == 400
    assert "responsible" in response.json()["errors"]


def test_routine_update_delete_and_permissions(client_for, house):
    routine = RoutineFactory(home=house.home, responsible=house.resident)
    url = f"/api/v1/routines/{routine.pk}"

    assert client_for(house.resident).patch(url, {"points": 99}).status_code == 403
    assert client_for(house.stranger).get(url).status_code == 404
    assert client_for(house.resident).get(url).status_code == 200
    response = client_for(house.admin).patch(
        url, {"points": 20, "responsible": house.other_resident.pk}
    )
    assert response.status_code == 200
    routine.refresh_from_db()
    assert (routine.points, routine.responsible) == (20, house.other_resident)
    assert client_for(house.admin).delete(url).status_code == 204
    assert not Routine.objects.exists()


def test_routines_list_fixed_queries(client_for, house, django_assert_max_num_queries):
    for _ in range(30):
        routine = RoutineFactory(home=house.home, assignment="rotation")
        routine.rotation_members.set([house.resident, house.admin])

    with django_assert_max_num_queries(7):
        response = client_for(house.resident).get(
            f"/api/v1/homes/{house.home.pk}/routines", {"page_size": 100}
        )

    assert response.json()["count"] == 30
    assert response.json()["results"][0]["rotation_members"] == [house.admin.pk, house.resident.pk]


def test_admin_creates_an_everyone_routine(client_for, house):
    response = client_for(house.admin).post(
        f"/api/v1/homes/{house.home.pk}/routines",
        {
            "name": "Tidy your room",
            "weekdays": [5],
            "time_limit": "12:00",
            "assignment": "everyone",
        },
    )

    assert response.status_code == 201
    assert (response.json()["assignment"], response.json()["responsible"]) == ("everyone", None)
    assert Routine.objects.get().assignment == Routine.Assignment.EVERYONE
