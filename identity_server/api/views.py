"""The REST API: the token owner's claims, the user list for administrators, service calls."""

from datetime import UTC
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Model
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

from accounts.models import DeletedAccount
from api.cursors import CursorInvalid, cursor_decode, cursor_encode
from api.permissions import TokenHasServiceScope, TokenHasUser
from api.selectors import change_position, users_changes, users_lookup_by_email
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


class ServiceApi(APIView):
    """Base of the service API: a client's own token (client credentials, RFC 6749 §4.4).

    Subclasses name their ``required_scopes``. Answers are never cached.
    """

    authentication_classes = [OAuth2Authentication]
    permission_classes = [TokenHasServiceScope]

    def finalize_response(self, request: Request, response: Response, *args, **kwargs):
        """Mark every answer, errors included, as not to be stored (RFC 9111 §5.2.2.5)."""
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response


class UserLookupApi(ServiceApi):
    """``POST /api/service/users/lookup/``: a shop's tool links its users by email.

    Only for a client's own access token with scope ``users:read``; emails travel in the JSON
    body, never in the URL (they would end up in access logs).
    """

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


USER_CHANGES_DEFAULT_LIMIT = 200
USER_CHANGES_MAX_LIMIT = 1000
# The claims of a live entry, read as the ID token reads them (oidc.selectors.user_claims).
CHANGE_CLAIM_SCOPES = (constants.SCOPE_PROFILE, constants.SCOPE_EMAIL)
CHANGE_CLAIMS = ("sub", "email", "email_verified", "name", "given_name", "family_name", "picture")


class UserChangesInputSerializer(serializers.Serializer):
    """``?cursor=<opaque>&limit=<1..1000>``: where to go on from, and how many rows."""

    cursor = serializers.CharField(required=False, trim_whitespace=False)
    limit = serializers.IntegerField(
        required=False,
        default=USER_CHANGES_DEFAULT_LIMIT,
        min_value=1,
        max_value=USER_CHANGES_MAX_LIMIT,
    )

    def validate_cursor(self, value: str):
        """Return the position the cursor holds; refuse one this server did not issue."""
        try:
            return cursor_decode(value)
        except CursorInvalid as exc:
            raise serializers.ValidationError(
                "Not a cursor this server issued; start again without one."
            ) from exc


def user_change_entry(row: Model) -> dict[str, Any]:
    """Return the reconcile entry of a user (its claims, groups, status) or of a tombstone."""
    updated_at = change_position(row).at.astimezone(UTC).isoformat()
    if isinstance(row, DeletedAccount):
        return {"sub": str(row.sub), "active": False, "deleted": True, "updated_at": updated_at}
    claims = user_claims(user=row, scopes=CHANGE_CLAIM_SCOPES)
    entry = {"name": "", "given_name": "", "family_name": "", **claims}
    return {
        **{name: entry[name] for name in CHANGE_CLAIMS if name in entry},
        # From the prefetched groups: user_claims would run one query per user.
        "groups": sorted(group.name for group in row.groups.all()),
        "active": row.is_active,
        "deleted": False,
        "updated_at": updated_at,
    }


class UserChangesApi(ServiceApi):
    """``GET /api/service/users/changes/``: every user changed since a cursor, for reconcile.

    A shop's ``sso_sync`` pages through it with a client's own token holding ``users:sync``,
    and repairs its shadows from the entries. Ordered by (changed at, sub); deleted accounts
    appear as tombstones. ``next_cursor`` always comes back: with ``has_more`` false it is
    where the next run starts.
    """

    required_scopes = [constants.SCOPE_USERS_SYNC]

    def get(self, request: Request) -> Response:
        """Return one page of changed users."""
        serializer = UserChangesInputSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        page = users_changes(
            after=serializer.validated_data.get("cursor"),
            limit=serializer.validated_data["limit"],
        )
        return Response(
            {
                "users": [user_change_entry(row) for row in page.rows],
                "next_cursor": cursor_encode(page.last),
                "has_more": page.has_more,
            }
        )
