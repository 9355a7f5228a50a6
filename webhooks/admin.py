from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.exceptions import DomainError
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from webhooks.ssrf import UnsafeUrl, target_resolve

EDITABLE = ("url", "events", "description", "is_active")


class WebhookEndpointForm(forms.ModelForm):
    """The API's rules in the admin: the SSRF guard on the URL, known events, an active
    company. The secret is not a field: the server makes it."""

    url = forms.URLField(max_length=2000, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["company", *EDITABLE]

    def clean_url(self):
        url = self.cleaned_data["url"].strip()
        try:
            target_resolve(url)
        except UnsafeUrl as exc:
            raise ValidationError(str(exc.message), code=exc.code) from exc
        return url

    def clean_company(self):
        company = self.cleaned_data["company"]
        if not company.is_active:
            raise ValidationError(_("The company is inactive."))
        return company


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["url", "company", "is_active", "events", "created_by", "created_at"]
    list_filter = ["is_active", "created_at"]
    search_fields = ["url", "description", "company__legal_name", "company__trading_name"]
    list_select_related = ["company", "created_by"]
    autocomplete_fields = ["company"]
    readonly_fields = ["secret_hint", "created_by", "created_at", "updated_at"]

    @admin.display(description=_("secret"))
    def secret_hint(self, endpoint: WebhookEndpoint) -> str:
        return f"…{endpoint.secret[-4:]}" if endpoint.secret else "—"

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "company"] if obj else readonly

    def save_model(self, request, obj, form, change):
        data = {field: form.cleaned_data[field] for field in EDITABLE}
        if change:
            stored = WebhookEndpoint.objects.select_related("company").get(pk=obj.pk)
            services.webhook_endpoint_update(endpoint=stored, data=data)
            return
        created = services.webhook_endpoint_create(
            company=form.cleaned_data["company"], actor=request.user, **data
        )
        obj.pk, obj.secret = created.pk, created.secret
        self.message_user(
            request,
            _("Signing secret (shown only now): %(secret)s") % {"secret": created.secret},
            messages.WARNING,
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: read-only, with a "redeliver" action."""

    list_display = [
        "id",
        "endpoint",
        "event",
        "status",
        "attempts",
        "response_code",
        "duration_ms",
        "created_at",
        "delivered_at",
    ]
    list_filter = ["status", "event", "endpoint", "created_at"]
    search_fields = ["event_id", "endpoint__url", "error"]
    list_select_related = ["endpoint"]
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]
    date_hierarchy = "created_at"
    actions = ["redeliver"]

    @admin.action(description=_("Redeliver the selected deliveries"))
    def redeliver(self, request, queryset):
        sent = 0
        for delivery in queryset.select_related("endpoint__company"):
            try:
                services.webhook_delivery_redeliver(delivery=delivery)
            except DomainError as exc:
                self.message_user(request, f"{delivery.pk}: {exc.message}", messages.WARNING)
            else:
                sent += 1
        self.message_user(
            request, _("%(count)d deliveries queued again.") % {"count": sent}, messages.SUCCESS
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
