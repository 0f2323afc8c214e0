from datetime import timedelta

from django.utils import timezone

from business.models import FeatureFlag, Offer, Subscription
from core import demo

FLAGS = [
    ("new-dashboard", True, "The redesigned dashboard, rolled out to half of the users.", {"rules": {"percentage": 50}}),
    ("pro-exports", True, "Scheduled exports for Pro subscribers.", {"rules": {"plans": ["pro"]}}),
    ("dark-mode", True, "Dark theme for everyone.", {}),
    ("legacy-reports", False, "The old reports page (switched off).", {}),
]


@demo.provider("feature flags, offers (one expired) and the demo user's subscriptions (MRR and churn)")
def load(user, say):
    now = timezone.now()
    for key, enabled, description, metadata in FLAGS:
        FeatureFlag.objects.update_or_create(key=key, defaults={"enabled": enabled, "description": description, "metadata": metadata})
    offers = [
        ("launch-20", "Launch offer", "pro", 20, now - timedelta(days=10), now + timedelta(days=20)),
        ("annual-15", "Annual plan discount", "pro-annual", 15, None, None),
        ("spring-sale", "Spring sale (ended)", "pro", 30, now - timedelta(days=90), now - timedelta(days=60)),
    ]
    for key, name, plan_type, discount, valid_from, valid_to in offers:
        Offer.objects.update_or_create(key=key, defaults={
            "name": name, "plan_type": plan_type, "discount": discount, "valid_from": valid_from,
            "valid_to": valid_to, "enabled": True, "description": f"{discount} % off {plan_type}.",
        })
    # The demo user moved from Starter (cancelled a week ago) to Pro and keeps an add-on: MRR and churn
    # are both non-zero.
    subscriptions = [
        ("sub_demo_pro", "pro", "active", 2900, now - timedelta(days=8), None),
        ("sub_demo_starter", "starter", "canceled", 900, now - timedelta(days=120), now - timedelta(days=7)),
        ("sub_demo_storage", "extra-storage", "active", 500, now - timedelta(days=65), None),
    ]
    for stripe_id, plan, status, amount, started, canceled in subscriptions:
        period_start = canceled or now - timedelta(days=8)  # (a monthly period that renews in three weeks)
        Subscription.objects.update_or_create(stripe_id=stripe_id, defaults={
            "user": user, "plan": plan, "status": status, "amount_cents": amount, "currency": "usd",
            "interval": "month", "started_at": started, "canceled_at": canceled,
            "current_period_start": period_start, "current_period_end": period_start + timedelta(days=30),
            "last_event_created": canceled or started, "last_event_type": "customer.subscription.updated",
        })
    say(f"{len(FLAGS)} feature flags, {len(offers)} offers (one expired), the Pro plan (Starter cancelled a week ago)")
