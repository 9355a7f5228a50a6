from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import SearchFilter
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.filters import FilterBackend
from core.serializers import refuse_body
from homes import selectors, services
from homes.api import filters, serializers
from homes.api.permissions import HomeRolePermission
from homes.models import Bill, Home, HomeMember, ObjectRole, Routine, Rule, Task

HOME_ID = OpenApiParameter("home_id", OpenApiTypes.INT, OpenApiParameter.PATH)
ADMIN = {HomeMember.Role.ADMIN}
MEMBER = {ObjectRole.MEMBER}
ADMIN_OR_CREDITOR = {HomeMember.Role.ADMIN, ObjectRole.CREDITOR}
# Task lists: tasks without a deadline come last however `due_at` is sorted.
TASK_FILTER_BACKENDS = [FilterBackend, SearchFilter, filters.UndatedLastOrderingFilter]


class HomeScopedMixin:
    """Views under `homes/{home_id}/...`: the home is loaded once through the selector, so
    a home the user cannot see is a 404 for every action."""

    permission_classes = [IsAuthenticated, HomeRolePermission]
    lookup_value_regex = r"\d+"

    def get_home(self) -> Home:
        if not hasattr(self, "_home"):
            self._home = selectors.home_get_visible_to(
                self.request.user, int(self.kwargs["home_id"])
            )
        return self._home

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if "home_id" in self.kwargs:
            context["home"] = self.get_home()
        return context


def _write(serializer_class, request, *, partial: bool = False, context: dict | None = None):
    payload = serializer_class(data=request.data, partial=partial, context=context or {})
    payload.is_valid(raise_exception=True)
    return payload.validated_data


# --- Homes -----------------------------------------------------------------------------------


@extend_schema(tags=["homes"])
class HomeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Homes the user lives in. Anyone may create one (and becomes its admin)."""

    serializer_class = serializers.HomeSerializer
    permission_classes = [IsAuthenticated, HomeRolePermission]
    lookup_value_regex = r"\d+"
    filterset_class = filters.HomeFilter
    search_fields = ["name", "address"]
    ordering_fields = ["id", "name", "created_at"]
    ordering = ["id"]
    required_roles = {
        "partial_update": ADMIN,
        "destroy": ADMIN,
        "photo": ADMIN,
        "balances": MEMBER,
    }

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return Home.objects.none()
        return selectors.home_list_visible_to(self.request.user)

    @extend_schema(
        request=serializers.HomeWriteSerializer, responses={201: serializers.HomeSerializer}
    )
    def create(self, request):
        data = _write(serializers.HomeWriteSerializer, request)
        home = services.home_create(user=request.user, data=data)
        home = selectors.home_get_visible_to(request.user, home.pk)
        return Response(
            self.get_serializer(home).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=serializers.HomeWriteSerializer, responses=serializers.HomeSerializer)
    def partial_update(self, request, pk=None):
        home = self.get_object()
        data = _write(serializers.HomeWriteSerializer, request, partial=True)
        services.home_update(home=home, data=data)
        return Response(
            self.get_serializer(selectors.home_get_visible_to(request.user, home.pk)).data
        )

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        services.home_delete(home=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        methods=["PUT"],
        request={"multipart/form-data": serializers.HomePhotoSerializer},
        responses=serializers.HomeSerializer,
        description="Upload the home's photo (multipart/form-data, field `photo`).",
    )
    @extend_schema(methods=["DELETE"], responses={200: serializers.HomeSerializer})
    @action(
        detail=True,
        methods=["put", "delete"],
        parser_classes=[MultiPartParser],
        pagination_class=None,
        filter_backends=[],
    )
    def photo(self, request, pk=None):
        """Set the home's photo (PUT, multipart) or remove it (DELETE)."""
        home = self.get_object()
        if request.method == "DELETE":
            photo = None
        else:
            photo = _write(serializers.HomePhotoSerializer, request)["photo"]
        services.home_update(home=home, data={"photo": photo})
        return Response(
            self.get_serializer(selectors.home_get_visible_to(request.user, home.pk)).data
        )

    @extend_schema(responses=serializers.BalancesSerializer)
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def balances(self, request, pk=None):
        """Net position of each member over unpaid bills and the transfers that settle them
        (largest debtor pays largest creditor, repeatedly)."""
        home = self.get_object()
        net = selectors.home_net_balances(home)
        names = selectors.user_names(set(net))
        transfers = services.settle(net)
        body = {
            "members": [
                {"user": user_id, "name": names.get(user_id, ""), "net": amount}
                for user_id, amount in sorted(net.items(), key=lambda item: (item[1], item[0]))
            ],
            "transfers": [
                {
                    "debtor": transfer.debtor_id,
                    "debtor_name": names.get(transfer.debtor_id, ""),
                    "creditor": transfer.creditor_id,
                    "creditor_name": names.get(transfer.creditor_id, ""),
                    "amount": transfer.amount,
                }
                for transfer in transfers
            ],
        }
        return Response(serializers.BalancesSerializer(body).data)


