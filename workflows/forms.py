import json

from django import forms

from chat import services as chat_services
from core import jsontext
from workflows import definition, scheduler
from workflows.models import Provider, UserIntegration, Workflow

EXAMPLE = {"steps": [
    {"id": "ask", "kind": "ask_chat", "params": {"question": "sessions last 7 days"}},
    {"id": "pause", "kind": "wait", "needs": ["ask"], "params": {"seconds": 1}},
]}


def _json(text: str, what: str):
    try:
        return jsontext.loads(text.encode())
    except jsontext.JSONTextError as exc:
        raise forms.ValidationError(f"{what} is not valid JSON: {exc}") from None


class WorkflowForm(forms.ModelForm):
    """The editor: the definition as JSON text, checked like the API checks it (each problem listed
    with the step's place)."""

    definition = forms.CharField(widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "false", "class": "code"}),
                                 help_text="JSON: {\"steps\": [{\"id\", \"kind\", \"needs\", \"params\", \"retry\"}]}")

    class Meta:
        model = Workflow
        fields = ["name", "description", "definition", "schedule", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"schedule": "Optional cron expression (UTC), e.g. “0 7 * * 1” for Mondays at 07:00."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        value = self.instance.definition if self.instance.pk else EXAMPLE
        self.initial["definition"] = json.dumps(value, indent=2)

    def clean_definition(self):
        value = _json(self.cleaned_data["definition"], "The definition")
        try:
            return definition.validate(value)
        except definition.DefinitionInvalid as exc:
            raise forms.ValidationError([f"{place}: {message}" for place, messages in exc.fields.items() for message in messages]) from None

    def clean_schedule(self):
        value = " ".join(self.cleaned_data["schedule"].split())
        if value and not scheduler.is_valid(value):
            raise forms.ValidationError("A cron expression of five fields (minute hour day month weekday, UTC).")
        return value


class RunForm(forms.Form):
    input = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4, "class": "code"}), initial="{}",
                            help_text="A JSON object: the execution's input ({{input.<field>}} in the steps).")

    def clean_input(self):
        value = _json(self.cleaned_data["input"] or "{}", "The input")
        if not isinstance(value, dict):
            raise forms.ValidationError("The input is a JSON object.")
        return value


class IntegrationForm(forms.Form):
    provider = forms.ChoiceField(choices=Provider.choices)
    name = forms.CharField(max_length=200)
    url = forms.URLField(required=False, max_length=2000, assume_scheme="https", help_text="webhook and slack_webhook")
    signing_secret = forms.CharField(required=False, max_length=500, widget=forms.PasswordInput,
                                     help_text="webhook: requests are signed with it (HMAC-SHA256)")
    ga4_credential = forms.UUIDField(required=False, widget=forms.Select, help_text="ga4: one of your connected properties")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["ga4_credential"].widget.choices = [("", "—")] + chat_services.credential_choices(user)

    def clean(self):
        data = super().clean()
        if data.get("provider") == Provider.GA4:
            try:
                if chat_services.credential_for(self.user, data.get("ga4_credential")) is None:
                    self.add_error("ga4_credential", "Choose one of your GA4 properties.")
            except chat_services.CredentialNotYours:
                self.add_error("ga4_credential", "Not one of your GA4 properties.")
        elif data.get("provider") and not data.get("url"):
            self.add_error("url", "This field is required.")
        return data

    def save(self) -> UserIntegration:
        data = self.cleaned_data
        integration = UserIntegration(user=self.user, provider=data["provider"], name=data["name"])
        if data["provider"] == Provider.GA4:
            integration.ga4_credential_id = data["ga4_credential"]
        else:
            integration.config = {"url": data["url"], **({"signing_secret": data["signing_secret"]} if data["signing_secret"] else {})}
        integration.save()
        return integration
