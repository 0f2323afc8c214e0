from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from accounts import checks, mfa  # noqa: F401  (checks registers the auth.users check)
        from core import pages

        pages.register_refusal(mfa.page_refusal)  # pages of MFA-required users want an aal2 session
