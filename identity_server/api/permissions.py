"""Permissions of the API: who may call what, by the access token presented."""

from oauth2_provider.contrib.rest_framework import TokenHasScope
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.views import APIView


class InsufficientScope(exceptions.PermissionDenied):
    """RFC 6750 §3.1 ``insufficient_scope``: a valid token that does not open this resource."""

    default_code = "insufficient_scope"

    def __init__(self, *, scopes: list[str], detail: str) -> None:
        super().__init__(detail=detail)
        # DRF's exception handler copies this into the WWW-Authenticate header (RFC 6750 §3).
        self.auth_header = (
            f'Bearer realm="api", error="insufficient_scope", scope="{" ".join(scopes)}"'
        )


class TokenHasUser(TokenHasScope):
    """TokenHasScope for a user's token: a client's own token (client credentials) is refused."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        """Return whether the token has a user and the view's scopes."""
        token = request.auth
        return getattr(token, "user_id", None) is not None and super().has_permission(request, view)


class TokenHasServiceScope(TokenHasScope):
    """TokenHasScope for service calls: a client's own token with the view's service scopes.

    A token the client obtained for itself (client credentials, RFC 6749 §4.4) has no user;
    a user's token is refused even if it somehow carried the scope. Refusals are
    ``insufficient_scope`` (403); no token at all stays a 401 (DRF's NotAuthenticated).
    """

    def has_permission(self, request: Request, view: APIView) -> bool:
        """Return True for a client's token with the scopes, raise InsufficientScope otherwise."""
        token = request.auth
        if token is None:
            return False
        if getattr(token, "user_id", True) is None and super().has_permission(request, view):
            return True
        scopes = list(self.get_scopes(request, view))
        raise InsufficientScope(
            scopes=scopes,
            detail="This needs an access token from the client credentials grant with scope "
            f"{' '.join(scopes)}.",
        )
