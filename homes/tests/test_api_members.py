import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.tests.factories import UserFactory
from homes.models import HomeInvitation, HomeMember, Routine, Task
from homes.tests.factories import HomeMemberFactory, RoutineFactory, TaskFactory

pytestmark = pytest.mark.django_db


def members_url(home) -> str:
    return f"/api/v1/homes/{home.pk}/members"


def test_members_list(client_for, house):
    response = client_for(house.resident).get(members_url(house.home))

    assert response.status_code == 200
    assert [(m["name"], m["role"], m["points"]) for m in response.json()["results"]] == [
        ("Ana Admin", "admin", 0),
        ("Rui Resident", "resident", 0),
        ("Olga Other", "resident", 0),
    ]


def test_members_list_fixed_queries(client_for, house, django_assert_max_num_queries):
    for _ in range(30):
        HomeMemberFactory(home=house.home)

    with django_assert_max_num_queries(6):
        response = client_for(house.admin).get(members_url(house.home), {"page_size": 100})

    assert response.json()["count"] == 33


def test_inviting_an_existing_account_adds_it_and_mails_it(
    client_for, house, django_capture_on_commit_callbacks
):
    newcomer = UserFactory(email="nina@example.com", name="Nina")

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(house.admin).post(
            members_url(house.home), {"email": "NINA@example.com", "role": "resident"}
        )

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "joined"
    assert body["invitation"] is None
    assert body["member"] == {
        "user": newcomer.pk,
        "name": "Nina",
        "email": "nina@example.com",
        "photo": None,
        "role": "resident",
        "points": 0,
        "joined_at": body["member"]["joined_at"],
    }
    assert HomeMember.objects.filter(home=house.home, user=newcomer).exists()
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["nina@example.com"], "You now live in Casa Azul on Mutirão")
    ]


def test_inviting_someone_already_living_here_is_409(client_for, house):
    response = client_for(house.admin).post(
        members_url(house.home), {"email": house.resident.email}
    )

    assert response.status_code == 409
    assert response.json()["code"] == "already_member"


def test_unknown_email_gets_invitation_that_they_accept_after_registering(
    client_for, api_client, house, password, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(house.admin).post(
            members_url(house.home), {"email": "Zoe@Example.com", "role": "admin"}
        )

    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["member"]) == ("invited", None)
    assert (body["invitation"]["email"], body["invitation"]["role"]) == ("zoe@example.com", "admin")
    assert [m.to for m in mail.outbox] == [["zoe@example.com"]]
    token = re.search(r"invitations/([\w-]+)/", mail.outbox[0].body).group(1)
    assert HomeInvitation.objects.get().token_hash != token

    register = api_client.post(
        "/api/v1/auth/register", {"email": "zoe@example.com", "password": password, "name": "Zoe"}
    )
    zoe_id = register.json()["id"]
    from accounts.models import User

    zoe = User.objects.get(pk=zoe_id)
    accepted = client_for(zoe).post(f"/api/v1/homes/invitations/{token}/accept")

    assert accepted.status_code == 201
    assert accepted.json()["role"] == "admin"
    assert HomeMember.objects.get(home=house.home, user=zoe).role == "admin"
    assert HomeInvitation.objects.get().accepted_at is not None
    # A used token is spent.
    assert client_for(zoe).post(f"/api/v1/homes/invitations/{token}/accept").status_code == 404


