import unicodedata

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from accounts.models import User
from companies.models import Company, Team
from core.fields import StrictBooleanField
from core.rows import iso
from core.serializers import InputSerializer
from desk.api.stats import SatisfactionStatsSerializer
from desk.models import CannedReply
from equipment.api.serializers import EquipmentSummarySerializer
from equipment.models import Equipment
from fieldservice.expressions import time_spent_minutes
from fieldservice.selectors import order_time_spent
from orders.models import Attachment, Message, Order, OrderEvent
from sla import selectors as sla_selectors


class OrderPersonSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "name"]
        read_only_fields = fields


class CompanySummarySerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = Company
        fields = ["id", "name"]
        read_only_fields = fields


class TeamSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name"]
        read_only_fields = fields


# The columns of an order's SLA row, in `order_sla_body`'s order (a LEFT JOIN: None without).
SLA_COLUMNS = (
    "sla__respond_by",
    "sla__resolve_by",
    "sla__first_responded_at",
    "sla__resolved_at",
    "sla__paused_since",
)
SLA_CLOCK_STATES = [sla_selectors.MET, sla_selectors.BREACHED, sla_selectors.PENDING]


class OrderSlaSerializer(serializers.Serializer):
    """The order's service level: due times (moved by time spent waiting on the requester)
    and whether each was met, breached or is still pending."""

    respond_by = serializers.DateTimeField()
    resolve_by = serializers.DateTimeField()
    response = serializers.ChoiceField(choices=SLA_CLOCK_STATES)
    resolution = serializers.ChoiceField(choices=SLA_CLOCK_STATES)
    paused = serializers.BooleanField(help_text="Waiting on the requester: the clocks stand.")


def sla_row(values: tuple, zone) -> dict | None:
    """`sla` of a list row from the `sla__*` columns, as `OrderSlaSerializer` writes it."""
    body = sla_selectors.order_sla_body(*values)
    if body is None:
        return None
    return {
        **body,
        "respond_by": iso(body["respond_by"], zone),
        "resolve_by": iso(body["resolve_by"], zone),
    }


class _OrderBaseSerializer(serializers.ModelSerializer):
    company = CompanySummarySerializer(read_only=True)
    requester = OrderPersonSerializer(read_only=True)
    team = TeamSummarySerializer(read_only=True, allow_null=True)
    assignee = OrderPersonSerializer(read_only=True, allow_null=True)
    time_spent_minutes = serializers.SerializerMethodField()
    sla = serializers.SerializerMethodField(help_text="Null when its priority has no target.")

    class Meta:
        model = Order
        fields = [
            "id",
            "company",
            "requester",
            "team",
            "assignee",
            "equipment",
            "title",
            "status",
            "priority",
            "channel",
            "created_at",
            "updated_at",
            "taken_at",
            "closed_at",
            "time_spent_minutes",
            "sla",
        ]
        read_only_fields = fields

    def get_time_spent_minutes(self, order: Order) -> int:
        """The minutes logged on the order (fieldservice time entries)."""
        return order_time_spent(order)

    @extend_schema_field(OrderSlaSerializer(allow_null=True))
    def get_sla(self, order: Order) -> dict | None:
        body = sla_selectors.order_sla_of(order)
        return None if body is None else OrderSlaSerializer(body).data


class OrderListSerializer(_OrderBaseSerializer):
    """One row of a list, built from plain column values (`values_list(*COLUMNS)`).

    Same fields and shape as the generic ModelSerializer (a test compares the two), written
    out by hand: a list page builds 50 of these, and model instances plus DRF's
    field-by-field machinery cost several times the floor request on their own.
    The class stays a serializer for the API schema."""

    # The columns a list row needs, in the order `rows()` reads them.
    COLUMNS = (
        "id",
        "company_id",
        "company__trading_name",
        "company__legal_name",
        "requester_id",
        "requester__name",
        "team_id",
        "team__name",
        "assignee_id",
        "assignee__name",
        "equipment",
        "title",
        "status",
        "priority",
        "channel",
        "created_at",
        "updated_at",
        "taken_at",
        "closed_at",
        time_spent_minutes(),
        *SLA_COLUMNS,
    )

    class Meta(_OrderBaseSerializer.Meta):
        pass

    @staticmethod
    def rows(values) -> list[dict]:
        """List rows from tuples of `COLUMNS`, times in the current time zone."""
        zone = timezone.get_current_timezone()
        return [
            {
                "id": pk,
                "company": {"id": company_id, "name": trading_name or legal_name},
                "requester": {"id": requester_id, "name": requester_name},
                "team": None if team_id is None else {"id": team_id, "name": team_name},
                "assignee": (
                    None if assignee_id is None else {"id": assignee_id, "name": assignee_name}
                ),
                "equipment": equipment,
                "title": title,
                "status": status,
                "priority": priority,
                "channel": channel,
                "created_at": iso(created_at, zone),
                "updated_at": iso(updated_at, zone),
                "taken_at": iso(taken_at, zone),
                "closed_at": iso(closed_at, zone),
                "time_spent_minutes": time_spent,
                "sla": sla_row(sla, zone),
            }
            for (
                pk,
                company_id,
                trading_name,
                legal_name,
                requester_id,
                requester_name,
                team_id,
                team_name,
                assignee_id,
                assignee_name,
                equipment,
                title,
                status,
                priority,
                channel,
                created_at,
                updated_at,
                taken_at,
                closed_at,
                time_spent,
                *sla,
            ) in values
        ]


