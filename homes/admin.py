from django.contrib import admin

from homes.models import Bill, Home, HomeInvitation, HomeMember, Routine, Rule, Task, TaskComment


class HomeMemberInline(admin.TabularInline):
    model = HomeMember
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "points"]


@admin.register(Home)
class HomeAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "rent", "tasks_need_review", "created_by", "created_at"]
    list_filter = ["time_zone", "tasks_need_review", "created_at"]
    search_fields = ["name", "address", "created_by__email"]
    list_select_related = ["created_by"]
    autocomplete_fields = ["created_by"]
    inlines = [HomeMemberInline]


@admin.register(HomeMember)
class HomeMemberAdmin(admin.ModelAdmin):
    list_display = ["user", "home", "role", "points", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "user__name", "home__name"]
    list_select_related = ["user", "home"]
    autocomplete_fields = ["user", "home"]


@admin.register(HomeInvitation)
class HomeInvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "home", "role", "invited_by", "expires_at", "accepted_at"]
    list_filter = ["role", "accepted_at", "expires_at"]
    search_fields = ["email", "home__name"]
    list_select_related = ["home", "invited_by"]
    autocomplete_fields = ["home", "invited_by"]
    readonly_fields = ["token_hash"]


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "home", "created_by", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["text", "home__name"]
    list_select_related = ["home", "created_by"]
    autocomplete_fields = ["home", "created_by"]


@admin.register(Routine)
class RoutineAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "home",
        "assignment",
        "responsible",
        "time_limit",
        "points",
        "penalty_amount",
        "valid_until",
    ]
    list_filter = ["assignment", "valid_until"]
    search_fields = ["name", "description", "home__name"]
    list_select_related = ["home", "responsible"]
    autocomplete_fields = ["home", "responsible", "rotation_members", "created_by"]


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["title", "home", "assignee", "due_at", "status", "points", "routine"]
    list_filter = ["status", "due_at"]
    search_fields = ["title", "description", "home__name", "assignee__email"]
    list_select_related = ["home", "assignee", "routine"]
    autocomplete_fields = [
        "home",
        "assignee",
        "routine",
        "completed_by",
        "points_awarded_to",
        "created_by",
    ]
    date_hierarchy = "due_at"


@admin.register(TaskComment)
class TaskCommentAdmin(admin.ModelAdmin):
    list_display = ["task", "author", "kind", "created_at"]
    list_filter = ["kind", "created_at"]
    search_fields = ["body", "task__title", "author__email"]
    list_select_related = ["task", "author"]
    autocomplete_fields = ["task", "author"]


@admin.register(Bill)
class BillAdmin(admin.ModelAdmin):
    list_display = [
        "description",
        "home",
        "debtor",
        "creditor",
        "amount",
        "due_date",
        "is_paid",
        "payment_reported_at",
    ]
    list_filter = ["is_paid", ("payment_reported_at", admin.EmptyFieldListFilter), "due_date"]
    search_fields = ["description", "home__name", "debtor__email", "creditor__email"]
    list_select_related = ["home", "debtor", "creditor"]
    autocomplete_fields = ["home", "debtor", "creditor", "penalty_task", "created_by"]
