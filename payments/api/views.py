from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.models import User
from core.exceptions import FieldError, NotFound
from core.idempotency import idempotent
from ongs.api.permissions import MANAGERS, ManagedOngMixin, OngRolePermission
from ongs.selectors import ong_get_visible_to
from payments import selectors, services
from payments.api import serializers
from payments.api.filters import DonationFilter, PaymentMethodFilter
from payments.api.throttles import DonationRateThrottle
from payments.models import Donation, PaymentMethod


@extend_schema(tags=["payments"])
class PaymentMethodViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The current user's cards. Another person's card answers 404."""

    serializer_class = serializers.PaymentMethodSerializer
    lookup_value_regex = r"\d+"
    filterset_class = PaymentMethodFilter
    search_fields = ["holder_name", "last4"]
    ordering_fields = ["created_at", "exp_year", "brand"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return selectors.payment_method_list_of(self.request.user)

    @extend_schema(
        request=serializers.PaymentMethodCreateSerializer,
        responses={201: serializers.PaymentMethodSerializer},
    )
    def create(self, request):
        payload = serializers.PaymentMethodCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        method = services.payment_method_create(user=request.user, **payload.validated_data)
        return Response(
            serializers.PaymentMethodSerializer(method).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        request=serializers.PaymentMethodUpdateSerializer,
        responses=serializers.PaymentMethodSerializer,
    )
    def partial_update(self, request, pk=None):
        method = self.get_object()
        payload = serializers.PaymentMethodUpdateSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        method = services.payment_method_update(payment_method=method, data=payload.validated_data)
        return Response(serializers.PaymentMethodSerializer(method).data)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        services.payment_method_delete(payment_method=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["payments"])
class DonationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """`donations/`: the donations the current user made, whatever their outcome."""

    serializer_class = serializers.DonationSerializer
    lookup_value_regex = r"\d+"
    filterset_class = DonationFilter
    search_fields = ["ong__name", "message"]
    ordering_fields = ["created_at", "amount", "status"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return selectors.donation_list_of(self.request.user)


_REFUSED = {
    Donation.Status.DECLINED: (status.HTTP_402_PAYMENT_REQUIRED, _("The card was declined.")),
    Donation.Status.FAILED: (
        status.HTTP_502_BAD_GATEWAY,
        _("The payment processor failed; nothing was charged. Try again later."),
    ),
}


@extend_schema(tags=["payments"])
class OngDonationViewSet(ManagedOngMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """`ongs/{ong_pk}/donations`: anyone logged in donates to a visible NGO; its owner and
    admins list what it received."""

    serializer_class = serializers.OngDonationSerializer
    permission_classes = [IsAuthenticated, OngRolePermission]
    required_roles = {"list": MANAGERS}
    private_actions = {"list"}
    filterset_class = DonationFilter
    search_fields = ["donor__name", "donor__email", "message"]
    ordering_fields = ["created_at", "amount", "status"]
    ordering = ["-created_at", "-id"]

    def get_throttles(self):
        if self.action == "create":
            return [DonationRateThrottle()]
        return super().get_throttles()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Donation.objects.none()
        return selectors.donation_list_for_ong(self.get_ong())

    @extend_schema(
        request=serializers.DonationCreateSerializer,
        responses={
            201: serializers.DonationSerializer,
            402: serializers.DonationRefusedSerializer,
            502: serializers.DonationRefusedSerializer,
        },
    )
    @idempotent(scope="donation")
    def create(self, request, ong_pk=None):
        # All of it runs after the key is claimed, so a replay answers even once the card
        # is gone; a refusal (bad body, unknown card, inactive NGO) frees the key again.
        ong = ong_get_visible_to(request.user, ong_pk)
        payload = serializers.DonationCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        donation = services.donation_create(
            donor=request.user,
            ong=ong,
            payment_method=_card_of(request.user, data["payment_method"]),
            amount=data["amount"],
            message=data.get("message", ""),
        )
        return _donation_response(donation)


def _card_of(user: User, payment_method_id: int) -> PaymentMethod:
    try:
        return selectors.payment_method_get_of(user, payment_method_id)
    except NotFound as exc:
        raise FieldError(
            "payment_method", _("Unknown payment method."), code="does_not_exist"
        ) from exc


def _donation_response(donation: Donation) -> Response:
    """201 with the donation when approved; 402 or 502 with the reason and the donation."""
    body = serializers.DonationSerializer(donation).data
    if donation.status == Donation.Status.APPROVED:
        return Response(body, status=status.HTTP_201_CREATED)
    http_status, detail = _REFUSED[donation.status]
    return Response(
        {"detail": str(detail), "code": donation.decline_code, "donation": body},
        status=http_status,
    )
