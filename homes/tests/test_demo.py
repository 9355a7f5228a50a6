from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from freezegun import freeze_time

from homes.demo import DEMO_HOME, create_demo_data
from homes.models import Bill, Home, Routine, Task
from homes.services import home_schedule_run

pytestmark = pytest.mark.django_db


def test_demo_data_is_idempotent():
    logins = create_demo_data()
    create_demo_data()

    assert [login.email for login in logins] == [
        "home@mutirao.demo",
        "bia@mutirao.demo",
        "caio@mutirao.demo",
    ]
    home = Home.objects.get(name=DEMO_HOME)
    assert home.members.count() == 3
    assert Routine.objects.filter(home=home).count() == 2
    assert Bill.objects.filter(home=home).count() == 2


def test_seed_demo_loads_homes():
    call_command("seed_demo")

    assert Home.objects.filter(name=DEMO_HOME).exists()


def test_one_week_of_demo_tasks(capsys):
    # Monday 2026-06-01, 06:00 in São Paulo.
    start = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    with freeze_time(start):
        create_demo_data()
    home = Home.objects.get(name=DEMO_HOME)
    for day in range(7):
        with freeze_time(start + timedelta(days=day)):
            home_schedule_run()

    tasks = Task.objects.filter(home=home, routine__isnull=False).order_by("due_at", "title")
    lines = [
        f"{task.due_at.astimezone(home.zone):%a %Y-%m-%d %H:%M} {task.title:<14} "
        f"{task.assignee.name}"
        for task in tasks
    ]
    print("\n".join(lines))
    assert len(lines) == 7 + 2  # dishes daily, trash on Monday and Thursday
    dishes = [task.assignee.name for task in tasks if task.title == "Lavar a louça"]
    assert len(set(dishes[:3])) == 3
    assert dishes == [dishes[i % 3] for i in range(7)]
