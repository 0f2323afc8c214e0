import csv
import io
from datetime import timedelta

from django import forms
from django.utils import timezone

from growth import services

SPEND_COLUMNS = ["platform", "campaign_id", "adset_id", "date", "spend_cents", "clicks", "impressions", "conv"]
INTEGER_COLUMNS = {"spend_cents", "clicks", "impressions", "conv"}
MAX_CSV_BYTES = 5 * 1024 * 1024
MAX_CSV_ROWS = 50_000


class RangeForm(forms.Form):
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    @classmethod
    def default(cls, days=90):
        today = timezone.now().date()
        return {"start": today - timedelta(days=days - 1), "end": today}

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError("The end is before the start.")
            if (end - start).days >= services.MAX_RANGE_DAYS:
                raise forms.ValidationError(f"Choose at most {services.MAX_RANGE_DAYS} days.")
        return data


class SpendImportForm(forms.Form):
    file = forms.FileField(help_text="CSV with a header: " + ", ".join(SPEND_COLUMNS) + " (adset_id, clicks, impressions, conv may be empty).")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_CSV_BYTES:
            raise forms.ValidationError(f"The file is larger than {MAX_CSV_BYTES // (1024 * 1024)} MB.")
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError("The file is not UTF-8 text.") from None
        reader = csv.DictReader(io.StringIO(text))
        missing = {"platform", "campaign_id", "date", "spend_cents"} - set(reader.fieldnames or [])
        if missing:
            raise forms.ValidationError(f"The header lacks {', '.join(sorted(missing))}.")
        unknown = set(reader.fieldnames) - set(SPEND_COLUMNS)
        if unknown:
            raise forms.ValidationError(f"Unknown column(s): {', '.join(sorted(unknown))}.")
        rows = []
        for line, record in enumerate(reader, start=2):
            if len(rows) >= MAX_CSV_ROWS:
                raise forms.ValidationError(f"At most {MAX_CSV_ROWS} rows a file.")
            rows.append((line, self._row(line, record)))
        if not rows:
            raise forms.ValidationError("The file has no rows.")
        return rows

    @staticmethod
    def _row(line: int, record: dict) -> dict:
        if None in record:
            raise forms.ValidationError(f"Line {line}: more values than columns.")
        row = {}
        for key, value in record.items():
            value = (value or "").strip()
            if key in INTEGER_COLUMNS:
                if value == "" and key != "spend_cents":
                    continue
                if not value.isdigit():
                    raise forms.ValidationError(f"Line {line}: {key} must be a whole number (got {value[:20]!r}).")
                row[key] = int(value)
            elif value or key != "adset_id":
                row[key] = value
        return row