class InvitationAcceptView(APIView):
    """Accept an invitation sent to the logged-in user's e-mail and join its home."""

    @extend_schema(
        tags=["homes"],
        request=None,
        responses={201: serializers.MemberSerializer},
        parameters=[OpenApiParameter("token", OpenApiTypes.STR, OpenApiParameter.PATH)],
    )
    def post(self, request, token: str):
        refuse_body(request)
        member = services.invitation_accept(user=request.user, token=token)
        return Response(serializers.MemberSerializer(member).data, status=status.HTTP_201_CREATED)


# --- Members ---------------------------------------------------------------------------------


@extend_schema(tags=["homes"], parameters=[HOME_ID])
class HomeMemberViewSet(HomeScopedMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """People living in a home. Admins invite, change roles and remove; anyone may leave
    (DELETE on their own user id)."""

    serializer_class = serializers.MemberSerializer
    lookup_field = "user_id"
    lookup_url_kwarg = "user_id"
    filterset_class = filters.MemberFilter
    search_fields = ["user__name", "user__email"]
    ordering_fields = ["id", "points", "created_at", "user__name"]
    ordering = ["id"]
    required_roles = {
        "list": MEMBER,
        "create": ADMIN,
        "partial_update": ADMIN,
        "destroy": {HomeMember.Role.ADMIN, ObjectRole.SELF},
    }

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return HomeMember.objects.none()
        return selectors.member_list(self.get_home())

    @extend_schema(
        request=serializers.InviteSerializer,
        responses={201: serializers.InviteResultSerializer},
    )
    def create(self, request, home_id=None):
        data = _write(serializers.InviteSerializer, request)
        result = services.member_invite(
            home=self.get_home(), invited_by=request.user, email=data["email"], role=data["role"]
        )
        body = {"status": result.status, "member": result.member, "invitation": result.invitation}
        return Response(
            serializers.InviteResultSerializer(body).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        request=serializers.MemberUpdateSerializer,
        responses=serializers.MemberSerializer,
        parameters=[OpenApiParameter("user_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
    )
    def partial_update(self, request, home_id=None, user_id=None):
        member = self.get_object()
        data = _write(serializers.MemberUpdateSerializer, request, partial=True)
        if "role" in data:  # a PATCH without it changes nothing
            member = services.member_change_role(member=member, role=data["role"])
        return Response(self.get_serializer(member).data)

    @extend_schema(
        responses={204: None},
        parameters=[OpenApiParameter("user_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
    )
    def destroy(self, request, home_id=None, user_id=None):
        services.member_remove(member=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["homes"], parameters=[HOME_ID])
class LeaderboardViewSet(HomeScopedMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Members ranked by the points of tasks they completed in a period (`since`, `until`);
    without a period, by all the points they ever earned here."""

    serializer_class = serializers.LeaderboardEntrySerializer
    filterset_class = filters.LeaderboardFilter
    search_fields = ["user__name"]
    ordering_fields = ["period_points", "points"]
    required_roles = {"list": MEMBER}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return HomeMember.objects.none()
        return selectors.member_list(self.get_home())


# --- Rules -----------------------------------------------------------------------------------


@extend_schema(tags=["homes"], parameters=[HOME_ID])
class HomeRuleViewSet(HomeScopedMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = serializers.RuleSerializer
    filterset_class = filters.RuleFilter
    search_fields = ["text"]
    ordering_fields = ["id", "created_at"]
    ordering = ["id"]
    required_roles = {"list": MEMBER, "create": ADMIN}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return Rule.objects.none()
        return selectors.rule_list_visible_to(self.request.user).filter(home=self.get_home())

    @extend_schema(
        request=serializers.RuleWriteSerializer, responses={201: serializers.RuleSerializer}
    )
    def create(self, request, home_id=None):
        data = _write(serializers.RuleWriteSerializer, request)
        rule = services.rule_create(home=self.get_home(), user=request.user, text=data["text"])
        return Response(self.get_serializer(rule).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["homes"])
class RuleViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = serializers.RuleSerializer
    permission_classes = [IsAuthenticated, HomeRolePermission]
    lookup_value_regex = r"\d+"
    required_roles = {"partial_update": ADMIN, "destroy": ADMIN}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return Rule.objects.none()
        return selectors.rule_list_visible_to(self.request.user)

    @extend_schema(request=serializers.RuleWriteSerializer, responses=serializers.RuleSerializer)
    def partial_update(self, request, pk=None):
        rule = self.get_object()
        data = _write(serializers.RuleWriteSerializer, request, partial=True)
        if "text" in data:  # a PATCH without it changes nothing
            rule = services.rule_update(rule=rule, **data)
        return Response(self.get_serializer(rule).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        services.rule_delete(rule=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Routines --------------------------------------------------------------------------------


@extend_schema(tags=["homes"], parameters=[HOME_ID])
class HomeRoutineViewSet(HomeScopedMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = serializers.RoutineSerializer
    filterset_class = filters.RoutineFilter
    search_fields = ["name", "description"]
    ordering_fields = ["id", "name", "time_limit", "created_at"]
    ordering = ["id"]
    required_roles = {"list": MEMBER, "create": ADMIN}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return Routine.objects.none()
        return selectors.routine_list_visible_to(self.request.user).filter(home=self.get_home())

    @extend_schema(
        request=serializers.RoutineWriteSerializer,
        responses={201: serializers.RoutineSerializer},
    )
    def create(self, request, home_id=None):
        home = self.get_home()
        data = _write(serializers.RoutineWriteSerializer, request, context={"home": home})
        routine = services.routine_create(home=home, user=request.user, data=data)
        return Response(self.get_serializer(routine).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["homes"])
class RoutineViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = serializers.RoutineSerializer
    permission_classes = [IsAuthenticated, HomeRolePermission]
    lookup_value_regex = r"\d+"
    required_roles = {"partial_update": ADMIN, "destroy": ADMIN}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return Routine.objects.none()
        return selectors.routine_list_visible_to(self.request.user)

    @extend_schema(
        request=serializers.RoutineWriteSerializer, responses=serializers.RoutineSerializer
    )
    def partial_update(self, request, pk=None):
        routine = self.get_object()
        data = _write(
            serializers.RoutineWriteSerializer,
            request,
            partial=True,
            context={"home": routine.home},
        )
        routine = services.routine_update(routine=routine, data=data)
        return Response(self.get_serializer(routine).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        services.routine_delete(routine=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Tasks -----------------------------------------------------------------------------------


@extend_schema(tags=["homes"], parameters=[HOME_ID])
class HomeTaskViewSet(HomeScopedMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = serializers.TaskSerializer
    filter_backends = TASK_FILTER_BACKENDS
    filterset_class = filters.TaskFilter
    search_fields = ["title", "description"]
    ordering_fields = ["id", "due_at", "points", "status", "created_at"]
    ordering = ["due_at", "id"]
    required_roles = {"list": MEMBER, "create": MEMBER}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return Task.objects.none()
        return selectors.task_list_visible_to(self.request.user).filter(home=self.get_home())

    @extend_schema(
        request=serializers.TaskWriteSerializer, responses={201: serializers.TaskSerializer}
    )
    def create(self, request, home_id=None):
        home = self.get_home()
        data = _write(serializers.TaskWriteSerializer, request, context={"home": home})
        task = services.task_create(home=home, user=request.user, data=data)
        return Response(self.get_serializer(task).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["homes"])
class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """`GET tasks` lists the tasks of every home the user lives in; `mine=true` keeps those
    assigned to them (an "everyone" routine's task for them included)."""

    serializer_class = serializers.TaskSerializer
    permission_classes = [IsAuthenticated, HomeRolePermission]
    lookup_value_regex = r"\d+"
    filter_backends = TASK_FILTER_BACKENDS
    filterset_class = filters.MyTaskFilter
    search_fields = ["title", "description", "home__name"]
    ordering_fields = ["id", "due_at", "points", "status", "created_at"]
    ordering = ["due_at", "id"]
    required_roles = {
        "partial_update": {HomeMember.Role.ADMIN, ObjectRole.AUTHOR},
        "destroy": {HomeMember.Role.ADMIN, ObjectRole.AUTHOR},
        "complete": {HomeMember.Role.ADMIN, ObjectRole.ASSIGNEE},
        "approve": ADMIN,
        "send_back": ADMIN,
        "comments": MEMBER,
    }

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return Task.objects.none()
        return selectors.task_list_visible_to(self.request.user)

    @extend_schema(request=serializers.TaskWriteSerializer, responses=serializers.TaskSerializer)
    def partial_update(self, request, pk=None):
        task = self.get_object()
        data = _write(
            serializers.TaskWriteSerializer, request, partial=True, context={"home": task.home}
        )
        task = services.task_update(task=task, user=request.user, data=data)
        return Response(self.get_serializer(task).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        services.task_delete(task=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=serializers.TaskSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def complete(self, request, pk=None):
        """Mark the task done and award its points once (409 if it is already done). In a
        home that asks for review, a resident's completion waits for an admin
        (`in_review`)."""
        task = self.get_object()
        refuse_body(request)
        task = services.task_complete(task=task, user=request.user)
        return Response(self.get_serializer(task).data)

    @extend_schema(request=None, responses=serializers.TaskSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def approve(self, request, pk=None):
        """An admin accepts a task in review: done, and its points awarded once."""
        task = self.get_object()
        refuse_body(request)
        task = services.task_approve(task=task, user=request.user)
        return Response(self.get_serializer(task).data)

    @extend_schema(request=serializers.TaskSendBackSerializer, responses=serializers.TaskSerializer)
    @action(detail=True, methods=["post"], url_path="send-back", filter_backends=[])
    def send_back(self, request, pk=None):
        """An admin returns a task in review to pending; the note becomes a comment."""
        task = self.get_object()
        data = _write(serializers.TaskSendBackSerializer, request)
        task = services.task_send_back(task=task, user=request.user, note=data["note"])
        return Response(self.get_serializer(task).data)

    @extend_schema(
        methods=["GET"],
        request=None,
        responses=serializers.TaskCommentSerializer(many=True),
        description="The task's comments, oldest first (paginated).",
    )
    @extend_schema(
        methods=["POST"],
        request=serializers.TaskCommentWriteSerializer,
        responses={201: serializers.TaskCommentSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        filter_backends=[],
        serializer_class=serializers.TaskCommentSerializer,
    )
    def comments(self, request, pk=None):
        """Comments of a task, read and written by the people of its home."""
        task = self.get_object()
        if request.method == "POST":
            data = _write(serializers.TaskCommentWriteSerializer, request)
            comment = services.task_comment_create(task=task, user=request.user, body=data["body"])
            return Response(
                serializers.TaskCommentSerializer(comment).data, status=status.HTTP_201_CREATED
            )
        page = self.paginate_queryset(selectors.task_comment_list(task))
        return self.get_paginated_response(serializers.TaskCommentSerializer(page, many=True).data)


# --- Bills -----------------------------------------------------------------------------------


@extend_schema(tags=["homes"], parameters=[HOME_ID])
class HomeBillViewSet(HomeScopedMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = serializers.BillSerializer
    filterset_class = filters.BillFilter
    search_fields = ["description"]
    ordering_fields = ["id", "amount", "due_date", "created_at"]
    ordering = ["-id"]
    required_roles = {"list": MEMBER, "create": MEMBER}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return Bill.objects.none()
        return selectors.bill_list_visible_to(self.request.user).filter(home=self.get_home())

    @extend_schema(
        request=serializers.BillCreateSerializer, responses={201: serializers.BillSerializer}
    )
    def create(self, request, home_id=None):
        home = self.get_home()
        data = _write(serializers.BillCreateSerializer, request, context={"home": home})
        bill = services.bill_create(home=home, user=request.user, data=data)
        return Response(self.get_serializer(bill).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["homes"])
class BillViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """`GET bills` lists the bills the user owes or is owed, across homes."""

    serializer_class = serializers.BillSerializer
    permission_classes = [IsAuthenticated, HomeRolePermission]
    lookup_value_regex = r"\d+"
    filterset_class = filters.BillFilter
    search_fields = ["description", "home__name"]
    ordering_fields = ["id", "amount", "due_date", "created_at"]
    ordering = ["-id"]
    required_roles = {
        "partial_update": ADMIN_OR_CREDITOR,
        "destroy": ADMIN_OR_CREDITOR,
        "pay": ADMIN_OR_CREDITOR,
        "report_payment": {ObjectRole.DEBTOR},
        "confirm_payment": ADMIN_OR_CREDITOR,
        "reject_payment": ADMIN_OR_CREDITOR,
        "mark_unpaid": ADMIN_OR_CREDITOR,
    }

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return Bill.objects.none()
        if self.action == "list":
            return selectors.bill_list_mine(self.request.user)
        return selectors.bill_list_visible_to(self.request.user)

    @extend_schema(request=serializers.BillUpdateSerializer, responses=serializers.BillSerializer)
    def partial_update(self, request, pk=None):
        bill = self.get_object()
        data = _write(serializers.BillUpdateSerializer, request, partial=True)
        return Response(self.get_serializer(services.bill_update(bill=bill, data=data)).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        services.bill_delete(bill=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=serializers.BillSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def pay(self, request, pk=None):
        """Mark the bill paid (the creditor or an admin, never its debtor); 409 if it
        already is."""
        bill = self.get_object()
        refuse_body(request)
        bill = services.bill_pay(bill=bill, user=request.user)
        return Response(self.get_serializer(bill).data)

    @extend_schema(request=None, responses=serializers.BillSerializer)
    @action(detail=True, methods=["post"], url_path="report-payment", filter_backends=[])
    def report_payment(self, request, pk=None):
        """The debtor says they paid; the bill waits for the creditor (`payment_reported`)."""
        bill = self.get_object()
        refuse_body(request)
        bill = services.bill_report_payment(bill=bill)
        return Response(self.get_serializer(bill).data)

    @extend_schema(request=None, responses=serializers.BillSerializer)
    @action(detail=True, methods=["post"], url_path="confirm-payment", filter_backends=[])
    def confirm_payment(self, request, pk=None):
        """The creditor (or an admin) confirms the reported payment: paid."""
        bill = self.get_object()
        refuse_body(request)
        bill = services.bill_confirm_payment(bill=bill, user=request.user)
        return Response(self.get_serializer(bill).data)

    @extend_schema(request=None, responses=serializers.BillSerializer)
    @action(detail=True, methods=["post"], url_path="reject-payment", filter_backends=[])
    def reject_payment(self, request, pk=None):
        """The creditor (or an admin) rejects the reported payment: unpaid again."""
        bill = self.get_object()
        refuse_body(request)
        bill = services.bill_reject_payment(bill=bill, user=request.user)
        return Response(self.get_serializer(bill).data)

    @extend_schema(request=None, responses=serializers.BillSerializer)
    @action(detail=True, methods=["post"], url_path="mark-unpaid", filter_backends=[])
    def mark_unpaid(self, request, pk=None):
        """The creditor or an admin sets a paid bill back to unpaid."""
        bill = self.get_object()
        refuse_body(request)
        bill = services.bill_mark_unpaid(bill=bill)
        return Response(self.get_serializer(bill).data)
