from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from companies.selectors import company_list_visible_to, team_list_visible_to
from desk import selectors, services
from desk.api import serializers
from desk.api.filters import CannedReplyFilter
from desk.api.permissions import CannedReplyRolePermission
from desk.models import CannedReply, OrderWatcher
from desk.selectors import CannedReplyRole
from orders.api.mixins import OrderInURLMixin
from orders.api.permissions import OrderRolePermission
from orders.models import OrderRole

ORDER_ID = OpenApiParameter("order_id", OpenApiTypes.INT, OpenApiParameter.PATH)
_PERSON = {"id": 7, "name": "Tânia Técnica"}
_REPLY = {
    "id": 3,
    "company": {"id": 1, "name": "SoftClient"},
    "team": {"id": 2, "name": "Suporte"},
    "title": "Toner on its way",
    "body": "Hello {requester_name}, a new toner for order #{order_id} ({title}) is on its way.",
    "created_by": _PERSON,
    "created_at": "2026-03-02T13:00:00Z",
    "updated_at": "2026-03-02T13:00:00Z",
}
_RATING = {
    "order": 41,
    "score": 5,
    "comment": "Fixed in an hour, thank you!",
    "rated_by": {"id": 9, "name": "Rui Requester"},
    "team": {"id": 2, "name": "Suporte"},
    "agent": _PERSON,
    "created_at": "2026-03-03T09:30:00Z",
}
_WATCHER = {
    "id": 5,
    "user": None,
    "email": "boss@client.example",
    "added_by": {"id": 9, "name": "Rui Requester"},
    "created_at": "2026-03-02T13:05:00Z",
}


@extend_schema(tags=["orders"])
class CannedReplyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Prepared answers agents post on orders. Agents see their companies' company-wide
    replies and their teams'; admins all of their companies'; staff all. Admins manage
    them, and a team's lead that team's."""

    serializer_class = serializers.CannedReplySerializer
    permission_classes = [*viewsets.GenericViewSet.permission_classes, CannedReplyRolePermission]
    lookup_value_regex = r"\d+"
    filterset_class = CannedReplyFilter
    search_fields = ["title", "body"]
    ordering_fields = ["id", "title", "created_at"]
    ordering = ["title", "id"]
    required_roles = {
        "retrieve": {CannedReplyRole.ADMIN, CannedReplyRole.LEAD, CannedReplyRole.USER},
        "partial_update": {CannedReplyRole.ADMIN, CannedReplyRole.LEAD},
        "destroy": {CannedReplyRole.ADMIN, CannedReplyRole.LEAD},
    }

    queryset = CannedReply.objects.none()  # for the schema; get_queryset() scopes to the user

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CannedReply.objects.none()
        return selectors.canned_reply_list_usable_by(self.request.user)

    def get_object(self):
        reply = selectors.canned_reply_get_visible_to(self.request.user, self.kwargs["pk"])
        self.check_object_permissions(self.request, reply)
        return reply

    @extend_schema(
        examples=[OpenApiExample("A team's reply", value=_REPLY, response_only=True)],
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        request=serializers.CannedReplyCreateSerializer,
        responses={201: serializers.CannedReplySerializer},
        examples=[
            OpenApiExample(
                "A reply for one team",
                value={
                    "company": 1,
                    "team": 2,
                    "title": "Toner on its way",
                    "body": "Hello {requester_name}, a new toner for order #{order_id} is on "
                    "its way.",
                },
                request_only=True,
            ),
            OpenApiExample("Added", value=_REPLY, response_only=True, status_codes=["201"]),
        ],
    )
    def create(self, request):
        user = request.user
        payload = serializers.CannedReplyCreateSerializer(
            data=request.data,
            companies=company_list_visible_to(user),
            teams=team_list_visible_to(user),
        )
        payload.is_valid(raise_exception=True)
        reply = services.canned_reply_create(author=user, **payload.validated_data)
        return Response(
            serializers.CannedReplySerializer(reply).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        request=serializers.CannedReplyUpdateSerializer,
        responses=serializers.CannedReplySerializer,
        examples=[
            OpenApiExample(
                "A new body", value={"body": "Hi {requester_name}, done."}, request_only=True
            )
        ],
    )
    def partial_update(self, request, pk=None):
        reply = self.get_object()
        payload = serializers.CannedReplyUpdateSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        reply = services.canned_reply_update(reply=reply, data=payload.validated_data)
        return Response(serializers.CannedReplySerializer(reply).data)

    def perform_destroy(self, instance):
        services.canned_reply_delete(reply=instance)


@extend_schema(tags=["orders"], parameters=[ORDER_ID])
class OrderRatingView(OrderInURLMixin, APIView):
    """The requester's satisfaction rating of a closed order (one per order)."""

    permission_classes = [*APIView.permission_classes, OrderRolePermission]
    required_roles = {"create": {OrderRole.REQUESTER}}

    @property
    def action(self):
        return {"POST": "create"}.get(self.request.method, "retrieve")

    @extend_schema(
        responses=serializers.RatingSerializer,
        examples=[OpenApiExample("Rated", value=_RATING, response_only=True)],
    )
    def get(self, request, order_id=None):
        """The order's rating; 404 `not_rated` until its requester rates it."""
        rating = selectors.rating_get_for(self.get_order())
        return Response(serializers.RatingSerializer(rating).data)

    @extend_schema(
        request=serializers.RatingCreateSerializer,
        responses={201: serializers.RatingSerializer},
        examples=[
            OpenApiExample(
                "Five stars",
                value={"score": 5, "comment": "Fixed in an hour, thank you!"},
                request_only=True,
            ),
            OpenApiExample("Rated", value=_RATING, response_only=True, status_codes=["201"]),
        ],
    )
    def post(self, request, order_id=None):
        """Rate your closed order, 1 to 5 with an optional comment. Once: a second rating is
        409 `already_rated`; an order not closed, 409 `order_not_closed`."""
        order = self.get_order()
        self.check_object_permissions(request, order)
        payload = serializers.RatingCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.satisfaction_rate(order=order, rated_by=request.user, **payload.validated_data)
        rating = selectors.rating_get_for(order)
        return Response(serializers.RatingSerializer(rating).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["orders"], parameters=[ORDER_ID])
