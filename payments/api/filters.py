import django_filters

from core.filters import ChoicesFilter, IdFilter, IsoDateTimeFilter
from payments.models import Donation, PaymentMethod


class PaymentMethodFilter(django_filters.FilterSet):
    class Meta:
        model = PaymentMethod
        fields = ["brand"]


class DonationFilter(django_filters.FilterSet):
    # A plain number, not a choice: an unknown and a hidden NGO id both give an empty page.
    ong = IdFilter(field_name="ong_id")
    status = ChoicesFilter(choices=Donation.Status.choices)
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Donation
        fields = ["status", "ong", "created_after", "created_before"]
