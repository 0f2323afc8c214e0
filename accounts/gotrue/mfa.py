"""GoTrue's MFA endpoints (TOTP): POST /factors, POST /factors/{id}/challenge, POST /factors/{id}/verify,
DELETE /factors/{id} — the work is accounts.mfa's."""

import uuid

from django.conf import settings
from rest_framework.response import Response

from accounts import mfa
from accounts.gotrue import shapes
from accounts.gotrue.errors import GoTrueError
from accounts.gotrue.views import NO_STORE, UserView
from accounts.models import AuthSession
from core.netaddr import client_ip


class FactorView(UserView):
    def current_session(self, request) -> AuthSession:
        session = AuthSession.objects.filter(pk=self.session_id(request), user=request.user).first()
        if session is None:  # a token of no session (not ours): GoTrue needs one here
            raise GoTrueError(403, "session_not_found", "Session from session_id claim in JWT does not exist")
        return session

    def handle_exception(self, exc):
        if isinstance(exc, mfa.MFAError):
            exc = GoTrueError(exc.status, exc.code, exc.message)
        return super().handle_exception(exc)


class Factors(FactorView):
    def post(self, request):
        data = self.body(request)
        factor_type = self.text(data, "factor_type")
        if factor_type != "totp":
            if factor_type in ("phone", "webauthn"):
                raise GoTrueError(422, f"mfa_{factor_type}_enroll_not_enabled", f"MFA enroll is disabled for {factor_type}")
            raise GoTrueError(400, "validation_failed", "factor_type needs to be totp, phone, or webauthn")
        issuer = self.text(data, "issuer", limit=255) or settings.MFA_TOTP_ISSUER
        friendly_name = self.text(data, "friendly_name", limit=255)
        session = self.current_session(request)
        factor, totp = mfa.enroll(request.user, session.aal, friendly_name, issuer)
        body = {"id": str(factor.pk), "type": "totp", "friendly_name": factor.friendly_name or "", "totp": totp}
        return Response(body, headers=NO_STORE)


class Challenge(FactorView):
    def post(self, request, factor_id):
        self.current_session(request)
        found = mfa.challenge(request.user, factor_id, client_ip(request))
        return Response({"id": str(found.pk), "type": "totp",
                         "expires_at": int((found.created_at + mfa.CHALLENGE_LIFETIME).timestamp())})


class Verify(FactorView):
    def post(self, request, factor_id):
        data = self.body(request)
        challenge_id, code = self.text(data, "challenge_id", limit=64), self.text(data, "code", limit=16)
        try:
            challenge_id = uuid.UUID(challenge_id)
        except ValueError as exc:
            raise GoTrueError(400, "validation_failed", "challenge_id must be a UUID") from exc
        # A refusal is an answer, not an exception of the transaction: the challenge's end and the
        # throttle's count are committed with it.
        grant = mfa.verify(request.user, self.current_session(request), factor_id, challenge_id, code, client_ip(request))
        return Response(shapes.token_response(grant), headers=NO_STORE)


class Factor(FactorView):
    def delete(self, request, factor_id):
        removed = mfa.unenroll(request.user, self.current_session(request).aal, factor_id)
        return Response({"id": str(removed)})