class OrderSerializer(_OrderBaseSerializer):
    equipment_item = EquipmentSummarySerializer(read_only=True, allow_null=True)

    class Meta(_OrderBaseSerializer.Meta):
        fields = [
            *_OrderBaseSerializer.Meta.fields,
            "description",
            "site_address",
            "solution",
            "previous_order",
            "equipment_item",
        ]
        read_only_fields = fields


# Where each field an order's body may not set is changed instead.
ORDER_ELSEWHERE = {
    "status": _(
        "change it with POST /api/v1/orders/{id}/take, /assign, /release, /close or /reopen."
    ),
    "assignee": _("change it with POST /api/v1/orders/{id}/assign (or /take, /release)."),
    "priority": _("change it with POST /api/v1/orders/{id}/priority."),
    "team": _("change it with POST /api/v1/orders/{id}/redirect."),
    "solution": _("set it with POST /api/v1/orders/{id}/close."),
}


class OrderCreateSerializer(InputSerializer):
    """The company and team must be ones the requester can see; status, assignee and
    solution are refused (400), with a pointer to the action that sets each."""

    elsewhere = ORDER_ELSEWHERE

    company = serializers.PrimaryKeyRelatedField(queryset=Company.objects.none())
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.none(), required=False, allow_null=True
    )
    equipment = serializers.ChoiceField(choices=Order.Equipment.choices)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    site_address = serializers.CharField(required=False, allow_blank=True, max_length=300)
    priority = serializers.ChoiceField(
        choices=Order.Priority.choices,
        required=False,
        help_text="Agents and admins only; defaults to medium.",
    )
    equipment_item = serializers.PrimaryKeyRelatedField(
        queryset=Equipment.objects.none(),
        required=False,
        allow_null=True,
        help_text="An item of the order's company's equipment (not retired).",
    )

    def __init__(self, *args, companies=None, teams=None, equipment_items=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only what the requester can see is accepted; any other id "does not exist".
        self.fields["company"].queryset = (
            companies if companies is not None else Company.objects.none()
        )
        self.fields["team"].queryset = teams if teams is not None else Team.objects.none()
        self.fields["equipment_item"].queryset = _items(equipment_items)


class OrderUpdateSerializer(InputSerializer):
    """What the order is about; status, assignee, priority, team and solution are refused
    (400), with a pointer to the action that changes each."""

    elsewhere = ORDER_ELSEWHERE

    equipment = serializers.ChoiceField(choices=Order.Equipment.choices, required=False)
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    site_address = serializers.CharField(required=False, allow_blank=True, max_length=300)
    equipment_item = serializers.PrimaryKeyRelatedField(
        queryset=Equipment.objects.none(),
        required=False,
        allow_null=True,
        help_text="An item of the order's company's equipment (not retired); null: none.",
    )

    def __init__(self, *args, equipment_items=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["equipment_item"].queryset = _items(equipment_items)


def _items(equipment_items):
    """The equipment an order's body may name: what the caller sees (else "does not
    exist"); the service then holds it to the order's company."""
    return equipment_items if equipment_items is not None else Equipment.objects.none()


class AssignSerializer(InputSerializer):
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.none())

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = people if people is not None else User.objects.none()


class CloseSerializer(InputSerializer):
    solution = serializers.CharField(max_length=20000)


class RedirectSerializer(InputSerializer):
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.none())

    def __init__(self, *args, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams if teams is not None else Team.objects.none()


class WaitSerializer(InputSerializer):
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=50000,
        help_text=_("What you ask the requester; sent to them as a reply."),
    )


class PrioritySerializer(InputSerializer):
    priority = serializers.ChoiceField(choices=Order.Priority.choices)


