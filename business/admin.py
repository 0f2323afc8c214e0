from django import forms
from django.contrib import admin

from business import flags
from business.models import BillingEvent, FeatureFlag, MetricsLog, Offer, Subscription
from core.admin import ReadOnlyAdmin


class FeatureFlagForm(forms.ModelForm):
    class Meta:
        model = FeatureFlag
        fields = ["key", "enabled", "description", "metadata"]
        help_texts = {"metadata": 'Targeting under "rules": {"percentage": 25, "users": [ids], "organizations": [ids], '
                                  '"plans": ["pro"]}; any other keys are free. No rules: on for everyone when enabled.'}

    def clean_metadata(self):
        metadata = self.cleaned_data["metadata"]
        try:
            flags.validate_metadata(metadata)
        except flags.InvalidRules as exc:
            raise forms.ValidationError(str(exc), code="invalid_rules") from exc
        return metadata


@admin.register(FeatureFlag)
class FeatureFlagAdmin(admin.ModelAdmin):
    form = FeatureFlagForm
    list_display = ["key", "enabled", "description", "updated_at"]
    list_filter = ["enabled"]
    search_fields = ["key", "description"]


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "plan_type", "discount", "valid_from", "valid_to", "enabled"]
    list_filter = ["enabled", "plan_type"]
    search_fields = ["key", "name"]


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    """Kept by the billing webhook only: staff read, Stripe writes."""

    list_display = ["stripe_id", "user", "plan", "status", "current_period_end", "cancel_at_period_end", "updated_at"]
    list_filter = ["status", "plan", "cancel_at_period_end"]
    search_fields = ["stripe_id", "plan", "user__email"]
    list_select_related = ["user"]


@admin.register(BillingEvent)
class BillingEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "type", "created", "stripe_id", "applied", "processed_at"]
    list_filter = ["type", "applied"]
    search_fields = ["event_id", "stripe_id"]


@admin.register(MetricsLog)
class MetricsLogAdmin(ReadOnlyAdmin):
    list_display = ["ts", "source"]
    list_filter = ["source"]
    date_hierarchy = "ts"
