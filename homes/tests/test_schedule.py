from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from freezegun import freeze_time

from homes.models import Bill, HomeMember, Routine, Task
from homes.services import home_schedule_run, routine_materialize
from homes.services.schedule import occurrences_between
from homes.tests.factories import BillFactory, HomeFactory, HomeMemberFactory, RoutineFactory

pytestmark = pytest.mark.django_db


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def run_at(moment: datetime):
    with freeze_time(moment):
        return home_schedule_run()


def home_in(zone: str):
    admin = HomeMemberFactory(home=HomeFactory(time_zone=zone), role=HomeMember.Role.ADMIN)
    return admin.home, admin.user


def test_running_twice_creates_nothing_twice(house):
    RoutineFactory(home=house.home, responsible=house.resident, time_limit=time(20, 0))

    first = run_at(utc(2026, 5, 4, 12, 0))
    second = run_at(utc(2026, 5, 4, 12, 5))

    assert (first.tasks_created, second.tasks_created) == (1, 0)
    task = Task.objects.get()
    assert (task.occurrence_date, task.due_at, task.assignee) == (
        date(2026, 5, 4),
        utc(2026, 5, 4, 23, 0),  # 20:00 in São Paulo (UTC-3)
        house.resident,
    )


def test_unique_constraint_not_a_check_decides(house):
    routine = RoutineFactory(home=house.home, responsible=house.resident)
    Task.objects.create(
        home=house.home,
        title="x",
        routine=routine,
        occurrence_date=date(2026, 5, 4),
        due_at=utc(2026, 5, 4, 23, 0),
    )
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.create(
            home=house.home,
            title="y",
            routine=routine,
            occurrence_date=date(2026, 5, 4),
            due_at=utc(2026, 5, 4, 23, 0),
        )


@pytest.mark.parametrize(
    ("run", "expected_due"),
    [
        (utc(2026, 3, 7, 11, 0), utc(2026, 3, 7, 14, 0)),  # EST, UTC-5
        (utc(2026, 3, 8, 10, 0), utc(2026, 3, 8, 13, 0)),  # spring forward: EDT, UTC-4
        (utc(2026, 10, 31, 10, 0), utc(2026, 10, 31, 13, 0)),  # still EDT
        (utc(2026, 11, 1, 11, 0), utc(2026, 11, 1, 14, 0)),  # fall back: EST again
    ],
)
def test_new_york_time_limit_stays_at_nine_across_dst(run, expected_due):
    home, admin = home_in("America/New_York")
    RoutineFactory(home=home, responsible=admin, time_limit=time(9, 0), created_by=admin)

    run_at(run)

    assert list(Task.objects.values_list("due_at", flat=True)) == [expected_due]


def test_wall_time_inside_the_spring_gap_moves_past_it():
    home, admin = home_in("America/New_York")
    RoutineFactory(home=home, responsible=admin, time_limit=time(2, 30), created_by=admin)

    run_at(utc(2026, 3, 8, 5, 0))  # 00:00 EST

    # 02:30 does not exist on 2026-03-08; the task is due at 03:30 EDT.
    assert Task.objects.get().due_at == utc(2026, 3, 8, 7, 30)


def test_ambiguous_fall_back_time_is_its_first_occurrence():
    home, admin = home_in("America/New_York")
    RoutineFactory(home=home, responsible=admin, time_limit=time(1, 30), created_by=admin)

    run_at(utc(2026, 11, 1, 4, 30))  # 00:30 EDT

    assert Task.objects.get().due_at == utc(2026, 11, 1, 5, 30)  # 01:30 EDT


@pytest.mark.parametrize(
    ("run", "local_day", "expected_due"),
    [
        (utc(2026, 4, 3, 19, 0), date(2026, 4, 4), utc(2026, 4, 3, 21, 0)),  # AEDT, UTC+11
        (utc(2026, 4, 4, 20, 0), date(2026, 4, 5), utc(2026, 4, 4, 22, 0)),  # DST ended: UTC+10
        (utc(2026, 10, 3, 20, 0), date(2026, 10, 4), utc(2026, 10, 3, 21, 0)),  # DST began
    ],
)
def test_southern_hemisphere_dst(run, local_day, expected_due):
    home, admin = home_in("Australia/Sydney")
    RoutineFactory(home=home, responsible=admin, time_limit=time(8, 0), created_by=admin)

    run_at(run)

    task = Task.objects.get()
    assert (task.occurrence_date, task.due_at) == (local_day, expected_due)