class AttachmentSerializer(serializers.ModelSerializer):
    """A file of the order, uploaded (`source` upload) or come by e-mail (`email`);
    `message` is the message it goes with (null: the order itself, or the e-mail that
    opened it); `url` downloads it (null when an e-mailed file was too large to keep)."""

    name = serializers.CharField(source="filename")
    message = serializers.IntegerField(source="message_id", allow_null=True)
    uploaded_by = OrderPersonSerializer(allow_null=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id",
            "name",
            "content_type",
            "size",
            "source",
            "message",
            "uploaded_by",
            "url",
            "skip_reason",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_url(self, attachment: Attachment) -> str | None:
        if attachment.is_skipped or not attachment.file:
            return None
        return reverse(
            "order-attachment-download",
            args=[attachment.order_id, attachment.pk],
            request=self.context.get("request"),
        )


class AttachmentUploadSerializer(InputSerializer):
    """One file, sent as multipart/form-data; `message` must be one of the order's messages
    that the uploader sees (any other id "does not exist")."""

    file = serializers.FileField(
        allow_empty_file=True,  # refused by the service, with its own code
        use_url=False,
        help_text=_("The file: an image, PDF, text, office document or zip, within the limit."),
    )
    message = serializers.PrimaryKeyRelatedField(
        queryset=Message.objects.none(),
        required=False,
        allow_null=True,
        help_text=_("A message of yours on this order that the file goes with."),
    )

    def __init__(self, *args, messages=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["message"].queryset = (
            messages if messages is not None else Message.objects.none()
        )


class MessageSerializer(serializers.ModelSerializer):
    """`subject`: the one its author gave a reply, or the subject of the e-mail it came in;
    empty when it went out with the order's usual subject."""

    author = OrderPersonSerializer(read_only=True, allow_null=True)
    subject = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = [
            "id",
            "author",
            "subject",
            "body",
            "is_internal",
            "channel",
            "attachments",
            "created_at",
        ]
        read_only_fields = fields

    def get_subject(self, message: Message) -> str:
        if message.subject or message.channel != Message.Channel.EMAIL:
            return message.subject
        email = getattr(message, "inbound_email", None)
        return email.subject if email is not None else ""

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, message: Message) -> list[dict]:
        files = message.attachments.all()
        return AttachmentSerializer(files, many=True, context=self.context).data


MESSAGE_SUBJECT_MAX_LENGTH = Message._meta.get_field("subject").max_length


class SubjectField(serializers.CharField):
    """One line of text for a Subject header: stripped; a line break or any other control
    character is refused (it would let the sender write headers of their own)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", MESSAGE_SUBJECT_MAX_LENGTH)
        kwargs.setdefault("trim_whitespace", False)  # checked whole first, stripped after
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in value):
            raise serializers.ValidationError(
                _("The subject must be one line, without control characters."),
                code="invalid_subject",
            )
        return value.strip()


class MessageCreateSerializer(InputSerializer):
    body = serializers.CharField(
        max_length=50000,
        required=False,
        help_text=_("Required without `canned_reply`; with it, added after the reply's text."),
    )
    is_internal = StrictBooleanField(default=False)
    subject = SubjectField(
        required=False,
        allow_blank=True,
        help_text=_(
            "The e-mail's subject for this reply, one line; the order's `[#id]` tag is kept "
            "in front. Leave out for the order's usual subject."
        ),
    )
    canned_reply = serializers.PrimaryKeyRelatedField(
        queryset=CannedReply.objects.none(),
        required=False,
        help_text=_("A canned reply you may use on this order, filled in with its values."),
    )

    def __init__(self, *args, canned_replies=None, **kwargs):
        super().__init__(*args, **kwargs)
        if canned_replies is not None:
            self.fields["canned_reply"].queryset = canned_replies

    def validate(self, data):
        if not data.get("body") and data.get("canned_reply") is None:
            raise serializers.ValidationError(
                {"body": [_("This field is required.")]}, code="required"
            )
        return data


class OrderEventSerializer(serializers.ModelSerializer):
    actor = OrderPersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = OrderEvent
        fields = ["id", "kind", "actor", "data", "created_at"]
        read_only_fields = fields


class CountByTeamSerializer(serializers.Serializer):
    team = serializers.IntegerField(allow_null=True)
    name = serializers.CharField(allow_null=True)
    count = serializers.IntegerField()
    time_spent_minutes = serializers.IntegerField()
    mean_time_spent_minutes = serializers.FloatField(
        allow_null=True, help_text="Minutes logged per order of the team."
    )


class SlaClockAttainmentSerializer(serializers.Serializer):
    met = serializers.IntegerField()
    breached = serializers.IntegerField()
    percent_met = serializers.FloatField(
        allow_null=True, help_text="Of the orders met or breached; null when none is."
    )


class SlaAttainmentByTeamSerializer(serializers.Serializer):
    team = serializers.IntegerField(allow_null=True)
    name = serializers.CharField(allow_null=True)
    response = SlaClockAttainmentSerializer()
    resolution = SlaClockAttainmentSerializer()


class SlaAttainmentByPrioritySerializer(serializers.Serializer):
    priority = serializers.ChoiceField(choices=Order.Priority.choices)
    response = SlaClockAttainmentSerializer()
    resolution = SlaClockAttainmentSerializer()


class SlaAttainmentSerializer(serializers.Serializer):
    by_team = SlaAttainmentByTeamSerializer(many=True)
    by_priority = SlaAttainmentByPrioritySerializer(many=True)


class OrderStatsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_status = serializers.DictField(child=serializers.IntegerField())
    by_priority = serializers.DictField(child=serializers.IntegerField())
    by_team = CountByTeamSerializer(many=True)
    mean_seconds_to_take = serializers.FloatField(allow_null=True)
    mean_seconds_to_close = serializers.FloatField(allow_null=True)
    time_spent_minutes = serializers.IntegerField()
    sla = SlaAttainmentSerializer(help_text="Orders with an SLA only.")
    satisfaction = SatisfactionStatsSerializer()
