import datetime

import django_filters


class FilterSet(django_filters.FilterSet):
    """Filters as the schema documents them.

    - django-filter reads an empty parameter (`?status=`) as no filter at all, as an HTML form would
      send it; an API client that sends one sent an invalid value (not a date, not a choice). A free
      text filter (`?event_type=`) may be empty, and then filters nothing, as its schema allows.
    - A date-time may carry any offset up to ±23:59; PostgreSQL takes at most ±15:59, so times are
      compared in UTC.
    """

    def is_valid(self):
        valid = super().is_valid()
        blank = [name for name, f in self.filters.items()
                 if self.data.get(name) == "" and not isinstance(f, django_filters.CharFilter)]
        for name in blank:
            self.form.add_error(name, "This field may not be blank.")
        return valid and not blank

    def filter_queryset(self, queryset):
        for name, value in self.form.cleaned_data.items():
            if isinstance(value, datetime.datetime) and value.tzinfo is not None:
                self.form.cleaned_data[name] = _in_utc(value)
        return super().filter_queryset(queryset)


def _in_utc(value: datetime.datetime) -> datetime.datetime:
    try:
        return value.astimezone(datetime.UTC)
    except OverflowError:  # before year 1 or after 9999 in UTC: no stored time lies beyond either end
        end = datetime.datetime.min if value.year == 1 else datetime.datetime.max
        return end.replace(tzinfo=datetime.UTC)
