from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import User
from core.fields import AbsoluteImageField, IdListField, MoneyField, PhotoField, TimeZoneField
from core.serializers import InputSerializer
from homes.models import (
    Bill,
    Home,
    HomeInvitation,
    HomeMember,
    Routine,
    Rule,
    Task,
    TaskComment,
)


class HomeResidentField(serializers.PrimaryKeyRelatedField):
    """A user id that must belong to someone living in the serializer's `home` (context).
    Anyone else, existing or not, gets the same "invalid" answer."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", User.objects.all())
        super().__init__(**kwargs)

    def get_queryset(self):
        return User.objects.filter(home_memberships__home=self.context["home"])


# --- Homes -----------------------------------------------------------------------------------


class HomeSerializer(serializers.ModelSerializer):
    my_role = serializers.CharField(
        read_only=True, allow_null=True, help_text=_("Your role in this home (null for staff).")
    )

    class Meta:
        model = Home
        fields = [
            "id",
            "name",
            "address",
            "rent",
            "photo",
            "time_zone",
            "tasks_need_review",
            "created_by",
            "my_role",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class HomeWriteSerializer(InputSerializer):
    elsewhere = {"photo": _("upload it with PUT /api/v1/homes/{id}/photo (multipart).")}

    name = serializers.CharField(max_length=120)
    address = serializers.CharField(max_length=255, required=False, allow_blank=True)
    rent = MoneyField(max_digits=12, decimal_places=2, min_value=Decimal("0"), required=False)
    time_zone = TimeZoneField(required=False)
    tasks_need_review = serializers.BooleanField(
        required=False,
        help_text=_("Tasks residents complete wait for an admin's approval before points."),
    )


class HomePhotoSerializer(InputSerializer):
    """The home's photo, uploaded as multipart/form-data."""

    photo = PhotoField()


# --- Members ---------------------------------------------------------------------------------


