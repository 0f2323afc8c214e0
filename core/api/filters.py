import django_filters


class FilterSet(django_filters.FilterSet):
    """django-filter reads an empty parameter (`?status=`) as no filter at all, as an HTML form
    would send it; an API client that sends one sent an invalid value (not a date, not a choice)."""

    def is_valid(self):
        valid = super().is_valid()
        blank = [name for name in self.form.fields if self.data.get(name) == ""]
        for name in blank:
            self.form.add_error(name, "This field may not be blank.")
        return valid and not blank
