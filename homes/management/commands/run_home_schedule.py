from django.core.management.base import BaseCommand

from homes.services import home_schedule_run


class Command(BaseCommand):
    help = (
        "Run the homes scheduler once: create today's routine tasks, mark late tasks overdue "
        "(billing penalties), send reminders. Safe to run as often as you like, e.g. from "
        "cron every few minutes when no Celery beat runs."
    )

    def handle(self, *args, **options):
        summary = home_schedule_run()
        self.stdout.write(
            f"tasks created: {summary.tasks_created}, marked overdue: {summary.tasks_overdue}, "
            f"penalties billed: {summary.penalties_billed}, task reminders: "
            f"{summary.task_reminders}, bill reminders: {summary.bill_reminders}"
        )
