import django_filters

from core.api.filters import IdFilter
from forecasting.models import Quota


class QuotaFilter(django_filters.FilterSet):
    user = IdFilter()
    team = IdFilter()
    period_after = django_filters.DateFilter(field_name="period_end", lookup_expr="gte")
    period_before = django_filters.DateFilter(field_name="period_start", lookup_expr="lte")

    class Meta:
        model = Quota
        fields = ["user", "team", "currency"]
