from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from accounts.api.throttles import CompanySignUpEmailThrottle, CompanySignUpIPThrottle
from accounts.selectors import user_get_visible_to
from companies import selectors, services
from companies.api import serializers
from companies.api.filters import CompanyFilter
from companies.api.permissions import CompanyRolePermission
from companies.models import Company, Membership, Team
from core.serializers import refuse_body

Role = Membership.Role


@extend_schema(tags=["companies"])
class CompanyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Companies: anyone registers one (inactive until staff activate it); members see
    theirs, staff see all; the company's admins edit it."""

    queryset = Company.objects.none()  # for the schema; get_queryset() scopes to the user

    serializer_class = serializers.CompanySerializer
    permission_classes = [IsAuthenticated, CompanyRolePermission]
    lookup_value_regex = r"\d+"
    filterset_class = CompanyFilter
    search_fields = ["legal_name", "trading_name", "cnpj"]
    ordering_fields = ["id", "legal_name", "trading_name", "created_at"]
    ordering = ["id"]
    required_roles = {
        "partial_update": {Role.ADMIN},
        "destroy": {Role.ADMIN},
        "activate": {"staff"},
        "deactivate": {"staff"},
    }

    def get_permissions(self):
        if self.action == "create":
            return [AllowAny()]
        return super().get_permissions()

    def get_throttles(self):
        # An anonymous registration creates an account: auth/register's limits apply.
        if self.action == "create":
            return [CompanySignUpIPThrottle(), CompanySignUpEmailThrottle()]
        return super().get_throttles()

    def get_queryset(self):
        return selectors.company_list_visible_to(self.request.user)

    @extend_schema(
        request=serializers.CompanyRegisterSerializer,
        responses={201: serializers.CompanySerializer},
    )
    def create(self, request):
        payload = serializers.CompanyRegisterSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        admin = data.pop("admin", None)
        founder = request.user if request.user.is_authenticated else None
        company = services.company_register(founder=founder, data=data, admin=admin)
        return Response(serializers.CompanySerializer(company).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.CompanyUpdateSerializer, responses=serializers.CompanySerializer
    )
    def partial_update(self, request, pk=None):
        company = self.get_object()
        payload = serializers.CompanyUpdateSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        company = services.company_update(company=company, data=payload.validated_data)
        return Response(serializers.CompanySerializer(company).data)

    @extend_schema(request=None, responses={204: None}, description="Deactivates the company.")
    def destroy(self, request, pk=None):
        services.company_set_active(company=self.get_object(), is_active=False)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=serializers.CompanySerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        """Platform staff only."""
        company = self.get_object()
        refuse_body(request)
        company = services.company_set_active(company=company, is_active=True)
        return Response(serializers.CompanySerializer(company).data)

    @extend_schema(request=None, responses=serializers.CompanySerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        """Platform staff only."""
        company = self.get_object()
        refuse_body(request)
        company = services.company_set_active(company=company, is_active=False)
        return Response(serializers.CompanySerializer(company).data)


class CompanyScopedMixin:
    """For routes under companies/{company_id}/: the company must be visible (else 404),
    then the view's `required_roles` for the action are checked on it (else 403)."""

    permission_classes = [IsAuthenticated, CompanyRolePermission]

    def get_company(self):
        if not hasattr(self, "_company"):
            company = selectors.company_get_visible_to(self.request.user, self.kwargs["company_id"])
            self.check_object_permissions(self.request, company)
            self._company = company
        return self._company


@extend_schema(tags=["companies"])
class MemberViewSet(CompanyScopedMixin, viewsets.GenericViewSet):
    """The people of a company. Admins and agents list them; admins manage them."""

    queryset = Membership.objects.none()  # for the schema; get_queryset() scopes to the user

    serializer_class = serializers.CompanyMemberSerializer
    required_roles = {
        "list": {Role.ADMIN, Role.AGENT},
        "create": {Role.ADMIN},
        "partial_update": {Role.ADMIN},
        "destroy": {Role.ADMIN},
        "deactivate": {Role.ADMIN},
    }
    lookup_field = "user_id"
    lookup_value_regex = r"\d+"
    filterset_fields = ["role"]
    search_fields = ["user__name", "user__email"]
    ordering_fields = ["id", "role", "user__name"]
    ordering = ["id"]

    def get_queryset(self):
        return selectors.member_list_of(self.get_company())

    def list(self, request, company_id=None):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=serializers.MemberAddSerializer,
        responses={201: serializers.CompanyMemberSerializer},
    )
    def create(self, request, company_id=None):
        company = self.get_company()
        payload = serializers.MemberAddSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        membership = services.member_add(company=company, **payload.validated_data)
        return Response(self.get_serializer(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.CompanyMemberUpdateSerializer,
        responses=serializers.CompanyMemberSerializer,
    )
    def partial_update(self, request, company_id=None, user_id=None):
        """The member's role; and name, position, phone and birth date of an account the
        company alone manages (409 `account_shared` / `account_is_staff` otherwise)."""
        membership = selectors.member_get(self.get_company(), user_id)
        payload = serializers.CompanyMemberUpdateSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        membership = services.member_update(
            membership=membership, actor=request.user, data=payload.validated_data
        )
        return Response(self.get_serializer(membership).data)

    @extend_schema(request=None, responses=serializers.CompanyMemberSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request, company_id=None, user_id=None):
        """Turn off the member's account (sessions end; logging in does not reopen it).
        Only for an account that belongs to no other company and is not staff (else 409)."""
        membership = selectors.member_get(self.get_company(), user_id)
        refuse_body(request)
        membership = services.member_deactivate(membership=membership, actor=request.user)
        return Response(self.get_serializer(membership).data)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, company_id=None, user_id=None):
        membership = selectors.member_get(self.get_company(), user_id)
        services.member_remove(membership=membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["companies"])