def test_homes_in_different_zones_have_different_todays():
    sao_paulo, sp_admin = home_in("America/Sao_Paulo")
    tokyo, tokyo_admin = home_in("Asia/Tokyo")
    # 2026-06-10 02:00 UTC is Tuesday 23:00 in São Paulo and Wednesday 11:00 in Tokyo.
    RoutineFactory(
        home=sao_paulo,
        responsible=sp_admin,
        weekdays=[1],
        time_limit=time(23, 30),
        created_by=sp_admin,
    )
    RoutineFactory(
        home=sao_paulo,
        responsible=sp_admin,
        weekdays=[2],
        time_limit=time(20, 0),
        created_by=sp_admin,
    )
    RoutineFactory(
        home=tokyo,
        responsible=tokyo_admin,
        weekdays=[2],
        time_limit=time(20, 0),
        created_by=tokyo_admin,
    )

    run_at(utc(2026, 6, 10, 2, 0))

    assert sorted(Task.objects.values_list("home__time_zone", "occurrence_date", "due_at")) == [
        ("America/Sao_Paulo", date(2026, 6, 9), utc(2026, 6, 10, 2, 30)),
        ("Asia/Tokyo", date(2026, 6, 10), utc(2026, 6, 10, 11, 0)),
    ]


def test_rotation_is_fair_round_robin(house):
    routine = RoutineFactory(
        home=house.home,
        assignment=Routine.Assignment.ROTATION,
        weekdays=[0, 2, 4],  # Mon, Wed, Fri
        time_limit=time(21, 0),
        valid_from=date(2026, 6, 1),
    )
    people = [house.admin, house.resident, house.other_resident]
    routine.rotation_members.set(people)

    for day in range(28):
        run_at(utc(2026, 6, 1, 12, 0) + timedelta(days=day))

    order = list(Task.objects.order_by("due_at").values_list("assignee_id", flat=True))
    assert len(order) == 12
    ids = sorted(p.pk for p in people)
    assert order == ids * 4
    assert set(Counter(order).values()) == {4}


def test_occurrences_between_counts_weekdays():
    assert occurrences_between(date(2026, 6, 1), date(2026, 6, 15), [0, 2, 4]) == 6
    assert occurrences_between(date(2026, 6, 3), date(2026, 6, 6), [0, 2, 4]) == 2
    assert occurrences_between(date(2026, 6, 3), date(2026, 6, 3), [2]) == 0


def test_valid_range_and_weekdays_are_respected(house):
    RoutineFactory(
        home=house.home,
        responsible=house.resident,
        weekdays=[0],
        valid_from=date(2026, 6, 8),
        valid_until=date(2026, 6, 15),
    )

    for day in range(30):
        run_at(utc(2026, 6, 1, 12, 0) + timedelta(days=day))

    assert list(Task.objects.values_list("occurrence_date", flat=True)) == [
        date(2026, 6, 8),
        date(2026, 6, 15),
    ]


def test_occurrence_already_past_due_is_not_created(house):
    RoutineFactory(home=house.home, responsible=house.resident, time_limit=time(8, 0))

    summary = run_at(utc(2026, 5, 4, 12, 0))  # 09:00 in São Paulo

    assert summary.tasks_created == 0


def test_overdue_task_bills_its_penalty_once(house):
    RoutineFactory(
        home=house.home,
        responsible=house.resident,
        time_limit=time(20, 0),
        penalty_amount=Decimal("15.00"),
        created_by=house.admin,
    )
    run_at(utc(2026, 5, 4, 12, 0))

    late = run_at(utc(2026, 5, 4, 23, 1))
    again = run_at(utc(2026, 5, 4, 23, 30))

    assert (late.tasks_overdue, late.penalties_billed) == (1, 1)
    assert (again.tasks_overdue, again.penalties_billed) == (0, 0)
    task = Task.objects.get()
    assert task.status == Task.Status.OVERDUE
    bill = Bill.objects.get()
    assert (bill.debtor, bill.creditor, bill.amount, bill.penalty_task, bill.due_date) == (
        house.resident,
        house.admin,
        Decimal("15.00"),
        task,
        date(2026, 5, 11),
    )
    assert bill.description == f"Penalty: {task.title} (2026-05-04)"


