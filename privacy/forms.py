from django import forms

from privacy.models import AllowedApp, PrivacyPrefs, SignalToggle


class PrefsForm(forms.ModelForm):
    class Meta:
        model = PrivacyPrefs
        fields = ["consent_given", "monitoring_enabled", "data_retention_days", "mfa_required"]
        labels = {"consent_given": "I consent to the desktop agent reporting my activity",
                  "monitoring_enabled": "Monitoring on", "data_retention_days": "Keep my telemetry for (days)",
                  "mfa_required": "Require an authenticator code for these pages and the privacy API"}


class AppForm(forms.ModelForm):
    class Meta:
        model = AllowedApp
        fields = ["app_id", "app_name", "scope"]
        labels = {"app_id": "App id", "app_name": "Name"}


class SignalForm(forms.ModelForm):
    class Meta:
        model = SignalToggle
        fields = ["signal_key", "enabled", "sampling_rate"]
        labels = {"signal_key": "Signal (event type, or file_activity)", "sampling_rate": "Share kept"}
        widgets = {"sampling_rate": forms.NumberInput(attrs={"type": "range", "min": "0", "max": "1", "step": "0.05"})}


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, label="Device name")
