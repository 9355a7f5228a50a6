from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import SearchFilter
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.filters import FilterBackend, OrderingFilter
from core.rows import RowListMixin
from ongs import selectors, services
from ongs.api import serializers
from ongs.api.filters import OngFilter, WithdrawalFilter
from ongs.api.permissions import (
    MANAGERS,
    ManagedOngMixin,
    OngRolePermission,
    ReadOnlyOrAuthenticated,
)
from ongs.models import Withdrawal


@extend_schema(tags=["ongs"])
class OngViewSet(
    RowListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """NGOs: anyone reads the active ones; any logged-in person registers one; the owner and
    the NGO's admins edit it, deactivate it and read its balance."""

    serializer_class = serializers.OngSerializer
    list_rows_class = serializers.OngListSerializer
    filter_backends = [FilterBackend, SearchFilter, OrderingFilter]
    permission_classes = [ReadOnlyOrAuthenticated, OngRolePermission]
    required_roles = {"partial_update": MANAGERS, "destroy": MANAGERS, "balance": MANAGERS}
    private_actions = {"balance"}
    lookup_value_regex = r"\d+"
    filterset_class = OngFilter
    search_fields = ["name", "description"]
    ordering_fields = ["id", "name", "cause", "created_at"]
    ordering = ["name", "id"]

    def get_queryset(self):
        return selectors.ong_list_visible_to(self.request.user)

    def _reload(self, ong):
        # as the reader sees it (with `viewer_manages`), like every other read
        return selectors.ong_get_visible_to(self.request.user, ong.pk)

    @extend_schema(
        request=serializers.OngWriteSerializer, responses={201: serializers.OngSerializer}
    )
    def create(self, request):
        payload = serializers.OngWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        ong = services.ong_create(owner=request.user, data=payload.validated_data)
        return Response(
            serializers.OngSerializer(self._reload(ong)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=serializers.OngWriteSerializer, responses=serializers.OngSerializer)
    def partial_update(self, request, pk=None):
        ong = self.get_object()
        payload = serializers.OngWriteSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        ong = services.ong_update(ong=ong, actor=request.user, data=payload.validated_data)
        return Response(serializers.OngSerializer(self._reload(ong)).data)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        services.ong_deactivate(ong=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=serializers.BalanceSerializer)
    @action(detail=True, methods=["get"], permission_classes=[IsAuthenticated, OngRolePermission])
    def balance(self, request, pk=None):
        balance = selectors.ong_balance(self.get_object())
        return Response(serializers.BalanceSerializer(balance).data)


@extend_schema(tags=["ongs"])
class WithdrawalViewSet(ManagedOngMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """`ongs/{ong_pk}/withdrawals`: the NGO's owner and admins list and request withdrawals."""

    serializer_class = serializers.WithdrawalSerializer
    permission_classes = [IsAuthenticated, OngRolePermission]
    required_roles = {"list": MANAGERS, "create": MANAGERS}
    private_actions = {"list", "create"}
    filterset_class = WithdrawalFilter
    search_fields = ["description"]
    ordering_fields = ["created_at", "amount"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Withdrawal.objects.none()
        return selectors.withdrawal_list_for(self.get_ong())

    @extend_schema(
        request=serializers.WithdrawalCreateSerializer,
        responses={201: serializers.WithdrawalSerializer},
    )
    def create(self, request, ong_pk=None):
        ong = self.get_ong()
        payload = serializers.WithdrawalCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        withdrawal = services.withdrawal_create(
            ong=ong, requested_by=request.user, **payload.validated_data
        )
        return Response(
            serializers.WithdrawalSerializer(withdrawal).data, status=status.HTTP_201_CREATED
        )
