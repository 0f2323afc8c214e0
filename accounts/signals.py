"""What identity tells the rest of the product (the audit trail listens: audit/signals.py). Each is
sent with `sender=AuthUser` and the keyword arguments named here."""

from django.dispatch import Signal

signed_up = Signal()  # user
logged_in = Signal()  # user
login_failed = Signal()  # user (None when no account has the email), email, reason
token_issued = Signal()  # user, expires_in, grant_type
logged_out = Signal()  # user, scope ("local" for a page, or the GoTrue logout scope)
