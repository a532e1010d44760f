"""The REST API: the token owner's claims, and the user list for administrators."""

from django.contrib.auth import get_user_model
from oauth2_provider.contrib.rest_framework import OAuth2Authentication, TokenHasScope
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.generics import ListAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from oidc import constants
from oidc.selectors import user_claims

User = get_user_model()


class MeApi(APIView):
    """``GET /api/me/``: the claims of the access token's owner, by the token's scopes."""

    authentication_classes = [OAuth2Authentication]
    permission_classes = [TokenHasScope]
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
