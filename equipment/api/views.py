from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import SearchFilter
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from companies.api.permissions import CompanyRolePermission
from companies.models import Membership
from companies.selectors import company_list_visible_to
from core.exceptions import FieldError
from core.filters import FilterBackend
from equipment import selectors, services
from equipment.api import examples, serializers
from equipment.api.filters import EquipmentFilter
from equipment.api.imports import read_rows
from equipment.models import Equipment

# Who manages a company's equipment (requesters read it).
MANAGERS = {Membership.Role.ADMIN, Membership.Role.AGENT}


@extend_schema(tags=["equipment"])
class EquipmentViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """A company's equipment. Its members see it; its admins and agents manage it; staff
    all. Orders point at an item with `equipment_item`."""

    queryset = Equipment.objects.none()  # for the schema; get_queryset() scopes to the user

    serializer_class = serializers.EquipmentSerializer
    permission_classes = [IsAuthenticated, CompanyRolePermission]
    lookup_value_regex = r"\d+"
    filter_backends = [FilterBackend, SearchFilter]
    filterset_class = EquipmentFilter
    search_fields = ["serial_number", "patrimony_tag", "brand", "model"]
    required_roles = {
        "partial_update": MANAGERS,
        "destroy": MANAGERS,
        "change_status": MANAGERS,
    }

    def get_queryset(self):
        return selectors.equipment_list_visible_to(self.request.user)

    def _body(self, item: Equipment, code=status.HTTP_200_OK) -> Response:
        # Read again through the selector: what the body shows (open orders) is current.
        item = selectors.equipment_get_visible_to(self.request.user, item.pk)
        return Response(serializers.EquipmentSerializer(item).data, status=code)

    @extend_schema(summary="List equipment", examples=[examples.LIST])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Get an item of equipment, with its latest orders",
        responses=serializers.EquipmentDetailSerializer,
        examples=[examples.DETAIL],
    )
    def retrieve(self, request, pk=None):
        """An item with its latest orders (among those you see), newest first."""
        item = self.get_object()
        item.history = selectors.equipment_history_for(request.user, item)
        return Response(serializers.EquipmentDetailSerializer(item).data)

    @extend_schema(
        request=serializers.EquipmentCreateSerializer,
        responses={201: serializers.EquipmentSerializer},
        summary="Register an item of equipment",
        examples=[examples.CREATE_REQUEST, examples.CREATED],
    )
    def create(self, request):
        """Register an item of a company you manage (admin or agent); it starts in use."""
        payload = serializers.EquipmentCreateSerializer(
            data=request.data, companies=company_list_visible_to(request.user)
        )
        payload.is_valid(raise_exception=True)
        item = services.equipment_create(actor=request.user, **payload.validated_data)
        return self._body(item, status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.EquipmentWriteSerializer,
        responses=serializers.EquipmentSerializer,
        summary="Edit an item of equipment",
        examples=[examples.UPDATE_REQUEST, examples.UPDATED],
    )
    def partial_update(self, request, pk=None):
        item = self.get_object()
        payload = serializers.EquipmentWriteSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        item = services.equipment_update(item=item, data=payload.validated_data)
        return self._body(item)

    @extend_schema(summary="Delete an item of equipment no order points at", responses={204: None})
    def destroy(self, request, pk=None):
        """Delete an item no order points at; retire one that has orders instead (409)."""
        services.equipment_delete(item=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=serializers.EquipmentStatusSerializer,
        responses=serializers.EquipmentSerializer,
        summary="Put an item in use or in repair, or retire it",
        examples=[examples.STATUS_REQUEST, examples.RETIRED],
    )
    @action(detail=True, methods=["post"], url_path="status", url_name="status")
    def change_status(self, request, pk=None):
        """Set the item in use, in repair or retired; not retired while it has open
        orders (409)."""
        item = self.get_object()
        payload = serializers.EquipmentStatusSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        item = services.equipment_set_status(item=item, **payload.validated_data)
        return self._body(item)

    @extend_schema(
        summary="List an item's orders",
        responses=serializers.EquipmentOrderSerializer(many=True),
        examples=[examples.ORDERS],
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def orders(self, request, pk=None):
        """The item's orders among those you see, newest first."""
        item = self.get_object()
        page = self.paginate_queryset(selectors.equipment_order_list_for(request.user, item))
        return self.get_paginated_response(
            serializers.EquipmentOrderSerializer(page, many=True).data
        )

    @extend_schema(
        request={"multipart/form-data": serializers.EquipmentImportSerializer},
        summary="Import equipment from a CSV file",
        responses={201: serializers.EquipmentImportResultSerializer},
        examples=[examples.IMPORTED],
        description=(
            "Upload a CSV (multipart field `file`) of a company you manage: every row is "
            "checked as a POST body is, and against the file's other rows and the "
            "company's equipment (serial numbers and tags are unique per company). Any "
            "bad row: 400 `invalid_rows` with `rows` (`[{row, errors}]`, the header is row "
            "1), and nothing is stored; 201 with the count created otherwise."
        ),
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        url_name="import",
        parser_classes=[MultiPartParser],
        filter_backends=[],
        pagination_class=None,
    )
    def import_file(self, request):
        """Import equipment from a CSV file, all rows or none."""
        payload = serializers.EquipmentImportSerializer(
            data=request.data, companies=company_list_visible_to(request.user)
        )
        payload.is_valid(raise_exception=True)
        company = payload.validated_data.get("company") or self._only_managed_company()
        services.equipment_require_manager(actor=request.user, company=company)
        rows = read_rows(
            payload.validated_data["file"],
            max_bytes=settings.EQUIPMENT_IMPORT_MAX_BYTES,
            max_rows=settings.EQUIPMENT_IMPORT_MAX_ROWS,
        )
        created = services.equipment_import(actor=request.user, company=company, rows=rows)
        return Response({"created": created}, status=status.HTTP_201_CREATED)

    def _only_managed_company(self):
        found = list(selectors.companies_managed_by(self.request.user)[:2])
        if len(found) != 1:
            raise FieldError("company", _("Choose the company to import into."))
        return found[0]
