"""The `satisfaction` part of `GET orders/stats` (`desk.selectors.satisfaction_stats`)."""

from rest_framework import serializers


class SatisfactionByTeamSerializer(serializers.Serializer):
    team = serializers.IntegerField(allow_null=True)
    name = serializers.CharField(allow_null=True)
    count = serializers.IntegerField()
    mean = serializers.FloatField(allow_null=True)


class SatisfactionByAgentSerializer(serializers.Serializer):
    agent = serializers.IntegerField(allow_null=True)
    name = serializers.CharField(allow_null=True)
    count = serializers.IntegerField()
    mean = serializers.FloatField(allow_null=True)


class SatisfactionStatsSerializer(serializers.Serializer):
    """Ratings of the orders counted: mean score (1–5, two decimals) and how many."""

    count = serializers.IntegerField()
    mean = serializers.FloatField(allow_null=True)
    by_team = SatisfactionByTeamSerializer(many=True)
    by_agent = SatisfactionByAgentSerializer(many=True)
