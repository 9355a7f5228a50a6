from celery import shared_task

from homes.services import schedule


@shared_task(acks_late=True)
def homes_materialize_routines() -> int:
    """Create today's routine tasks in every home (idempotent: a unique constraint)."""
    return schedule.routine_materialize()


@shared_task(acks_late=True)
def homes_mark_overdue_tasks() -> int:
    """Mark late tasks overdue and bill each routine penalty once; returns tasks marked."""
    overdue, _penalties = schedule.tasks_mark_overdue()
    return overdue


@shared_task(acks_late=True)
def homes_send_reminders() -> int:
    """Remind assignees of tasks due soon and debtors of overdue bills, once each."""
    return schedule.tasks_remind_due_soon() + schedule.bills_remind_overdue()
