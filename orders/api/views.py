from django.conf import settings
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import SearchFilter
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from accounts.selectors import user_get_visible_to
from companies.selectors import company_list_visible_to, team_list_visible_to
from core.exceptions import FieldError, PayloadTooLarge
from core.filters import FilterBackend
from core.pagination import BoundedCountPagination
from core.serializers import refuse_body
from desk.selectors import canned_reply_list_for_order
from desk.services import canned_reply_compose
from equipment.selectors import equipment_list_visible_to
from orders import reports, selectors, services
from orders.api import serializers
from orders.api.filters import OrderFilter
from orders.api.permissions import OrderRolePermission
from orders.files import attachment_file_response
from orders.models import Order, OrderRole

# A report asked for without `format` or `status` (SoftClient's "report of open orders").
REPORT_DEFAULT_FORMAT = "csv"
REPORT_DEFAULT_STATUSES = (Order.Status.OPEN, Order.Status.IN_PROGRESS, Order.Status.WAITING)


class _ReportFormats(DefaultContentNegotiation):
    """`?format=` is DRF's renderer override: a format no renderer has would be a 404.
    Without it the report is CSV."""

    def select_renderer(self, request, renderers, format_suffix=None):
        if self.settings.URL_FORMAT_OVERRIDE not in request.query_params:
            format_suffix = format_suffix or REPORT_DEFAULT_FORMAT
        return super().select_renderer(request, renderers, format_suffix)

    def filter_renderers(self, renderers, format):
        if format not in reports.RESPONSES:
            raise FieldError("format", _("Choose csv, xlsx or pdf."))
        return super().filter_renderers(renderers, format)


# What a multipart body adds around its one file: boundaries, part headers, `message`.
MULTIPART_OVERHEAD_BYTES = 16 * 1024

ATTACHMENT_EXAMPLES = [
    OpenApiExample(
        "A photo of the equipment",
        response_only=True,
        status_codes=["200", "201"],
        value={
            "id": 12,
            "name": "impressora.jpg",
            "content_type": "image/jpeg",
            "size": 48213,
            "source": "upload",
            "message": None,
            "uploaded_by": {"id": 7, "name": "Ana Souza"},
            "url": "https://mutirao.example/api/v1/orders/42/attachments/12/download",
            "skip_reason": "",
            "created_at": "2026-12-08T13:05:00Z",
        },
    )
]


def refuse_oversized_upload(request) -> None:
    """A body that cannot hold a file within ATTACHMENT_MAX_BYTES is refused from its
    Content-Length, before it is read."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    limit = settings.ATTACHMENT_MAX_BYTES
    if declared.isdigit() and int(declared) > limit + MULTIPART_OVERHEAD_BYTES:
        raise PayloadTooLarge(
            _("The file is larger than %(limit)s bytes.") % {"limit": limit},
            code="attachment_too_large",
        )


class _OrderRowsMixin:
    """`list` answers rows built from plain column values (`OrderListSerializer.rows`), not
    model instances: one query per page, beside the bounded count, over the disjoint parts
    of the user's scope (`selectors.order_list_parts_visible_to`)."""

    def list(self, request, *args, **kwargs):
        orders = self.filter_queryset(self.get_queryset())
        parts = [self.filter_queryset(part) for part in self.get_queryset_parts()]
        columns = serializers.OrderListSerializer.COLUMNS
        page = self.paginator.paginate_queryset(
            orders, request, view=self, columns=columns, parts=parts
        )
        return self.get_paginated_response(serializers.OrderListSerializer.rows(page))

    def get_queryset_parts(self):
        return selectors.order_list_parts_visible_to(self.request.user)


class _DownloadRenderer(JSONRenderer):
    """Lets `?format=csv|xlsx|pdf` pass DRF's content negotiation. The report itself is a
    streamed Django response; errors still come back as JSON."""


class CSVRenderer(_DownloadRenderer):
    format = "csv"


class XLSXRenderer(_DownloadRenderer):
    format = "xlsx"


class PDFRenderer(_DownloadRenderer):
    format = "pdf"


