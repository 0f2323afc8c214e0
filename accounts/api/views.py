from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services, sessions
from accounts.api.serializers import AccessTokenSerializer, PasswordGrantSerializer
from core.netaddr import client_ip


class TokenView(APIView):
    """Email + password → a Supabase-style session (Supabase Auth's password grant): an alias of
    `POST /auth/v1/token?grant_type=password` that answers errors in this API's shape and needs no
    `apikey`. Refresh and sign out through /auth/v1/ (docs/auth.md)."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(request=PasswordGrantSerializer, responses={200: AccessTokenSerializer}, auth=[])
    def post(self, request):
        grant = PasswordGrantSerializer(data=request.data)
        grant.is_valid(raise_exception=True)
        email, password = grant.validated_data["email"], grant.validated_data["password"]
        try:
            user = services.sign_in(email, password, client_ip(request))
        except services.SignInError as exc:
            if exc.code == "too_many_attempts":
                raise exceptions.Throttled(detail=exc.message, code=exc.code) from exc
            raise exceptions.AuthenticationFailed(exc.message, code=exc.code) from exc
        grant = sessions.grant(user, sessions.start(user, request))
        # Never cached (OAuth 2.0, RFC 6749 section 5.1), like every response that shows a secret.
        return Response(AccessTokenSerializer(grant).data, status=status.HTTP_200_OK,
                        headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    def get_authenticate_header(self, request):
        return 'Bearer realm="api"'