class OrderWatcherViewSet(
    OrderInURLMixin,
    mixins.ListModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """People and addresses that follow an order and get its public notifications. Its
    agents, admins and staff add and remove anyone of the company or any address; its
    requester only themselves."""

    serializer_class = serializers.WatcherSerializer
    lookup_url_kwarg = "watcher_id"
    lookup_value_regex = r"\d+"
    filter_backends = []

    queryset = OrderWatcher.objects.none()  # for the schema; get_queryset() scopes to the user

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return OrderWatcher.objects.none()
        return selectors.watcher_list_for(self.get_order())

    def get_object(self):
        return selectors.watcher_get_for(self.get_order(), self.kwargs["watcher_id"])

    @extend_schema(
        examples=[OpenApiExample("One address copied on an e-mail", value=[_WATCHER])],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=serializers.WatcherCreateSerializer,
        responses={201: serializers.WatcherSerializer},
        examples=[
            OpenApiExample("A person of the company", value={"user": 7}, request_only=True),
            OpenApiExample("An address", value={"email": "boss@client.example"}, request_only=True),
            OpenApiExample("Added", value=_WATCHER, response_only=True, status_codes=["201"]),
        ],
    )
    def create(self, request, order_id=None):
        order = self.get_order()
        payload = serializers.WatcherCreateSerializer(
            data=request.data, people=selectors.watcher_addable_people(order)
        )
        payload.is_valid(raise_exception=True)
        watcher = services.watcher_add(order=order, actor=request.user, **payload.validated_data)
        return Response(serializers.WatcherSerializer(watcher).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("watcher_id", OpenApiTypes.INT, OpenApiParameter.PATH)]
    )
    def destroy(self, request, *args, **kwargs):
        services.watcher_remove(watcher=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