@extend_schema(tags=["orders"])
class OrderViewSet(
    _OrderRowsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Service orders. Requesters see their own; agents and admins their companies'; staff
    all. Status and technician change only through the actions."""

    queryset = Order.objects.none()  # for the schema; get_queryset() scopes to the user

    pagination_class = BoundedCountPagination
    permission_classes = [*viewsets.GenericViewSet.permission_classes, OrderRolePermission]
    lookup_value_regex = r"\d+"
    filter_backends = [FilterBackend, SearchFilter]
    filterset_class = OrderFilter
    search_fields = ["title", "description"]
    required_roles = {
        "partial_update": {OrderRole.ADMIN, OrderRole.AGENT, OrderRole.REQUESTER},
        "destroy": {OrderRole.ADMIN},
        "take": {OrderRole.ADMIN, OrderRole.AGENT},
        "assign": {OrderRole.ADMIN, OrderRole.LEAD},
        "release": {OrderRole.ADMIN, OrderRole.LEAD, OrderRole.ASSIGNEE},
        "close": {OrderRole.ADMIN, OrderRole.LEAD, OrderRole.ASSIGNEE},
        "reopen": {OrderRole.ADMIN, OrderRole.LEAD, OrderRole.REQUESTER},
        "redirect": {OrderRole.ADMIN, OrderRole.LEAD},
        "priority": {OrderRole.ADMIN, OrderRole.LEAD},
        "wait": {OrderRole.ADMIN, OrderRole.LEAD, OrderRole.ASSIGNEE},
    }

    def get_queryset(self):
        return selectors.order_list_visible_to(self.request.user)

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.OrderListSerializer
        return serializers.OrderSerializer

    def _done(self, order, code=status.HTTP_200_OK):
        return Response(serializers.OrderSerializer(order).data, status=code)

    @extend_schema(
        request=serializers.OrderCreateSerializer, responses={201: serializers.OrderSerializer}
    )
    def create(self, request):
        user = request.user
        payload = serializers.OrderCreateSerializer(
            data=request.data,
            companies=company_list_visible_to(user),
            teams=team_list_visible_to(user),
            equipment_items=equipment_list_visible_to(user),
        )
        payload.is_valid(raise_exception=True)
        order = services.order_create(requester=user, **payload.validated_data)
        return self._done(order, status.HTTP_201_CREATED)

    @extend_schema(request=serializers.OrderUpdateSerializer, responses=serializers.OrderSerializer)
    def partial_update(self, request, pk=None):
        order = self.get_object()
        payload = serializers.OrderUpdateSerializer(
            data=request.data,
            partial=True,
            equipment_items=equipment_list_visible_to(request.user),
        )
        payload.is_valid(raise_exception=True)
        return self._done(
            services.order_update(order=order, actor=request.user, data=payload.validated_data)
        )

    def perform_destroy(self, instance):
        services.order_delete(order=instance)

    @extend_schema(request=None, responses=serializers.OrderSerializer)
    @action(detail=True, methods=["post"])
    def take(self, request, pk=None):
        """An agent takes an open order (of many at once, exactly one wins; others get 409)."""
        order = self.get_object()
        refuse_body(request, elsewhere=serializers.ORDER_ELSEWHERE)
        return self._done(services.order_take(order=order, agent=request.user))

    @extend_schema(request=serializers.AssignSerializer, responses=serializers.OrderSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        order = self.get_object()
        payload = serializers.AssignSerializer(
            data=request.data, people=selectors.order_assignable_people(order)
        )
        payload.is_valid(raise_exception=True)
        return self._done(
            services.order_assign(order=order, actor=request.user, **payload.validated_data)
        )

    @extend_schema(request=None, responses=serializers.OrderSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        order = self.get_object()
        refuse_body(request, elsewhere=serializers.ORDER_ELSEWHERE)
        return self._done(services.order_release(order=order, actor=request.user))

    @extend_schema(request=serializers.CloseSerializer, responses=serializers.OrderSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        order = self.get_object()
        payload = serializers.CloseSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._done(
            services.order_close(order=order, actor=request.user, **payload.validated_data)
        )

    @extend_schema(request=None, responses=serializers.OrderSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        order = self.get_object()
        refuse_body(request, elsewhere=serializers.ORDER_ELSEWHERE)
        return self._done(services.order_reopen(order=order, actor=request.user))

    @extend_schema(
        request=serializers.WaitSerializer,
        responses=serializers.OrderSerializer,
        examples=[
            OpenApiExample(
                "Ask the requester",
                value={"note": "Which floor is the printer on?"},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def wait(self, request, pk=None):
        """Put an in-progress order on hold until the requester answers (SLA clocks pause);
        their reply, by the API or e-mail, takes it back to in progress."""
        order = self.get_object()
        payload = serializers.WaitSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._done(
            services.order_wait(order=order, actor=request.user, **payload.validated_data)
        )

    @extend_schema(request=serializers.RedirectSerializer, responses=serializers.OrderSerializer)
    @action(detail=True, methods=["post"])
    def redirect(self, request, pk=None):
        order = self.get_object()
        payload = serializers.RedirectSerializer(
            data=request.data, teams=team_list_visible_to(request.user)
        )
        payload.is_valid(raise_exception=True)
        return self._done(
            services.order_redirect(order=order, actor=request.user, **payload.validated_data)
        )

    @extend_schema(request=serializers.PrioritySerializer, responses=serializers.OrderSerializer)
    @action(detail=True, methods=["post"])
    def priority(self, request, pk=None):
        order = self.get_object()
        payload = serializers.PrioritySerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._done(
            services.order_set_priority(order=order, actor=request.user, **payload.validated_data)
        )

    @extend_schema(responses=serializers.MessageSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[])
    def messages(self, request, pk=None):
        """Replies and, for the company's agents and admins, internal notes; oldest first."""
        order = self.get_object()
        page = self.paginate_queryset(selectors.message_list_for(request.user, order))
        data = serializers.MessageSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)

    @extend_schema(
        request=serializers.MessageCreateSerializer, responses={201: serializers.MessageSerializer}
    )
    @messages.mapping.post
    def add_message(self, request, pk=None):
        order = self.get_object()
        payload = serializers.MessageCreateSerializer(
            data=request.data, canned_replies=canned_reply_list_for_order(request.user, order)
        )
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        if (canned := data.pop("canned_reply", None)) is not None:
            data["body"] = canned_reply_compose(reply=canned, order=order, body=data.get("body"))
        message = services.message_add(order=order, author=request.user, **data)
        return Response(serializers.MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=serializers.AttachmentSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[], parser_classes=[MultiPartParser])
    def attachments(self, request, pk=None):
        """Every file of the order, uploaded or e-mailed, oldest first; those of internal
        notes only for the company's agents and admins."""
        order = self.get_object()
        page = self.paginate_queryset(selectors.attachment_list_for(request.user, order))
        data = serializers.AttachmentSerializer(page, many=True, context={"request": request})
        return self.get_paginated_response(data.data)

    @extend_schema(
        request={"multipart/form-data": serializers.AttachmentUploadSerializer},
        responses={201: serializers.AttachmentSerializer},
        examples=ATTACHMENT_EXAMPLES,
        description=(
            "Upload one file (multipart/form-data: `file`, and `message` to attach it to "
            "one of your messages). Limits: ATTACHMENT_MAX_BYTES (413 "
            "`attachment_too_large`), ATTACHMENT_ALLOWED_TYPES; 400 "
            "`attachment_type_not_allowed`, `attachment_extension_mismatch`, "
            "`attachment_content_mismatch`, `attachment_empty`; 403 `message_not_yours`."
        ),
    )
    @attachments.mapping.post
    def add_attachment(self, request, pk=None):
        """Upload a file to the order. `message` attaches it to one of your messages."""
        order = self.get_object()
        refuse_oversized_upload(request)
        payload = serializers.AttachmentUploadSerializer(
            data=request.data, messages=selectors.message_list_for(request.user, order)
        )
        payload.is_valid(raise_exception=True)
        attachment = services.attachment_upload(
            order=order, uploader=request.user, **payload.validated_data
        )
        data = serializers.AttachmentSerializer(attachment, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=serializers.AttachmentSerializer, examples=ATTACHMENT_EXAMPLES)
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<attachment_id>[0-9]+)",
        url_name="attachment",
        filter_backends=[],
        pagination_class=None,
    )
    def attachment(self, request, pk=None, attachment_id=None):
        """One file of the order: who sent it, with what, and its download URL."""
        order = self.get_object()
        attachment = selectors.attachment_get_for(request.user, order, attachment_id)
        return Response(
            serializers.AttachmentSerializer(attachment, context={"request": request}).data
        )

    @extend_schema(
        responses={204: None},
        description="Delete a file: whoever sent it, the company's admins and staff (else "
        "403 `attachment_not_yours`).",
    )
    @attachment.mapping.delete
    def delete_attachment(self, request, pk=None, attachment_id=None):
        """Delete a file of the order. Its stored copy goes too."""
        order = self.get_object()
        attachment = selectors.attachment_get_for(request.user, order, attachment_id)
        services.attachment_delete(attachment=attachment, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The file, as an attachment; its type is the row's `content_type`.",
            )
        },
        description="Download one file; 404 for an order you cannot see, a file of an "
        "internal note you cannot see, or an e-mailed file too large to be kept.",
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<attachment_id>[0-9]+)/download",
        url_name="attachment-download",
        filter_backends=[],
        pagination_class=None,
    )
    def attachment_download(self, request, pk=None, attachment_id=None):
        """Download a file of the order. It is streamed from the storage."""
        order = self.get_object()
        attachment = selectors.attachment_get_for(request.user, order, attachment_id)
        return attachment_file_response(attachment)

    @extend_schema(responses=serializers.OrderEventSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[])
    def events(self, request, pk=None):
        """The audit timeline, oldest first."""
        order = self.get_object()
        page = self.paginate_queryset(selectors.event_list_for(request.user, order))
        return self.get_paginated_response(serializers.OrderEventSerializer(page, many=True).data)

    @extend_schema(responses=serializers.OrderStatsSerializer)
    @action(detail=False, methods=["get"])
    def stats(self, request):
        """Counts by status, priority and team, and mean times to take and to close, over
        the orders you see (list filters apply)."""
        orders = self.filter_queryset(self.get_queryset())
        return Response(serializers.OrderStatsSerializer(selectors.order_stats(orders)).data)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                enum=["csv", "xlsx", "pdf"],
                default="csv",
                description="csv when left out.",
            ),
            OpenApiParameter(
                "status",
                OpenApiTypes.STR,
                description="As the list's filter; when left out, open and in-progress orders.",
            ),
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="CSV, streamed"),
            (
                200,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ): OpenApiTypes.BINARY,
            (200, "application/pdf"): OpenApiTypes.BINARY,
        },
    )
    @action(
        detail=False,
        methods=["get"],
        renderer_classes=[JSONRenderer, CSVRenderer, XLSXRenderer, PDFRenderer],
        content_negotiation_class=_ReportFormats,
    )
    def report(self, request):
        """Download the orders you see (list filters apply) as CSV (the default), XLSX or
        PDF; without `status`, the open and in-progress ones. Column headers follow
        Accept-Language."""
        kind = request.query_params.get("format", REPORT_DEFAULT_FORMAT)
        if kind not in reports.RESPONSES:
            raise FieldError("format", _("Choose csv, xlsx or pdf."))
        orders = self.filter_queryset(self.get_queryset())
        if "status" not in request.query_params:
            orders = orders.filter(status__in=REPORT_DEFAULT_STATUSES)
        if not request.query_params.get("ordering"):
            orders = orders.order_by("id")
        return reports.RESPONSES[kind](orders)


@extend_schema(tags=["users"], responses=serializers.OrderListSerializer(many=True))
class UserOrderListView(_OrderRowsMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """`users/{id}/orders`: that person's orders, among those you can see: the ones they
    requested and the ones assigned to them (a technician's work). `requester=` or
    `assignee=` with their id narrows the list to one side."""

    queryset = Order.objects.none()  # for the schema; get_queryset() scopes to the user

    serializer_class = serializers.OrderListSerializer
    pagination_class = BoundedCountPagination
    filter_backends = [FilterBackend, SearchFilter]
    filterset_class = OrderFilter
    search_fields = ["title", "description"]

    def get_queryset(self):
        visible = selectors.order_list_visible_to(self.request.user)
        return visible.filter(self._persons_orders)

    def get_queryset_parts(self):
        return [part.filter(self._persons_orders) for part in super().get_queryset_parts()]

    @cached_property
    def _persons_orders(self):
        person = user_get_visible_to(self.request.user, self.kwargs["user_id"])
        return selectors.orders_of_person(person)

    @classmethod
    def as_view(cls, **initkwargs):
        return super().as_view({"get": "list"}, **initkwargs)
