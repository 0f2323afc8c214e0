from django import forms

from partners.models import Partner


class PartnerForm(forms.ModelForm):
    class Meta:
        model = Partner
        fields = ["name", "email"]
        labels = {"email": "Contact email"}
