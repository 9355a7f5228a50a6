from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from companies.api.permissions import CompanyRolePermission
from companies.api.views import CompanyScopedMixin
from companies.models import Membership
from sla import selectors, services
from sla.api import serializers
from sla.models import Holiday, SlaTarget

Role = Membership.Role
READERS = {Role.ADMIN, Role.AGENT}
WRITERS = {Role.ADMIN}

WEEK_EXAMPLE = OpenApiExample(
    "Weekdays 08:00–12:00 and 13:00–18:00",
    value={
        "ranges": [
            {"weekday": day, "opens": opens, "closes": closes}
            for day in range(5)
            for opens, closes in (("08:00", "12:00"), ("13:00", "18:00"))
        ]
    },
    request_only=True,
)
WEEK_ANSWER = OpenApiExample(
    "A Monday morning",
    value={
        "time_zone": "America/Sao_Paulo",
        "ranges": [{"weekday": 0, "opens": "08:00", "closes": "12:00"}],
    },
    response_only=True,
)
HOLIDAY_EXAMPLE = OpenApiExample(
    "Christmas", value={"date": "2026-12-25", "name": "Natal"}, request_only=True
)
TARGET_EXAMPLE = OpenApiExample(
    "Urgent: answer within an hour, solve within a business day",
    value={"priority": "urgent", "first_response_minutes": 60, "resolution_minutes": 480},
    request_only=True,
)
TARGET_UPDATE_EXAMPLE = OpenApiExample(
    "Solve within two business days",
    value={"resolution_minutes": 960},
    request_only=True,
)


@extend_schema(tags=["sla"])
class BusinessHoursView(CompanyScopedMixin, viewsets.GenericViewSet):
    """`companies/{id}/business-hours`: the week SLA clocks run in. Agents and admins read
    it; admins replace it whole."""

    required_roles = {"retrieve": READERS, "update": WRITERS}
    serializer_class = serializers.BusinessWeekSerializer
    pagination_class = None
    filter_backends = []

    def get_object(self):
        return self.get_company()

    def _week(self, company):
        ranges = selectors.business_hours_of(company)
        return serializers.BusinessWeekSerializer(
            {"time_zone": company.time_zone, "ranges": ranges}
        ).data

    @extend_schema(responses=serializers.BusinessWeekSerializer, examples=[WEEK_ANSWER])
    def retrieve(self, request, company_id=None):
        return Response(self._week(self.get_company()))

    @extend_schema(
        request=serializers.BusinessWeekWriteSerializer,
        responses=serializers.BusinessWeekSerializer,
        examples=[WEEK_EXAMPLE, WEEK_ANSWER],
    )
    def update(self, request, company_id=None):
        company = self.get_company()
        payload = serializers.BusinessWeekWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.business_hours_replace(company=company, **payload.validated_data)
        return Response(self._week(company))

    @classmethod
    def as_view(cls, **initkwargs):
        return super().as_view({"get": "retrieve", "put": "update"}, **initkwargs)


@extend_schema(tags=["sla"])
class CompanyHolidayViewSet(CompanyScopedMixin, viewsets.GenericViewSet):
    """`companies/{id}/holidays`: days off of the SLA calendar, by date."""

    queryset = Holiday.objects.none()  # for the schema; get_queryset() scopes to the user
    required_roles = {"list": READERS, "create": WRITERS}
    serializer_class = serializers.HolidaySerializer
    filterset_fields = []
    ordering_fields = ["date", "name"]
    ordering = ["date"]

    def get_queryset(self):
        return selectors.holiday_list_of(self.get_company())

    def list(self, request, company_id=None):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=serializers.HolidayCreateSerializer,
        responses={201: serializers.HolidaySerializer},
        examples=[HOLIDAY_EXAMPLE],
    )
    def create(self, request, company_id=None):
        company = self.get_company()
        payload = serializers.HolidayCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        holiday = services.holiday_create(company=company, **payload.validated_data)
        return Response(self.get_serializer(holiday).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["sla"])
class HolidayViewSet(mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """`holidays/{id}`: admins remove a day off."""

    queryset = Holiday.objects.none()  # for the schema; get_object() scopes to the user
    permission_classes = [IsAuthenticated, CompanyRolePermission]
    required_roles = {"destroy": WRITERS}
    lookup_value_regex = r"\d+"

    def get_object(self):
        holiday = selectors.holiday_get_visible_to(self.request.user, self.kwargs["pk"])
        self.check_object_permissions(self.request, holiday)
        return holiday

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        services.holiday_delete(holiday=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["sla"])
class CompanySlaTargetViewSet(CompanyScopedMixin, viewsets.GenericViewSet):
    """`companies/{id}/sla-targets`: response and resolution targets per priority."""

    queryset = SlaTarget.objects.none()  # for the schema; get_queryset() scopes to the user
    required_roles = {"list": READERS, "create": WRITERS}
    serializer_class = serializers.SlaTargetSerializer
    filterset_fields = ["priority"]
    ordering_fields = ["id", "priority"]
    ordering = ["id"]

    def get_queryset(self):
        return selectors.sla_target_list_of(self.get_company())

    def list(self, request, company_id=None):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=serializers.SlaTargetCreateSerializer,
        responses={201: serializers.SlaTargetSerializer},
        examples=[TARGET_EXAMPLE],
    )
    def create(self, request, company_id=None):
        company = self.get_company()
        payload = serializers.SlaTargetCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        target = services.sla_target_create(company=company, **payload.validated_data)
        return Response(self.get_serializer(target).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["sla"])
class SlaTargetViewSet(mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """`sla-targets/{id}`: admins change or remove a target; running orders keep theirs."""

    queryset = SlaTarget.objects.none()  # for the schema; get_object() scopes to the user
    serializer_class = serializers.SlaTargetSerializer
    permission_classes = [IsAuthenticated, CompanyRolePermission]
    required_roles = {"partial_update": WRITERS, "destroy": WRITERS}
    lookup_value_regex = r"\d+"

    def get_object(self):
        target = selectors.sla_target_get_visible_to(self.request.user, self.kwargs["pk"])
        self.check_object_permissions(self.request, target)
        return target

    @extend_schema(
        request=serializers.SlaTargetUpdateSerializer,
        responses=serializers.SlaTargetSerializer,
        examples=[TARGET_UPDATE_EXAMPLE],
    )
    def partial_update(self, request, pk=None):
        target = self.get_object()
        payload = serializers.SlaTargetUpdateSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        target = services.sla_target_update(target=target, data=payload.validated_data)
        return Response(self.get_serializer(target).data)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        services.sla_target_delete(target=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
