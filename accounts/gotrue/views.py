"""Supabase Auth's HTTP API (GoTrue) under /auth/v1/, the part Supabase's client libraries use for
email + password accounts: sign-up, the password and refresh_token grants, logout scopes, the user,
MFA (accounts.gotrue.mfa). Requests carry the project's key in `apikey` (accounts.projectkeys).

Like GoTrue, these views write Supabase Auth's own tables as the connection role (no RLS), each
request in one transaction; their errors are GoTrue's (accounts.gotrue.errors)."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import google, passwords, projectkeys, services, sessions, signals
from accounts.authentication import SupabaseJWTAuthentication
from accounts.gotrue import errors, shapes
from accounts.gotrue.errors import GoTrueError
from accounts.models import AuthUser, Identity
from core.netaddr import client_ip

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
VERSION = "v2.180.0-compatible"


class GoTrueView(APIView):
    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    needs_api_key = True
    schema = None  # GoTrue's API is Supabase's to document, not part of /api/schema/

    def get_exception_handler(self):
        return errors.exception_handler

    def dispatch(self, request, *args, **kwargs):
        with transaction.atomic():
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        if self.needs_api_key:
            key = request.headers.get("apikey") or request.query_params.get("apikey") or ""
            if not key:
                raise GoTrueError(401, "no_authorization", "No API key found in request")
            if projectkeys.role_of(key) is None:
                raise GoTrueError(401, "no_authorization", "Invalid API key")
        super().initial(request, *args, **kwargs)

    def body(self, request) -> dict:
        data = request.data
        if not isinstance(data, dict):
            raise GoTrueError(400, "bad_json", "The request body must be a JSON object.")
        return data

    @staticmethod
    def text(data: dict, name: str, *, limit: int = 1024) -> str:
        value = data.get(name)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise GoTrueError(400, "bad_json", f"{name} must be a string.")
        if len(value) > limit:
            raise GoTrueError(400, "validation_failed", f"{name} is too long.")
        return value

    @staticmethod
    def metadata(data: dict) -> dict | None:
        value = data.get("data")
        if value is None:
            return None
        if not isinstance(value, dict):
            raise GoTrueError(400, "bad_json", "data must be a JSON object.")
        return value

    def get_authenticate_header(self, request):
        return 'Bearer realm="auth"'


class UserView(GoTrueView):
    """Views for a signed-in user: a valid access token whose session is still live."""

    authentication_classes = [SupabaseJWTAuthentication]
    permission_classes = [permissions.IsAuthenticated]

    @staticmethod
    def session_id(request):
        return request.auth.get("session_id")


def check_password_strength(password: str, user=None) -> None:
    if len(password.encode()) > passwords.MAX_BYTES:
        raise GoTrueError(422, "weak_password", f"Password should be at most {passwords.MAX_BYTES} bytes.",
                          weak_password={"reasons": ["length"]})
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise GoTrueError(422, "weak_password", " ".join(exc.messages),
                          weak_password={"reasons": sorted({e.code or "weak" for e in exc.error_list})}) from exc


class Health(GoTrueView):
    needs_api_key = False

    def get(self, request):
        return Response({"version": VERSION, "name": "GoTrue", "description": "GoTrue is a user registration and authentication API"})


class Settings(GoTrueView):
    def get(self, request):
        return Response({
            "external": {"anonymous_users": False, "email": True, "phone": False, "google": google.configured()},
            "disable_signup": False, "mailer_autoconfirm": True, "phone_autoconfirm": False,
            "sms_provider": "", "saml_enabled": False,
        })


class SignUp(GoTrueView):
    def post(self, request):
        data = self.body(request)
        email, password = self.text(data, "email", limit=255), self.text(data, "password")
        metadata = self.metadata(data)
        if self.text(data, "phone"):
            raise GoTrueError(422, "phone_provider_disabled", "Phone signups are disabled")
        if not email:
            raise GoTrueError(400, "validation_failed", "To signup, please provide your email")
        if not password:
            raise GoTrueError(400, "validation_failed", "Signup requires a valid password")
        try:
            validate_email(email)
        except ValidationError as exc:
            raise GoTrueError(400, "email_address_invalid", "Unable to validate email address: invalid format") from exc
        throttle = services.SignUpThrottle(client_ip(request))
        if throttle.blocked():
            raise GoTrueError(429, "over_request_rate_limit", "Request rate limit reached")
        throttle.fail()  # every attempt counts
        check_password_strength(password)
        try:
            user = services.sign_up(email, password, metadata)
        except services.SignInError as exc:
            raise GoTrueError(422, "user_already_exists", "User already registered") from exc
        grant = sessions.grant(user, sessions.start(user, request), grant_type="signup")
        return Response(shapes.token_response(grant), headers=NO_STORE)


class Token(GoTrueView):
    def post(self, request):
        grant_type = request.query_params.get("grant_type", "")
        data = self.body(request)
        if grant_type == "password":
            grant = self.password(request, data)
        elif grant_type == "refresh_token":
            token = self.text(data, "refresh_token")
            if len(token) < 12:
                raise GoTrueError(400, "validation_failed", "Refresh token is not valid")
            try:
                grant = sessions.refresh(token, request)
            except sessions.GrantError as exc:
                raise GoTrueError(exc.status, exc.code, exc.message) from exc
        else:
            raise GoTrueError(400, "invalid_credentials", "unsupported_grant_type")
        return Response(shapes.token_response(grant), headers=NO_STORE)

    def password(self, request, data):
        email, password = self.text(data, "email", limit=255), self.text(data, "password")
        if self.text(data, "phone"):
            raise GoTrueError(422, "phone_provider_disabled", "Phone logins are disabled")
        if not email:
            raise GoTrueError(400, "validation_failed", "missing email or phone")
        try:
            user = services.sign_in(email, password, client_ip(request))
        except services.SignInError as exc:
            if exc.code == "too_many_attempts":
                raise GoTrueError(429, "over_request_rate_limit", "Request rate limit reached") from exc
            if exc.code == "user_banned":
                raise GoTrueError(400, "user_banned", "User is banned") from exc
            raise GoTrueError(400, "invalid_credentials", "Invalid login credentials") from exc
        return sessions.grant(user, sessions.start(user, request))


class Logout(UserView):
    SCOPES = ("global", "local", "others")

    def post(self, request):
        scope = request.query_params.get("scope") or "global"
        if scope not in self.SCOPES:
            raise GoTrueError(400, "validation_failed", f"Unsupported logout scope {scope[:20]!r}")
        sessions.end_for_user(request.user, scope, self.session_id(request))
        signals.logged_out.send(AuthUser, user=request.user, scope=scope)
        return Response(status=204)


class User(UserView):
    def get(self, request):
        return Response(shapes.user(AuthUser.objects.get(pk=request.user.pk)), headers=NO_STORE)

    def put(self, request):
        data = self.body(request)
        user = AuthUser.objects.select_for_update().get(pk=request.user.pk)
        email, password = self.text(data, "email", limit=255), self.text(data, "password")
        metadata = self.metadata(data)
        now = timezone.now()
        if self.text(data, "phone"):
            raise GoTrueError(422, "phone_provider_disabled", "Phone logins are disabled")
        if metadata is not None:
            merged = {**(user.raw_user_meta_data or {}), **metadata}
            user.raw_user_meta_data = {key: value for key, value in merged.items() if value is not None}
        if password:
            check_password_strength(password, user)
            if passwords.check_password(password, user.encrypted_password):
                raise GoTrueError(422, "same_password", "New password should be different from the old password.")
            user.encrypted_password = passwords.hash_password(password)
        if email and services.normalize_email(email) != user.email:
            self.change_email(user, email)
        user.updated_at = now
        try:
            with transaction.atomic():
                user.save(update_fields=["raw_user_meta_data", "encrypted_password", "email", "updated_at"])
        except IntegrityError as exc:
            raise GoTrueError(422, "email_exists", "A user with this email address has already been registered") from exc
        if password:
            # A new password ends every other session, as GoTrue does: whoever knew the old one is out.
            sessions.end_for_user(user, "others", self.session_id(request))
        return Response(shapes.user(user), headers=NO_STORE)

    @staticmethod
    def change_email(user: AuthUser, email: str) -> None:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise GoTrueError(400, "email_address_invalid", "Unable to validate email address: invalid format") from exc
        email = services.normalize_email(email)
        if services.find_by_email(email):
            raise GoTrueError(422, "email_exists", "A user with this email address has already been registered")
        user.email = email  # email confirmation is off (mailer_autoconfirm), as for sign-up
        for row in Identity.objects.filter(user=user, provider="email"):
            row.identity_data = {**row.identity_data, "email": email}
            row.updated_at = timezone.now()
            row.save(update_fields=["identity_data", "updated_at"])
