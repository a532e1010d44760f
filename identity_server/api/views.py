"""The REST API: the token owner's claims, the user list for administrators, service lookups."""

from django.contrib.auth import get_user_model
from oauth2_provider.contrib.rest_framework import OAuth2Authentication, TokenHasScope
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.generics import ListAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.permissions import TokenHasServiceScope, TokenHasUser
from api.selectors import users_lookup_by_email
from oidc import constants
from oidc.selectors import user_claims

User = get_user_model()


class MeApi(APIView):
    """``GET /api/me/``: the claims of the access token's owner, by the token's scopes."""

    authentication_classes = [OAuth2Authentication]
    # TokenHasUser: a client's own token (client credentials) has no owner to describe.
    permission_classes = [TokenHasScope, TokenHasUser]
    required_scopes = [constants.SCOPE_OPENID]

    def get(self, request: Request) -> Response:
        """Return the claims the token's scopes release."""
        scopes = request.auth.scope.split() if request.auth else []
        return Response(user_claims(user=request.user, scopes=scopes))


class UserListOutputSerializer(serializers.Serializer):
    """One user as administrators see them."""

    sub = serializers.UUIDField()
    email = serializers.EmailField()
    email_verified = serializers.BooleanField()
    given_name = serializers.CharField()
    family_name = serializers.CharField()
    is_active = serializers.BooleanField()
    updated_at = serializers.DateTimeField()


class UserListPagination(PageNumberPagination):
    """Pages of 50, ``?page=N``."""

    page_size = 50


class UserListApi(ListAPIView):
    """``GET /api/users/``: every user, for staff signed in to the admin (session auth)."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAdminUser]
    serializer_class = UserListOutputSerializer
    pagination_class = UserListPagination

    def get_queryset(self):
        """Return users by email."""
        return User.objects.order_by("email")


# The most emails one lookup takes: a shop migrates its users in batches.
USER_LOOKUP_MAX_EMAILS = 500


class _StrictStringField(serializers.CharField):
    """A string as sent: no number turned into one, no whitespace trimmed."""

    def __init__(self, **kwargs) -> None:
        super().__init__(trim_whitespace=False, allow_blank=True, max_length=254, **kwargs)

    def to_internal_value(self, data):
        """Refuse anything but a JSON string."""
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class UserLookupInputSerializer(serializers.Serializer):
    """``{"emails": [...]}``: 1 to 500 strings of at most 254 characters (RFC 5321 §4.5.3.1.3)."""

    emails = serializers.ListField(
        child=_StrictStringField(),
        allow_empty=False,
        max_length=USER_LOOKUP_MAX_EMAILS,
    )


class UserLookupOutputSerializer(serializers.Serializer):
    """One user as a service client sees them: enough to link a local account, no more."""

    email = serializers.EmailField()
    sub = serializers.UUIDField()
    email_verified = serializers.BooleanField()
    is_active = serializers.BooleanField()


class UserLookupApi(APIView):
    """``POST /api/service/users/lookup/``: a shop's tool links its users by email.

    Only for a client's own access token (client credentials grant, RFC 6749 §4.4) with
    scope ``users:read``; emails travel in the JSON body, never in the URL (they would end
    up in access logs). Answers are never cached (``Cache-Control: no-store``).
    """

    authentication_classes = [OAuth2Authentication]
    permission_classes = [TokenHasServiceScope]
    required_scopes = [constants.SCOPE_USERS_READ]
    parser_classes = [JSONParser]

    def post(self, request: Request) -> Response:
        """Return the users found by email and the emails that found nobody."""
        serializer = UserLookupInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lookup = users_lookup_by_email(emails=serializer.validated_data["emails"])
        return Response(
            {
                "users": UserLookupOutputSerializer(lookup.users, many=True).data,
                "unknown": lookup.unknown,
            }
        )

    def finalize_response(self, request: Request, response: Response, *args, **kwargs):
        """Mark every answer, errors included, as not to be stored (RFC 9111 §5.2.2.5)."""
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response