class CompanyTeamViewSet(CompanyScopedMixin, viewsets.GenericViewSet):
    """`companies/{id}/teams`: every member sees the teams; admins create them."""

    queryset = Team.objects.none()  # for the schema; get_queryset() scopes to the user
    required_roles = {"create": {Role.ADMIN}}

    serializer_class = serializers.TeamSerializer
    search_fields = ["name"]
    ordering_fields = ["id", "name"]
    ordering = ["name"]
    filterset_fields = []

    def get_queryset(self):
        return selectors.team_list_visible_to(self.request.user).filter(company=self.get_company())

    def list(self, request, company_id=None):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=serializers.TeamWriteSerializer, responses={201: serializers.TeamSerializer}
    )
    def create(self, request, company_id=None):
        company = self.get_company()
        payload = serializers.TeamWriteSerializer(data=request.data, company=company)
        payload.is_valid(raise_exception=True)
        team = services.team_create(company=company, **payload.validated_data)
        return Response(serializers.TeamSerializer(team).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["companies"])
class TeamViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """`teams/{id}`: members read it; the company's admins change or delete it."""

    queryset = Team.objects.none()  # for the schema; get_queryset() scopes to the user

    serializer_class = serializers.TeamSerializer
    permission_classes = [IsAuthenticated, CompanyRolePermission]
    lookup_value_regex = r"\d+"
    required_roles = {"partial_update": {Role.ADMIN}, "destroy": {Role.ADMIN}}

    def get_queryset(self):
        return selectors.team_list_visible_to(self.request.user)

    @extend_schema(request=serializers.TeamWriteSerializer, responses=serializers.TeamSerializer)
    def partial_update(self, request, pk=None):
        team = self.get_object()
        payload = serializers.TeamWriteSerializer(
            data=request.data, partial=True, company=team.company
        )
        payload.is_valid(raise_exception=True)
        team = services.team_update(team=team, data=payload.validated_data)
        return Response(serializers.TeamSerializer(team).data)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        services.team_delete(team=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["users"], responses=serializers.CompanySerializer(many=True))
class UserCompanyListView(mixins.ListModelMixin, viewsets.GenericViewSet):
    """`users/{id}/companies`: that person's companies, among those you can see."""

    queryset = Company.objects.none()  # for the schema; get_queryset() scopes to the user

    serializer_class = serializers.CompanySerializer
    ordering_fields = ["id", "legal_name"]
    ordering = ["id"]
    search_fields = ["legal_name", "trading_name"]
    filterset_class = CompanyFilter

    def get_queryset(self):
        person = user_get_visible_to(self.request.user, self.kwargs["user_id"])
        return selectors.company_list_visible_to(self.request.user).filter(memberships__user=person)

    @classmethod
    def as_view(cls, **initkwargs):
        return super().as_view({"get": "list"}, **initkwargs)
