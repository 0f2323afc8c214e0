from django import forms
from django.template.defaultfilters import filesizeformat

from core import jsontext
from sessions_app.models import AnalysisSession, DraftFile, ResearchSession, ValueType, storage_key_validator
from sessions_app.uploads import ACCEPT_ATTRIBUTE, key_from_file_name


class ResearchSessionForm(forms.ModelForm):
    class Meta:
        model = ResearchSession
        fields = ["title", "status", "stage"]


class DraftFileForm(forms.ModelForm):
    class Meta:
        model = DraftFile
        fields = ["file_name", "content"]
        widgets = {"content": forms.Textarea(attrs={"rows": 14})}

    def __init__(self, *args, session, **kwargs):
        super().__init__(*args, **kwargs)
        self.session = session
        self.instance.session = session

    def clean_content(self):
        return self.cleaned_data["content"].replace("\r\n", "\n")  # browsers send textarea lines as CRLF

    def clean_file_name(self):
        name = self.cleaned_data["file_name"]
        taken = DraftFile.objects.filter(session=self.session, file_name=name).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError("This session already has a file with this name.")
        return name


class AnalysisSessionForm(forms.ModelForm):
    class Meta:
        model = AnalysisSession
        fields = ["name", "analysis_type", "status"]
        help_texts = {"analysis_type": "What kind of analysis, e.g. forecast, churn, describe."}


class StoreValueForm(forms.Form):
    """A text or JSON value typed on the session page (other types come from the API or analyses)."""

    TYPES = [(ValueType.TEXT, "Text"), (ValueType.JSON, "JSON")]

    key = forms.CharField(max_length=255, validators=[storage_key_validator], help_text="Any name without “/”.")
    value_type = forms.ChoiceField(label="Type", choices=TYPES, initial=ValueType.TEXT)
    value = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), strip=False)
    ttl_hours = forms.IntegerField(
        label="Keep for (hours)", required=False, min_value=1, max_value=24 * 365,
        help_text="Empty: the type's default retention.",
    )
    sensitive = forms.BooleanField(label="Sensitive (encrypt at rest, hide until revealed)", required=False)

    def clean_value(self):
        return self.cleaned_data["value"].replace("\r\n", "\n")  # browsers send textarea lines as CRLF

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("value_type") == ValueType.JSON and "value" in cleaned:
            try:
                cleaned["parsed"] = jsontext.loads(cleaned["value"])
            except jsontext.JSONTextError as exc:
                self.add_error("value", str(exc))
        else:
            cleaned["parsed"] = cleaned.get("value")
        return cleaned


class UploadFileForm(forms.Form):
    """A file stored by its type (sessions_app.uploads): CSV → DataFrame, PNG/JPEG/SVG → image,
    JSON → json, .txt/.md → text. The key defaults to the file name without its extension. Its
    fields are prefixed (`upload-key`, `upload-file`, …): the page's other form has a key too."""

    prefix = "upload"
    key = forms.CharField(
        max_length=255, required=False, validators=[storage_key_validator],
        help_text="Empty: the file name without its extension.",
    )
    file = forms.FileField(
        allow_empty_file=True,  # an empty file is refused (and audited) by sessions_app.uploads
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
        help_text="CSV (stored as a DataFrame), PNG, JPEG or SVG, JSON, or text (.txt, .md).",
    )
    ttl_hours = forms.IntegerField(
        label="Keep for (hours)", required=False, min_value=1, max_value=24 * 365,
        help_text="Empty: the type's default retention.",
    )
    sensitive = forms.BooleanField(label="Sensitive (encrypt at rest, hide until revealed)", required=False)

    def __init__(self, *args, max_bytes=None, **kwargs):
        super().__init__(*args, **kwargs)
        if max_bytes:
            self.fields["file"].help_text += f" At most {filesizeformat(max_bytes)}."

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload and not cleaned.get("key") and "key" not in self.errors:
            key = key_from_file_name(upload.name)
            try:
                storage_key_validator(key)
            except forms.ValidationError:
                self.add_error("key", "The file name does not make a valid key; type one (1 to 255 characters, no “/”).")
            else:
                cleaned["key"] = key
        return cleaned


class DescribeForm(forms.Form):
    source_key = forms.ChoiceField(label="DataFrame")
    target_key = forms.CharField(label="Store the result as", max_length=255, validators=[storage_key_validator])

    def __init__(self, *args, dataframe_keys=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source_key"].choices = [(key, key) for key in dataframe_keys]
