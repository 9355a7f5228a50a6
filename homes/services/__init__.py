"""Every change to homes, members, rules, routines, tasks and bills. Views call these;
each module holds one part of the household."""

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
    "Transfer",
    "bill_confirm_payment",
    "bill_create",
    "bill_delete",
    "bill_mark_unpaid",
    "bill_pay",
    "bill_reject_payment",
    "bill_report_payment",
    "bill_update",
    "home_create",
    "home_delete",
    "home_update",
    "invitation_accept",
    "member_change_role",
    "member_invite",
    "member_remove",
    "routine_create",
    "routine_delete",
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
]
