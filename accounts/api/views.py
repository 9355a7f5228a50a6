from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.api import serializers, throttles
from accounts.api.filters import UserFilter
from accounts.api.permissions import IsSelfOrStaff
from accounts.models import User
from core.serializers import refuse_body


def _session_body(request, user, pair) -> dict:
    return serializers.SessionSerializer(
        {"access": pair.access, "refresh": pair.refresh, "user": user},
        context={"request": request},
    ).data


def _user_body(request, user) -> dict:
    return serializers.UserSerializer(user, context={"request": request}).data


class RegisterView(APIView):
    """Create an account. Anyone may call it; it does not log in."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [throttles.RegisterIPThrottle, throttles.RegisterEmailThrottle]

    @extend_schema(
        tags=["auth"],
        request=serializers.RegisterSerializer,
        responses={201: serializers.UserSerializer},
    )
    def post(self, request):
        payload = serializers.RegisterSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        user = services.user_register(**payload.validated_data)
        return Response(_user_body(request, user), status=status.HTTP_201_CREATED)


class LoginView(APIView):
    """E-mail and password in; `access`, `refresh` and the user out."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [throttles.LoginIPThrottle, throttles.LoginEmailThrottle]

    @extend_schema(
        tags=["auth"],
        request=serializers.LoginSerializer,
        responses={200: serializers.SessionSerializer},
    )
    def post(self, request):
        payload = serializers.LoginSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        user, pair = services.session_login(request=request._request, **payload.validated_data)
        return Response(_session_body(request, user, pair))


class RefreshView(APIView):
    """Rotate a refresh token: a new pair comes back and the old refresh token is revoked."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["auth"],
        request=serializers.RefreshSerializer,
        responses={200: serializers.TokenPairSerializer},
    )
    def post(self, request):
        payload = serializers.RefreshSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        pair = services.session_refresh(refresh=payload.validated_data["refresh"])
        return Response(serializers.TokenPairSerializer(pair).data)


class LogoutView(APIView):
    """Revoke one refresh token (this device's session)."""

    @extend_schema(tags=["auth"], request=serializers.RefreshSerializer, responses={204: None})
    def post(self, request):
        payload = serializers.RefreshSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.session_logout(user=request.user, refresh=payload.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(APIView):
    """End every session of the current user, access tokens included."""

    @extend_schema(tags=["auth"], request=None, responses={204: None})
    def post(self, request):
        refuse_body(request)
        services.sessions_revoke_all(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["users"])
class UserViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """People: staff see everyone, company admins their members, everyone themselves.
    Only the person (or staff) changes or deactivates an account here; company admins
    manage their members' accounts under companies/{id}/members."""

    queryset = User.objects.none()  # for the schema; get_queryset() scopes to the user

    serializer_class = serializers.UserSerializer
    lookup_value_regex = r"\d+"
    permission_classes = [IsAuthenticated, IsSelfOrStaff]
    filterset_class = UserFilter
    search_fields = ["name", "email"]
    ordering_fields = ["id", "name", "email", "created_at"]
    ordering = ["id"]

    def get_queryset(self):
        return selectors.user_list_visible_to(self.request.user)

    def get_object(self):
        # The users/me/... routes carry no pk: their object is the caller (DRF's OPTIONS
        # metadata asks for it to describe a PUT).
        if "pk" not in self.kwargs:
            return self.request.user
        return super().get_object()

    @extend_schema(request=serializers.UserUpdateSerializer, responses=serializers.UserSerializer)
    def partial_update(self, request, pk=None):
        user = self.get_object()
        return self._update(user, request)

    @extend_schema(
        request=None,
        responses={204: None},
        description="Deactivates the account and ends its sessions. Your own: logging in "
        "reopens it. Someone else's (staff only): it stays closed.",
    )
    def destroy(self, request, pk=None):
        user = self.get_object()
        if user.pk == request.user.pk:
            services.user_deactivate(user=user)
        else:
            services.user_disable(user=user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=serializers.UserSerializer)
    @action(detail=False, methods=["get"], url_path="me")
    def me(self, request):
        return Response(_user_body(request, request.user))

    @extend_schema(request=serializers.UserUpdateSerializer, responses=serializers.UserSerializer)
    @me.mapping.patch
    def me_update(self, request):
        return self._update(request.user, request)

    @extend_schema(request=None, responses={204: None})
    @me.mapping.delete
    def me_deactivate(self, request):
        services.user_deactivate(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=serializers.PasswordChangeSerializer, responses=serializers.TokenPairSerializer
    )
    @action(detail=False, methods=["post"], url_path="me/password")
    def me_password(self, request):
        payload = serializers.PasswordChangeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        pair = services.user_change_password(user=request.user, **payload.validated_data)
        return Response(serializers.TokenPairSerializer(pair).data)

    @extend_schema(
        methods=["PUT"],
        request={"multipart/form-data": serializers.UserPhotoSerializer},
        responses=serializers.UserSerializer,
        description="Upload your photo (multipart/form-data, field `photo`).",
    )
    @extend_schema(methods=["DELETE"], request=None, responses={200: serializers.UserSerializer})
    @action(
        detail=False,
        methods=["put", "delete"],
        url_path="me/photo",
        parser_classes=[MultiPartParser],
        pagination_class=None,
        filter_backends=[],
    )
    def me_photo(self, request):
        """Set your photo (PUT, multipart) or remove it (DELETE)."""
        photo = None
        if request.method == "PUT":
            payload = serializers.UserPhotoSerializer(data=request.data)
            payload.is_valid(raise_exception=True)
            photo = payload.validated_data["photo"]
        user = services.user_set_photo(user=request.user, photo=photo)
        return Response(_user_body(request, user))

    def _update(self, user, request):
        payload = serializers.UserUpdateSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        user = services.user_update(user=user, data=payload.validated_data)
        return Response(_user_body(request, user))
