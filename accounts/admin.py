from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "is_active", "is_staff", "created_at", "last_login"]
    list_filter = ["is_active", "is_staff", "is_superuser", "deactivated_by_owner", "language"]
    search_fields = ["email", "name", "phone"]
    readonly_fields = ["created_at", "updated_at", "last_login"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (
            _("Profile"),
            {"fields": ["name", "birth_date", "position", "phone", "photo", "language"]},
        ),
        (
            _("Status"),
            {"fields": ["is_active", "deactivated_by_owner", "is_staff", "is_superuser", "groups"]},
        ),
        (_("Dates"), {"fields": ["last_login", "created_at", "updated_at"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "name", "password1", "password2"]}),
    ]
    filter_horizontal = ["groups"]