def test_invitation_for_someone_else_or_expired_is_404(
    client_for, house, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(house.admin).post(members_url(house.home), {"email": "zoe@example.com"})
    token = re.search(r"invitations/([\w-]+)/", mail.outbox[0].body).group(1)

    assert (
        client_for(house.stranger).post(f"/api/v1/homes/invitations/{token}/accept").status_code
        == 404
    )
    zoe = UserFactory(email="zoe@example.com")
    HomeInvitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client_for(zoe).post(f"/api/v1/homes/invitations/{token}/accept").status_code == 404
    assert not HomeMember.objects.filter(user=zoe).exists()


def test_inviting_again_renews_the_one_pending_invitation(
    client_for, house, django_capture_on_commit_callbacks
):
    client = client_for(house.admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(members_url(house.home), {"email": "zoe@example.com"})
        client.post(members_url(house.home), {"email": "zoe@example.com"})

    assert HomeInvitation.objects.count() == 1
    assert len(mail.outbox) == 2


@pytest.mark.parametrize(
    "payload", [{"email": "not-an-email"}, {"email": "a@b.co", "role": "king"}]
)
def test_invite_bad_input_is_400(client_for, house, payload):
    response = client_for(house.admin).post(members_url(house.home), payload)

    assert response.status_code == 400
    assert not HomeInvitation.objects.exists()


def test_resident_cannot_invite_and_stranger_gets_404(client_for, house):
    payload = {"email": "x@example.com"}

    assert client_for(house.resident).post(members_url(house.home), payload).status_code == 403
    assert client_for(house.stranger).post(members_url(house.home), payload).status_code == 404
    assert client_for(house.stranger).get(members_url(house.home)).status_code == 404


def test_admin_changes_role_but_not_of_the_last_admin(client_for, house):
    client = client_for(house.admin)

    promoted = client.patch(f"{members_url(house.home)}/{house.resident.pk}", {"role": "admin"})
    assert promoted.status_code == 200
    assert promoted.json()["role"] == "admin"

    client.patch(f"{members_url(house.home)}/{house.resident.pk}", {"role": "resident"})
    last = client.patch(f"{members_url(house.home)}/{house.admin.pk}", {"role": "resident"})
    assert last.status_code == 409
    assert last.json()["code"] == "last_admin"
    assert HomeMember.objects.get(user=house.admin, home=house.home).role == "admin"


def test_resident_cannot_change_roles(client_for, house):
    response = client_for(house.resident).patch(
        f"{members_url(house.home)}/{house.resident.pk}", {"role": "admin"}
    )

    assert response.status_code == 403
    assert HomeMember.objects.get(user=house.resident, home=house.home).role == "resident"


def test_admin_removes_member_whose_tasks_become_unassigned(client_for, house):
    task = TaskFactory(home=house.home, assignee=house.resident)
    routine = RoutineFactory(
        home=house.home, assignment=Routine.Assignment.ROTATION, responsible=house.resident
    )
    routine.rotation_members.set([house.resident, house.other_resident])

    response = client_for(house.admin).delete(f"{members_url(house.home)}/{house.resident.pk}")

    assert response.status_code == 204
    assert not HomeMember.objects.filter(home=house.home, user=house.resident).exists()
    assert Task.objects.get(pk=task.pk).assignee is None
    routine.refresh_from_db()
    assert routine.responsible is None
    assert list(routine.rotation_members.all()) == [house.other_resident]


def test_resident_may_leave_but_not_remove_others(client_for, house):
    client = client_for(house.resident)

    assert client.delete(f"{members_url(house.home)}/{house.other_resident.pk}").status_code == 403
    assert client.delete(f"{members_url(house.home)}/{house.resident.pk}").status_code == 204
    assert client.get(f"/api/v1/homes/{house.home.pk}").status_code == 404


def test_last_admin_cannot_leave_while_others_live_there(client_for, house):
    response = client_for(house.admin).delete(f"{members_url(house.home)}/{house.admin.pk}")

    assert response.status_code == 409
    assert HomeMember.objects.filter(home=house.home).count() == 3


def test_leaderboard_ranks_by_points_in_a_period(client_for, house):
    now = timezone.now()
    for user, points, days_ago in [
        (house.resident, 10, 1),
        (house.resident, 5, 40),
        (house.other_resident, 7, 2),
        (house.admin, 50, 60),
    ]:
        TaskFactory(
            home=house.home,
            assignee=user,
            points=points,
            status=Task.Status.DONE,
            completed_at=now - timedelta(days=days_ago),
            points_awarded_to=user,
        )
        HomeMember.objects.filter(home=house.home, user=user).update(
            points=HomeMember.objects.get(home=house.home, user=user).points + points
        )
    url = f"/api/v1/homes/{house.home.pk}/leaderboard"
    client = client_for(house.resident)

    month = client.get(url, {"since": (now - timedelta(days=30)).isoformat()}).json()["results"]
    ever = client.get(url).json()["results"]

    assert [(e["rank"], e["name"], e["period_points"]) for e in month] == [
        (1, "Rui Resident", 10),
        (2, "Olga Other", 7),
        (3, "Ana Admin", 0),
    ]
    assert [(e["rank"], e["name"], e["period_points"]) for e in ever] == [
        (1, "Ana Admin", 50),
        (2, "Rui Resident", 15),
        (3, "Olga Other", 7),
    ]
    assert client_for(house.stranger).get(url).status_code == 404


def test_leaderboard_fixed_queries(client_for, house, django_assert_max_num_queries):
    for _ in range(30):
        member = HomeMemberFactory(home=house.home)
        TaskFactory(
            home=house.home,
            status=Task.Status.DONE,
            completed_at=timezone.now(),
            points_awarded_to=member.user,
        )

    with django_assert_max_num_queries(6):
        response = client_for(house.admin).get(
            f"/api/v1/homes/{house.home.pk}/leaderboard",
            {"page_size": 100, "since": "2020-01-01T00:00:00Z"},
        )

    assert response.json()["count"] == 33
    assert response.json()["results"][0]["period_points"] == 5


def test_members_see_their_housemates_photos(client_for, house, settings, tmp_path):
    from django.core.files.base import ContentFile

    settings.MEDIA_ROOT = tmp_path
    house.resident.photo.save("me.png", ContentFile(b"png"), save=True)

    response = client_for(house.other_resident).get(members_url(house.home))

    by_name = {m["name"]: m for m in response.json()["results"]}
    photo = by_name["Rui Resident"]["photo"]
    assert photo.startswith("http://testserver/media/users/photos/") and photo.endswith(".png")
    assert by_name["Olga Other"]["photo"] is None
    assert (by_name["Rui Resident"]["points"], by_name["Ana Admin"]["role"]) == (0, "admin")
