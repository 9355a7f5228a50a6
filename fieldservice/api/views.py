from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.filters import FilterBackend
from core.pagination import BoundedCountPagination
from core.serializers import refuse_body
from fieldservice import ical, selectors, services
from fieldservice.api import serializers
from fieldservice.api.filters import VisitFilter
from fieldservice.api.permissions import AUTHOR, FieldServiceRolePermission
from fieldservice.models import TimeEntry, Visit
from orders.api.mixins import OrderInURLMixin
from orders.models import OrderRole
from orders.selectors import order_assignable_people

SUPPORT = {OrderRole.ADMIN, OrderRole.AGENT}  # staff pass every role check

VISIT_EXAMPLE = {
    "id": 7,
    "order": {"id": 42, "title": "Printer on the 2nd floor is jammed"},
    "technician": {"id": 5, "name": "Ana Souza"},
    "status": "scheduled",
    "starts_at": "2026-05-04T17:30:00Z",
    "ends_at": "2026-05-04T19:00:00Z",
    "duration_minutes": 90,
    "time_zone": "America/Sao_Paulo",
    "starts_at_local": "2026-05-04T14:30:00-03:00",
    "address": "Av. Paulista, 1000 - São Paulo",
    "uid": "0b6f3c52-8a59-4d0e-9b9e-4f8a3c1d2e7f",
    "sequence": 0,
    "created_by": {"id": 3, "name": "Carla Admin"},
    "created_at": "2026-05-01T12:00:00Z",
    "updated_at": "2026-05-01T12:00:00Z",
}
OVERLAP_EXAMPLE = OpenApiExample(
    "Overlap",
    value={
        "detail": "Ana Souza already has visit 6 from 2026-05-04 17:00 to 2026-05-04 18:00 (UTC).",
        "code": "visit_overlaps",
        "visit": 6,
    },
    response_only=True,
    status_codes=["409"],
)
TIME_ENTRY_EXAMPLE = {
    "id": 3,
    "order": 42,
    "agent": {"id": 5, "name": "Ana Souza"},
    "minutes": 45,
    "date": "2026-05-04",
    "note": "Replaced the fuser.",
    "created_at": "2026-05-04T20:00:00Z",
}


def _example(name, value, **kwargs):
    return OpenApiExample(name, value=value, **kwargs)


class _OrderChildMixin(OrderInURLMixin):
    """The order of the URL (404 unless seen), then the role the action needs on it (403)."""

    def order(self):
        order = self.get_order()
        self.check_object_permissions(self.request, order)
        return order