def test_penalty_of_the_routine_author_goes_to_another_member(house):
    RoutineFactory(
        home=house.home,
        responsible=house.admin,
        time_limit=time(20, 0),
        penalty_amount=Decimal("5.00"),
        created_by=house.admin,
    )
    run_at(utc(2026, 5, 4, 12, 0))
    run_at(utc(2026, 5, 5, 0, 0))

    bill = Bill.objects.get()
    assert (bill.debtor, bill.creditor) == (house.admin, house.resident)


def test_task_done_in_time_has_no_penalty(client_for, house):
    RoutineFactory(
        home=house.home,
        responsible=house.resident,
        time_limit=time(20, 0),
        penalty_amount=Decimal("15.00"),
        points=7,
        weekdays=[0],
    )
    run_at(utc(2026, 5, 4, 12, 0))
    with freeze_time(utc(2026, 5, 4, 13, 0)):
        client_for(house.resident).post(f"/api/v1/tasks/{Task.objects.get().pk}/complete")

    summary = run_at(utc(2026, 5, 5, 12, 0))

    assert (summary.tasks_overdue, summary.penalties_billed) == (0, 0)
    assert Task.objects.get().status == Task.Status.DONE
    assert HomeMember.objects.get(home=house.home, user=house.resident).points == 7


def test_reminders_go_once(house, django_capture_on_commit_callbacks):
    RoutineFactory(home=house.home, responsible=house.resident, time_limit=time(20, 0))
    run_at(utc(2026, 5, 4, 12, 0))
    BillFactory(
        home=house.home,
        debtor=house.other_resident,
        creditor=house.admin,
        due_date=date(2026, 5, 3),
        description="Internet",
    )

    with django_capture_on_commit_callbacks(execute=True):
        first = run_at(utc(2026, 5, 4, 22, 0))  # 19:00 local, an hour before the limit
        second = run_at(utc(2026, 5, 4, 22, 10))

    assert (first.task_reminders, first.bill_reminders) == (1, 1)
    assert (second.task_reminders, second.bill_reminders) == (0, 0)
    assert sorted((m.to[0], m.subject) for m in mail.outbox) == sorted(
        [
            (house.resident.email, f'Reminder: "{Task.objects.get().title}" is due soon'),
            (house.other_resident.email, "Unpaid bill past its due date: Internet"),
        ]
    )
    assert (
        "2026-05-04 20:00 (America/Sao_Paulo)"
        in next(m for m in mail.outbox if m.to == [house.resident.email]).body
    )


def test_bill_due_today_in_the_homes_zone_is_not_yet_overdue(house):
    BillFactory(
        home=house.home, debtor=house.resident, creditor=house.admin, due_date=date(2026, 5, 4)
    )

    # 01:00 UTC on the 5th is still the 4th in São Paulo.
    assert run_at(utc(2026, 5, 5, 1, 0)).bill_reminders == 0
    assert run_at(utc(2026, 5, 5, 4, 0)).bill_reminders == 1


def test_management_command_runs_the_same_work(house, capsys):
    RoutineFactory(home=house.home, responsible=house.resident, time_limit=time(20, 0))

    with freeze_time(utc(2026, 5, 4, 12, 0)):
        call_command("run_home_schedule")
        call_command("run_home_schedule")

    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("tasks created: 1,")
    assert out[1].startswith("tasks created: 0,")
    assert Task.objects.count() == 1


def test_celery_tasks_call_the_scheduler(house):
    from homes import tasks

    RoutineFactory(
        home=house.home,
        responsible=house.resident,
        time_limit=time(20, 0),
        penalty_amount=Decimal("1.00"),
    )
    with freeze_time(utc(2026, 5, 4, 12, 0)):
        assert tasks.homes_materialize_routines.delay().get() == 1
    with freeze_time(utc(2026, 5, 5, 12, 0)):
        assert tasks.homes_mark_overdue_tasks.delay().get() == 1
        assert tasks.homes_send_reminders.delay().get() == 0
    assert routine_materialize() >= 0


def test_everyone_routine_gives_each_member_a_task_once(house):
    RoutineFactory(
        home=house.home,
        assignment=Routine.Assignment.EVERYONE,
        time_limit=time(20, 0),
        points=2,
        penalty_amount=Decimal("3.00"),
        created_by=house.admin,
    )

    first = run_at(utc(2026, 5, 4, 12, 0))
    again = run_at(utc(2026, 5, 4, 12, 5))
    newcomer = HomeMemberFactory(home=house.home).user
    later = run_at(utc(2026, 5, 4, 13, 0))
    next_day = run_at(utc(2026, 5, 5, 12, 0))

    assert (first.tasks_created, again.tasks_created, later.tasks_created) == (3, 0, 1)
    people = [house.admin, house.resident, house.other_resident, newcomer]
    assert sorted(
        Task.objects.filter(occurrence_date=date(2026, 5, 4)).values_list("assignee_id", flat=True)
    ) == sorted(p.pk for p in people)
    # each copy went overdue on its own, and each member got their own penalty
    assert next_day.tasks_created == 4
    assert next_day.penalties_billed == 4
    assert sorted(Bill.objects.values_list("debtor_id", flat=True)) == sorted(p.pk for p in people)


