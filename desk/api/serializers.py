from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import User
from companies.models import Company, Team
from core.serializers import InputSerializer
from desk.models import CannedReply, OrderWatcher, SatisfactionRating
from orders.api.serializers import (
    CompanySummarySerializer,
    TeamSummarySerializer,
)
from orders.api.serializers import (
    OrderPersonSerializer as PersonSerializer,
)


class CannedReplySerializer(serializers.ModelSerializer):
    company = CompanySummarySerializer(read_only=True)
    team = TeamSummarySerializer(read_only=True, allow_null=True)
    created_by = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = CannedReply
        fields = [
            "id",
            "company",
            "team",
            "title",
            "body",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


BODY_HELP = _(
    "May name {requester_name}, {order_id} and {title}; write {{ and }} for literal braces."
)


class CannedReplyCreateSerializer(InputSerializer):
    """The company and team must be ones the author can see (any other id does not exist)."""

    company = serializers.PrimaryKeyRelatedField(queryset=Company.objects.none())
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.none(),
        required=False,
        allow_null=True,
        help_text=_("Leave out for a reply every agent of the company may use."),
    )
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=20000, help_text=BODY_HELP)

    def __init__(self, *args, companies=None, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = (
            companies if companies is not None else Company.objects.none()
        )
        self.fields["team"].queryset = teams if teams is not None else Team.objects.none()


class CannedReplyUpdateSerializer(InputSerializer):
    elsewhere = {
        "company": _("delete the reply and add it again where it belongs."),
        "team": _("delete the reply and add it again where it belongs."),
    }

    title = serializers.CharField(max_length=200, required=False)
    body = serializers.CharField(max_length=20000, required=False, help_text=BODY_HELP)


class RatingSerializer(serializers.ModelSerializer):
    """`team` and `agent`: the order's team and technician when it was rated."""

    rated_by = PersonSerializer(read_only=True, allow_null=True)
    team = TeamSummarySerializer(read_only=True, allow_null=True)
    agent = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = SatisfactionRating
        fields = ["order", "score", "comment", "rated_by", "team", "agent", "created_at"]
        read_only_fields = fields


class RatingCreateSerializer(InputSerializer):
    score = serializers.IntegerField(min_value=1, max_value=5, help_text=_("1 (bad) to 5 (great)."))
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class WatcherSerializer(serializers.ModelSerializer):
    """A person (`user`) or, for someone copied on an e-mail, an address (`email`)."""

    user = PersonSerializer(read_only=True, allow_null=True)
    added_by = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = OrderWatcher
        fields = ["id", "user", "email", "added_by", "created_at"]
        read_only_fields = fields


class WatcherCreateSerializer(InputSerializer):
    """`user` (a person of the order's company) or `email`, one of the two."""

    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.none(), required=False)
    email = serializers.EmailField(required=False, max_length=254)

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people if people is not None else User.objects.none()

    def validate(self, data):
        if ("user" in data) == ("email" in data):
            raise serializers.ValidationError(
                {"user": [_("Give a person (user) or an address (email), one of the two.")]},
                code="required",
            )
        return data
