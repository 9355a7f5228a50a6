from core.filters import FilterSet, IdFilter
from desk.models import CannedReply


class CannedReplyFilter(FilterSet):
    company = IdFilter(field_name="company_id")
    team = IdFilter(field_name="team_id")

    class Meta:
        model = CannedReply
        fields = []