class MemberSerializer(serializers.ModelSerializer):
    user = serializers.IntegerField(source="user_id", read_only=True)
    name = serializers.CharField(source="user.name", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    photo = AbsoluteImageField(source="user.photo", help_text=_("Absolute URL, or null."))
    joined_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = HomeMember
        fields = ["user", "name", "email", "photo", "role", "points", "joined_at"]
        read_only_fields = fields


class LeaderboardEntrySerializer(MemberSerializer):
    rank = serializers.IntegerField(read_only=True)
    period_points = serializers.IntegerField(
        read_only=True, help_text=_("Points earned in the chosen period.")
    )

    class Meta(MemberSerializer.Meta):
        fields = ["rank", "user", "name", "role", "period_points", "points"]
        read_only_fields = fields


class InviteSerializer(InputSerializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(
        choices=HomeMember.Role.choices, default=HomeMember.Role.RESIDENT
    )


class MemberUpdateSerializer(InputSerializer):
    elsewhere = {"points": _("points are earned by completing tasks.")}

    role = serializers.ChoiceField(choices=HomeMember.Role.choices)


class InvitationSerializer(serializers.ModelSerializer):
    class Meta:
        model = HomeInvitation
        fields = ["id", "home", "email", "role", "expires_at", "created_at"]
        read_only_fields = fields


class InviteResultSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[("joined", _("joined")), ("invited", _("invited"))],
        help_text=_("joined: an existing account was added; invited: an e-mail was sent."),
    )
    member = MemberSerializer(allow_null=True)
    invitation = InvitationSerializer(allow_null=True)


# --- Rules -----------------------------------------------------------------------------------


class RuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Rule
        fields = ["id", "home", "text", "created_by", "created_at", "updated_at"]
        read_only_fields = fields


class RuleWriteSerializer(InputSerializer):
    text = serializers.CharField(max_length=2000)


# --- Routines --------------------------------------------------------------------------------


class RoutineSerializer(serializers.ModelSerializer):
    weekdays = serializers.ListField(child=serializers.IntegerField(), read_only=True)
    rotation_members = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Routine
        fields = [
            "id",
            "home",
            "name",
            "description",
            "weekdays",
            "time_limit",
            "assignment",
            "responsible",
            "rotation_members",
            "points",
            "penalty_amount",
            "valid_from",
            "valid_until",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class RoutineWriteSerializer(InputSerializer):
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        min_length=1,
        max_length=7,
        help_text=_("0 = Monday … 6 = Sunday"),
    )
    time_limit = serializers.TimeField(help_text=_("Local time in the home's time zone."))
    assignment = serializers.ChoiceField(
        choices=Routine.Assignment.choices, default=Routine.Assignment.FIXED
    )
    responsible = HomeResidentField(required=False, allow_null=True)
    rotation_members = IdListField(child_relation=HomeResidentField(), required=False)
    points = serializers.IntegerField(min_value=0, max_value=1000, required=False)
    penalty_amount = MoneyField(
        max_digits=10, decimal_places=2, min_value=Decimal("0.01"), required=False, allow_null=True
    )
    valid_from = serializers.DateField(required=False)
    valid_until = serializers.DateField(required=False, allow_null=True)

    def validate_weekdays(self, value: list[int]) -> list[int]:
        return sorted(set(value))


# --- Tasks -----------------------------------------------------------------------------------


class TaskSerializer(serializers.ModelSerializer):
    assignee_name = serializers.CharField(
        source="assignee.name", read_only=True, default=None, allow_null=True
    )
    home_name = serializers.CharField(source="home.name", read_only=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "home",
            "home_name",
            "title",
            "description",
            "assignee",
            "assignee_name",
            "due_at",
            "points",
            "status",
            "routine",
            "occurrence_date",
            "completed_at",
            "completed_by",
            "points_awarded_to",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


TASK_STATUS_ELSEWHERE = _(
    "complete it with POST /api/v1/tasks/{id}/complete; admins review it with "
    "POST /api/v1/tasks/{id}/approve or /send-back."
)


class TaskWriteSerializer(InputSerializer):
    elsewhere = {
        "status": TASK_STATUS_ELSEWHERE,
        "completed_at": TASK_STATUS_ELSEWHERE,
        "completed_by": TASK_STATUS_ELSEWHERE,
        "points_awarded_to": TASK_STATUS_ELSEWHERE,
    }

    title = serializers.CharField(max_length=160)
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    assignee = HomeResidentField(required=False, allow_null=True)
    due_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text=_("Optional: null for no deadline.")
    )
    points = serializers.IntegerField(min_value=0, max_value=1000, required=False)


class TaskSendBackSerializer(InputSerializer):
    note = serializers.CharField(max_length=2000, help_text=_("What is left to do."))


class TaskCommentSerializer(serializers.ModelSerializer):
    author_name = serializers.CharField(
        source="author.name", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = TaskComment
        fields = ["id", "task", "author", "author_name", "kind", "body", "created_at"]
        read_only_fields = fields


class TaskCommentWriteSerializer(InputSerializer):
    body = serializers.CharField(max_length=2000)


# --- Bills -----------------------------------------------------------------------------------


class BillSerializer(serializers.ModelSerializer):
    debtor_name = serializers.CharField(source="debtor.name", read_only=True)
    creditor_name = serializers.CharField(source="creditor.name", read_only=True)
    home_name = serializers.CharField(source="home.name", read_only=True)
    status = serializers.ChoiceField(
        choices=Bill.Status.choices,
        read_only=True,
        help_text=_("payment_reported: the debtor says they paid; the creditor confirms."),
    )

    class Meta:
        model = Bill
        fields = [
            "id",
            "home",
            "home_name",
            "debtor",
            "debtor_name",
            "creditor",
            "creditor_name",
            "amount",
            "description",
            "due_date",
            "status",
            "is_paid",
            "paid_at",
            "payment_reported_at",
            "penalty_task",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


BILL_PAYMENT_ELSEWHERE = _(
    "the debtor reports a payment with POST /api/v1/bills/{id}/report-payment; the creditor "
    "confirms it with POST /api/v1/bills/{id}/confirm-payment or marks it paid with "
    "POST /api/v1/bills/{id}/pay."
)
BILL_ELSEWHERE = {
    "is_paid": BILL_PAYMENT_ELSEWHERE,
    "paid_at": BILL_PAYMENT_ELSEWHERE,
    "status": BILL_PAYMENT_ELSEWHERE,
    "payment_reported_at": BILL_PAYMENT_ELSEWHERE,
}


class BillCreateSerializer(InputSerializer):
    elsewhere = BILL_ELSEWHERE

    debtor = HomeResidentField()
    creditor = HomeResidentField()
    amount = MoneyField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    description = serializers.CharField(max_length=255)
    due_date = serializers.DateField(required=False, allow_null=True)


class BillUpdateSerializer(InputSerializer):
    elsewhere = BILL_ELSEWHERE

    amount = MoneyField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"), required=False)
    description = serializers.CharField(max_length=255, required=False)
    due_date = serializers.DateField(required=False, allow_null=True)


# --- Balances --------------------------------------------------------------------------------


class BalanceMemberSerializer(serializers.Serializer):
    user = serializers.IntegerField()
    name = serializers.CharField()
    net = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        help_text=_("Positive: is owed this much; negative: owes it."),
    )


class TransferSerializer(serializers.Serializer):
    debtor = serializers.IntegerField()
    debtor_name = serializers.CharField()
    creditor = serializers.IntegerField()
    creditor_name = serializers.CharField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)


class BalancesSerializer(serializers.Serializer):
    members = BalanceMemberSerializer(many=True)
    transfers = TransferSerializer(many=True)
