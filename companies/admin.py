from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from companies.models import Company, Membership, Team
from companies.services import company_set_active


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "cnpj_formatted", "support_email", "is_active", "created_at"]
    list_filter = ["is_active", "closed_order_reply", "created_at"]
    search_fields = ["legal_name", "trading_name", "cnpj", "support_email"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [MembershipInline]
    actions = ["activate", "deactivate"]

    @admin.action(description=_("Activate the selected companies"))
    def activate(self, request, queryset):
        for company in queryset.filter(is_active=False):
            company_set_active(company=company, is_active=True)
        self.message_user(request, _("The selected companies are active."), messages.SUCCESS)

    @admin.action(description=_("Deactivate the selected companies"))
    def deactivate(self, request, queryset):
        for company in queryset.filter(is_active=True):
            company_set_active(company=company, is_active=False)
        self.message_user(request, _("The selected companies are inactive."), messages.SUCCESS)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "company", "role", "created_at"]
    list_filter = ["role", "company"]
    search_fields = ["user__email", "user__name", "company__legal_name", "company__trading_name"]
    list_select_related = ["user", "company"]
    autocomplete_fields = ["user", "company"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "company", "lead", "created_at"]
    list_filter = ["company"]
    search_fields = ["name", "company__legal_name", "company__trading_name"]
    list_select_related = ["company", "lead"]
    autocomplete_fields = ["company", "lead", "agents"]