def test_reassigning_an_everyone_task_does_not_make_another(house):
    RoutineFactory(home=house.home, assignment=Routine.Assignment.EVERYONE, time_limit=time(20, 0))
    run_at(utc(2026, 5, 4, 12, 0))
    Task.objects.filter(assignee=house.resident).update(assignee=house.admin)

    assert run_at(utc(2026, 5, 4, 12, 30)).tasks_created == 0
    assert Task.objects.count() == 3


def test_penalty_bill_emails_its_debtor_once(house, django_capture_on_commit_callbacks):
    RoutineFactory(
        home=house.home,
        name="Trash",
        responsible=house.resident,
        time_limit=time(20, 0),
        penalty_amount=Decimal("15.00"),
        created_by=house.admin,
    )
    run_at(utc(2026, 5, 4, 12, 0))

    with django_capture_on_commit_callbacks(execute=True):
        run_at(utc(2026, 5, 4, 23, 1))
        run_at(utc(2026, 5, 4, 23, 30))

    penalty = [m for m in mail.outbox if m.subject.startswith("New penalty bill")]
    assert [(m.to, m.subject) for m in penalty] == [
        ([house.resident.email], "New penalty bill: Penalty: Trash (2026-05-04)")
    ]
    assert "15.00" in penalty[0].body and "Ana Admin" in penalty[0].body
    assert "2026-05-11" in penalty[0].body


def test_a_new_due_date_re_arms_the_bill_reminder(
    client_for, house, django_capture_on_commit_callbacks
):
    bill = BillFactory(
        home=house.home,
        debtor=house.resident,
        creditor=house.admin,
        due_date=date(2026, 5, 3),
        description="Internet",
    )
    with django_capture_on_commit_callbacks(execute=True):
        run_at(utc(2026, 5, 4, 12, 0))
        with freeze_time(utc(2026, 5, 4, 13, 0)):
            same = client_for(house.admin).patch(
                f"/api/v1/bills/{bill.pk}", {"due_date": "2026-05-03"}
            )
            moved = client_for(house.admin).patch(
                f"/api/v1/bills/{bill.pk}", {"due_date": "2026-05-06"}
            )
        before_new_date = run_at(utc(2026, 5, 5, 12, 0))
        after_new_date = run_at(utc(2026, 5, 7, 12, 0))
        rerun = run_at(utc(2026, 5, 7, 12, 10))

    assert same.status_code == moved.status_code == 200
    assert (
        before_new_date.bill_reminders,
        after_new_date.bill_reminders,
        rerun.bill_reminders,
    ) == (0, 1, 0)
    assert [m.to for m in mail.outbox] == [[house.resident.email]] * 2
    assert "2026-05-06" in mail.outbox[1].body


def test_moving_an_overdue_tasks_deadline_ahead_re_arms_its_reminder(
    client_for, house, django_capture_on_commit_callbacks
):
    RoutineFactory(
        home=house.home, responsible=house.resident, time_limit=time(20, 0), weekdays=[0]
    )
    run_at(utc(2026, 5, 4, 12, 0))
    task = Task.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        run_at(utc(2026, 5, 4, 22, 0))  # reminded
        run_at(utc(2026, 5, 4, 23, 5))  # overdue
        with freeze_time(utc(2026, 5, 5, 12, 0)):
            moved = client_for(house.admin).patch(
                f"/api/v1/tasks/{task.pk}", {"due_at": "2026-05-05T23:00:00Z"}
            )
        second = run_at(utc(2026, 5, 5, 22, 0))
        rerun = run_at(utc(2026, 5, 5, 22, 10))

    assert moved.json()["status"] == "pending"
    assert (second.task_reminders, rerun.task_reminders) == (1, 0)
    reminders = [m for m in mail.outbox if m.subject.startswith("Reminder")]
    assert [m.to for m in reminders] == [[house.resident.email]] * 2
    assert "2026-05-05 20:00 (America/Sao_Paulo)" in reminders[1].body
