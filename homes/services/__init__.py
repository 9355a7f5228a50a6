"""Every change to homes, members, rules, routines, tasks and bills. Views call these;
each module holds one part of the household, and `schedule` the work beat runs."""

from homes.services.bills import (
    Transfer,
    bill_confirm_payment,
    bill_create,
    bill_delete,
    bill_mark_unpaid,
    bill_pay,
    bill_reject_payment,
    bill_report_payment,
    bill_update,
    settle,
)
from homes.services.homes import (
    home_create,
    home_delete,
    home_update,
)
from homes.services.members import (
    InviteResult,
    invitation_accept,
    member_change_role,
    member_invite,
    member_remove,
)
from homes.services.routines import (
    routine_create,
    routine_delete,
    routine_update,
)
from homes.services.rules import (
    rule_create,
    rule_delete,
    rule_update,
)
from homes.services.schedule import (
    ScheduleSummary,
    bills_remind_overdue,
    home_schedule_run,
    routine_materialize,
    tasks_mark_overdue,
    tasks_remind_due_soon,
)
from homes.services.tasks import (
    task_approve,
    task_comment_create,
    task_complete,
    task_create,
    task_delete,
    task_send_back,
    task_update,
)

__all__ = [
    "InviteResult",
    "ScheduleSummary",
    "Transfer",
    "bill_confirm_payment",
    "bill_create",
    "bill_delete",
    "bill_mark_unpaid",
    "bill_pay",
    "bill_reject_payment",
    "bill_report_payment",
    "bill_update",
    "bills_remind_overdue",
    "home_create",
    "home_delete",
    "home_schedule_run",
    "home_update",
    "invitation_accept",
    "member_change_role",
    "member_invite",
    "member_remove",
    "routine_create",
    "routine_delete",
    "routine_materialize",
    "routine_update",
    "rule_create",
    "rule_delete",
    "rule_update",
    "settle",
    "task_approve",
    "task_comment_create",
    "task_complete",
    "task_create",
    "task_delete",
    "task_send_back",
    "task_update",
    "tasks_mark_overdue",
    "tasks_remind_due_soon",
]
