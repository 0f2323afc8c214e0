from django import forms

from sessions_app.models import DraftFile, ResearchSession


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
