from django.contrib import admin

from payments.models import Donation, PaymentMethod


@admin.register(PaymentMethod)
class PaymentMethodAdmin(admin.ModelAdmin):
    """Only what is stored can be shown: brand, last digits, expiry, holder."""

    list_display = ["id", "user", "brand", "last4", "exp_month", "exp_year", "created_at"]
    list_filter = ["brand", "exp_year"]
    search_fields = ["user__email", "holder_name", "last4"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    exclude = ["gateway_token", "fingerprint"]
    readonly_fields = ["brand", "last4", "created_at", "updated_at"]

    def has_add_permission(self, request) -> bool:
        return False  # cards reach the gateway only through the API


@admin.register(Donation)
class DonationAdmin(admin.ModelAdmin):
    """Read-only: a donation's outcome comes from the gateway, and approved ones are in the
    NGO's ledger."""

    list_display = ["id", "donor", "ong", "amount", "status", "decline_code", "created_at"]
    list_filter = ["status", "decline_code", "created_at"]
    search_fields = ["donor__email", "ong__name", "gateway_reference"]
    list_select_related = ["donor", "ong"]
    autocomplete_fields = ["donor", "payment_method"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