@extend_schema(tags=["orders"])
class OrderVisitViewSet(
    _OrderChildMixin, mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """`orders/{order_id}/visits`: the order's visits, soonest first; agents and admins
    schedule them."""

    queryset = Visit.objects.none()  # for the schema; get_queryset() scopes to the user
    serializer_class = serializers.VisitSerializer
    pagination_class = BoundedCountPagination
    permission_classes = [*viewsets.GenericViewSet.permission_classes, FieldServiceRolePermission]
    filter_backends = []
    required_roles = {"create": SUPPORT}

    def get_queryset(self):
        return selectors.visit_list_of_order(self.order())

    @extend_schema(
        request=serializers.VisitCreateSerializer,
        responses={201: serializers.VisitSerializer},
        examples=[
            _example(
                "Schedule",
                {"technician": 5, "starts_at": "2026-05-04T14:30:00-03:00", "duration_minutes": 90},
                request_only=True,
            ),
            _example("Scheduled", VISIT_EXAMPLE, response_only=True, status_codes=["201"]),
            OVERLAP_EXAMPLE,
        ],
        description="Schedule an on-site visit (agents and admins). The requester and the "
        "technician get an e-mail with an iCalendar invitation. A start in the past is a 400; "
        "a clash with another visit of the technician a 409 `visit_overlaps`.",
    )
    def create(self, request, order_id=None):
        order = self.order()
        payload = serializers.VisitCreateSerializer(
            data=request.data, people=order_assignable_people(order)
        )
        payload.is_valid(raise_exception=True)
        visit = services.visit_schedule(order=order, actor=request.user, **payload.validated_data)
        return Response(serializers.VisitSerializer(visit).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        examples=[
            _example(
                "Visits",
                {"count": 1, "next": None, "previous": None, "results": [VISIT_EXAMPLE]},
                response_only=True,
            )
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


@extend_schema(tags=["orders"])
class VisitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Visits: the agenda (`technician`, `date_from`, `date_to`, `status`, `order`). Admins
    and agents see their companies' visits, requesters those of their orders."""

    queryset = Visit.objects.none()  # for the schema; get_queryset() scopes to the user
    serializer_class = serializers.VisitSerializer
    pagination_class = BoundedCountPagination
    permission_classes = [*viewsets.GenericViewSet.permission_classes, FieldServiceRolePermission]
    lookup_value_regex = r"\d+"
    filter_backends = [FilterBackend]
    filterset_class = VisitFilter
    required_roles = {"reschedule": SUPPORT, "cancel": SUPPORT}

    def get_queryset(self):
        return selectors.visit_list_visible_to(self.request.user)

    def get_object(self):
        visit = selectors.visit_get_visible_to(self.request.user, self.kwargs["pk"])
        self.check_object_permissions(self.request, visit)
        return visit

    @extend_schema(
        examples=[
            _example(
                "Agenda",
                {"count": 1, "next": None, "previous": None, "results": [VISIT_EXAMPLE]},
                response_only=True,
            )
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(examples=[_example("Visit", VISIT_EXAMPLE, response_only=True)])
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        request=serializers.VisitRescheduleSerializer,
        responses=serializers.VisitSerializer,
        examples=[
            _example(
                "Reschedule",
                {"starts_at": "2026-05-05T09:00:00-03:00", "duration_minutes": 60},
                request_only=True,
            ),
            _example(
                "Rescheduled",
                {**VISIT_EXAMPLE, "starts_at": "2026-05-05T12:00:00Z", "sequence": 1},
                response_only=True,
                status_codes=["200"],
            ),
            OVERLAP_EXAMPLE,
        ],
    )
    @action(detail=True, methods=["post"])
    def reschedule(self, request, pk=None):
        """Move a scheduled visit (agents and admins); everyone concerned is e-mailed the
        updated invitation (a technician taken off it, its cancellation)."""
        visit = self.get_object()
        payload = serializers.VisitRescheduleSerializer(
            data=request.data, people=order_assignable_people(visit.order)
        )
        payload.is_valid(raise_exception=True)
        visit = services.visit_reschedule(visit=visit, actor=request.user, **payload.validated_data)
        return Response(serializers.VisitSerializer(visit).data)

    @extend_schema(
        request=None,
        responses=serializers.VisitSerializer,
        examples=[
            _example(
                "Cancelled",
                {**VISIT_EXAMPLE, "status": "cancelled", "sequence": 1},
                response_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel a scheduled visit (agents and admins); the requester and the technician
        get the calendar's cancellation. Cancelling twice is a 409."""
        visit = self.get_object()
        refuse_body(request, elsewhere=serializers.VISIT_ELSEWHERE)
        visit = services.visit_cancel(visit=visit, actor=request.user)
        return Response(serializers.VisitSerializer(visit).data)

    @extend_schema(
        responses={
            (200, ical.CONTENT_TYPE): OpenApiResponse(
                OpenApiTypes.STR,
                description="The visit as an iCalendar file (METHOD:PUBLISH).",
                examples=[
                    _example(
                        "Calendar",
                        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:PUBLISH\r\nBEGIN:VEVENT\r\n"
                        "UID:0b6f3c52-8a59-4d0e-9b9e-4f8a3c1d2e7f@mutirao.localhost\r\n"
                        "SEQUENCE:0\r\nDTSTART:20260504T173000Z\r\nDTEND:20260504T190000Z\r\n"
                        "SUMMARY:[#42] Printer on the 2nd floor is jammed\r\nSTATUS:CONFIRMED\r\n"
                        "END:VEVENT\r\nEND:VCALENDAR\r\n",
                    )
                ],
            )
        },
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def ics(self, request, pk=None):
        """Download the visit for a calendar program (whoever sees the visit)."""
        visit = self.get_object()
        response = HttpResponse(
            ical.visit_ical(visit, method=ical.PUBLISH),
            content_type=f"{ical.CONTENT_TYPE}; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="visit-{visit.pk}.ics"'
        return response


@extend_schema(tags=["orders"])
class OrderTimeEntryViewSet(
    _OrderChildMixin, mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """`orders/{order_id}/time-entries`: time logged on the order, oldest first. Agents and
    admins only: requesters see the order's total (`time_spent_minutes`), not the entries,
    whose notes are the support side's working record."""

    queryset = TimeEntry.objects.none()  # for the schema; get_queryset() scopes to the user
    serializer_class = serializers.TimeEntrySerializer
    pagination_class = BoundedCountPagination
    permission_classes = [*viewsets.GenericViewSet.permission_classes, FieldServiceRolePermission]
    filter_backends = []
    required_roles = {"list": SUPPORT, "create": SUPPORT}

    def get_queryset(self):
        return selectors.time_entry_list_of_order(self.order())

    @extend_schema(
        examples=[
            _example(
                "Entries",
                {"count": 1, "next": None, "previous": None, "results": [TIME_ENTRY_EXAMPLE]},
                response_only=True,
            )
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=serializers.TimeEntryCreateSerializer,
        responses={201: serializers.TimeEntrySerializer},
        examples=[
            _example(
                "Log time",
                {"minutes": 45, "date": "2026-05-04", "note": "Replaced the fuser."},
                request_only=True,
            ),
            _example("Logged", TIME_ENTRY_EXAMPLE, response_only=True, status_codes=["201"]),
        ],
    )
    def create(self, request, order_id=None):
        order = self.order()
        payload = serializers.TimeEntryCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        day = data.get("date") or timezone.now().astimezone(order.company.zone).date()
        entry = services.time_entry_log(
            order=order,
            agent=request.user,
            minutes=data["minutes"],
            date=day,
            note=data.get("note", ""),
        )
        return Response(serializers.TimeEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["orders"])
class TimeEntryViewSet(mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """`time-entries/{id}`: deleted by its author or an admin of the company."""

    queryset = TimeEntry.objects.none()  # for the schema; get_queryset() scopes to the user
    serializer_class = serializers.TimeEntrySerializer
    permission_classes = [*viewsets.GenericViewSet.permission_classes, FieldServiceRolePermission]
    lookup_value_regex = r"\d+"
    required_roles = {"destroy": {OrderRole.ADMIN, AUTHOR}}

    def get_queryset(self):
        return selectors.time_entry_list_visible_to(self.request.user)

    @extend_schema(
        responses={204: None},
        description="Delete a time entry (its author or an admin; staff too). The order's "
        "`time_spent_minutes` drops by its minutes.",
    )
    def destroy(self, request, *args, **kwargs):
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance):
        services.time_entry_delete(entry=instance)
