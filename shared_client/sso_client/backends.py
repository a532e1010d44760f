"""The authentication backend: mozilla-django-oidc's, with shadows found by (issuer, sub)."""

import logging
from typing import Any

import requests
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import SuspiciousOperation
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import absolutify

from sso_client import constants as c
from sso_client.claims import sub_is_valid
from sso_client.conf import sso_settings
from sso_client.exceptions import TokenError
from sso_client.oidc_bridge import oidc_setting
from sso_client.provisioning import shadow_user_create, shadow_user_update, shadow_username
from sso_client.tokens import id_token_validate, userinfo_check, userinfo_needed
from sso_client.transport import (
    json_object,
    provider_errors,
    provider_headers,
    provider_session,
)

logger = logging.getLogger(__name__)


def _setting_property(name: str) -> property:
    return property(lambda self: self.get_settings(name))


class SSOBackend(OIDCAuthenticationBackend):
    """Authenticate the authorization-code response of the provider (OIDC Core §3.1).

    Subclass it and name the subclass in AUTHENTICATION_BACKENDS to change a hook.
    """

    # Endpoints come from discovery when used, not when Django instantiates the backend (which it
    # does on every request that reads request.user).
    OIDC_OP_TOKEN_ENDPOINT = _setting_property("OIDC_OP_TOKEN_ENDPOINT")
    OIDC_OP_USER_ENDPOINT = _setting_property("OIDC_OP_USER_ENDPOINT")
    OIDC_OP_JWKS_ENDPOINT = _setting_property("OIDC_OP_JWKS_ENDPOINT")
    OIDC_RP_CLIENT_ID = _setting_property("OIDC_RP_CLIENT_ID")
    OIDC_RP_CLIENT_SECRET = _setting_property("OIDC_RP_CLIENT_SECRET")
    OIDC_RP_SIGN_ALGO = _setting_property("OIDC_RP_SIGN_ALGO")
    OIDC_RP_IDP_SIGN_KEY = _setting_property("OIDC_RP_IDP_SIGN_KEY")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.UserModel = get_user_model()

    @staticmethod
    def get_settings(attr: str, *args: Any) -> Any:
        """Return mozilla's OIDC_* setting `attr`, derived from SSO_CLIENT and discovery."""
        return oidc_setting(attr, *args)

    @property
    def issuer(self) -> str:
        """Return the issuer shadows are linked to."""
        return sso_settings.ISSUER

    # Flow ------------------------------------------------------------------------------------

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> AbstractBaseUser | None:
        """Exchange the code, validate the tokens and return the shadow user.

        Runs when the callback view calls `auth.authenticate(request=..., nonce=...,
        code_verifier=...)`; any other authenticate() call (a password form) gets None. Raises
        an SSOError subclass when the provider or its tokens fail, for the view to show.
        """
        if request is None or "nonce" not in kwargs:
            return None
        code = request.GET.get("code")
        if not code:
            return None
        self.request = request
        token_payload = {
            "client_id": self.OIDC_RP_CLIENT_ID,
            "client_secret": self.OIDC_RP_CLIENT_SECRET,
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": absolutify(request, reverse("sso_client:callback")),
        }
        if kwargs.get("code_verifier"):
            token_payload["code_verifier"] = kwargs["code_verifier"]
        token_info = self.get_token(token_payload)
        id_token = token_info.get("id_token")
        access_token = token_info.get("access_token")
        if not isinstance(id_token, str) or not isinstance(access_token, str):
            raise TokenError("token response lacks id_token or access_token")
        payload = self.verify_token(id_token, nonce=kwargs["nonce"], access_token=access_token)
        self.store_tokens(access_token, id_token)
        # For the session re-check (RFC 7662); the callback stores it on the SSOSession row.
        refresh_token = token_info.get("refresh_token")
        setattr(
            request,
            c.REQUEST_REFRESH_TOKEN,
            refresh_token if isinstance(refresh_token, str) else "",
        )
        sid = payload.get(c.CLAIM_SID)
        # A sid that is not a string is ignored: back-channel logout then goes by sub.
        request.session[c.SESSION_SID] = sid if isinstance(sid, str) else ""
        try:
            return self.get_or_create_user(access_token, id_token, payload)
        except SuspiciousOperation as exc:
            raise TokenError(str(exc)) from exc

    def get_token(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Return the token response; map provider failures to SSOError subclasses.

        mozilla-django-oidc's request, plus the request id (transport.provider_headers), so
        the provider's log of the code exchange carries the id of the shop's callback.
        """
        auth = None
        if self.get_settings("OIDC_TOKEN_USE_BASIC_AUTH", False):
            payload = dict(payload)
            auth = requests.auth.HTTPBasicAuth(
                payload.get("client_id"), payload.pop("client_secret", None)
            )
        # RFC 6749 §5.2: a 4xx is e.g. invalid_grant for a code already used or expired.
        with provider_errors("token endpoint", client_error=TokenError):
            response = provider_session().post(
                self.OIDC_OP_TOKEN_ENDPOINT,
                data=payload,
                auth=auth,
                headers=provider_headers({"Accept": "application/json"}),
                verify=self.get_settings("OIDC_VERIFY_SSL", True),
                timeout=self.get_settings("OIDC_TIMEOUT", None),
                proxies=self.get_settings("OIDC_PROXY", None),
            )
            self.raise_token_response_error(response)
            return json_object(response.json(), what="token response")

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        """Return the claims of a valid ID token (see sso_client.tokens.id_token_validate)."""
        return id_token_validate(
            token=token, nonce=kwargs.get("nonce"), access_token=kwargs.get("access_token")
        )

    def get_userinfo(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        """Return the ID token claims overlaid with the userinfo claims (same `sub` only).

        Without a userinfo request when the ID token already carries the claims asked for
        (SSO_CLIENT["USERINFO"], tokens.userinfo_needed): its claims are signature-checked.
        """
        if not userinfo_needed(id_claims=payload):
            return payload
        with provider_errors("userinfo", client_error=TokenError):
            response = provider_session().get(
                self.OIDC_OP_USER_ENDPOINT,
                headers=provider_headers({"Authorization": f"Bearer {access_token}"}),
                verify=self.get_settings("OIDC_VERIFY_SSL", True),
                timeout=self.get_settings("OIDC_TIMEOUT", None),
                proxies=self.get_settings("OIDC_PROXY", None),
            )
            response.raise_for_status()
            # OIDC Core §5.3.2: a provider may sign the userinfo response (as mozilla reads it).
            signed = response.headers.get("content-type", "").lower().startswith("application/jwt")
            body = self.verify_token(response.text) if signed else response.json()
            userinfo = json_object(body, what="userinfo")
        userinfo_check(userinfo=userinfo, id_claims=payload)
        return {**payload, **userinfo}

    def store_tokens(self, access_token: str, id_token: str) -> None:
        """Keep the ID token in the session for RP-initiated logout's `id_token_hint`."""
        super().store_tokens(access_token, id_token)
        self.request.session[c.SESSION_ID_TOKEN] = id_token

    def get_user(self, user_id: Any) -> AbstractBaseUser | None:
        """Return the user of a session, with its IdentityLink; a deactivated one is signed out.

        ModelBackend's check (user_can_authenticate: is_active), not mozilla's; the link comes
        in the same query (a LEFT JOIN), as the `sso_picture` of every page reads it.
        """
        manager = self.UserModel._default_manager
        try:
            user = manager.select_related("sso_identity").get(pk=user_id)
        except self.UserModel.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    # Hooks: mozilla-django-oidc's get_or_create_user() calls verify_claims, then
    # filter_users_by_claims, then update_user (one user found) or create_user (none found).

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        """Decide whether these claims may sign in.

        Runs after the tokens are validated, before the user is looked up. Gets the merged ID
        token and userinfo claims. Returns True to go on; False refuses the sign-in (400 page).
        The default requires a legal `sub`: 1 to 255 printable ASCII characters (OIDC Core §2).
        """
        if not sub_is_valid(claims.get(c.CLAIM_SUB)):
            logger.warning("sso_client: refused a sub that is not 1-255 printable ASCII characters")
            return False
        return True

    def filter_users_by_claims(self, claims: dict[str, Any]) -> QuerySet:
        """Return the local users of this identity.

        Runs after verify_claims. Gets the merged claims. Returns a queryset: one user goes to
        update_user, none to create_user, several refuse the sign-in. The default matches
        (issuer, sub) through IdentityLink, never email or username.
        """
        # select_related: update_user reads the link it matched without another query.
        return self.UserModel.objects.select_related("sso_identity").filter(
            sso_identity__issuer=self.issuer, sso_identity__sub=claims[c.CLAIM_SUB]
        )

    def create_user(self, claims: dict[str, Any]) -> AbstractBaseUser:
        """Create the shadow of an identity signing in here for the first time.

        Runs when filter_users_by_claims found nobody. Gets the merged claims. Returns the new
        user, named get_username(claims), linked to (issuer, sub) (or the shadow a concurrent
        sign-in of the same person created), its last_login stored with it.
        """
        return shadow_user_create(
            issuer=self.issuer,
            sub=claims[c.CLAIM_SUB],
            username=self.get_username(claims),
            claims=claims,
            last_login=timezone.now(),
        )

    def update_user(self, user: AbstractBaseUser, claims: dict[str, Any]) -> AbstractBaseUser:
        """Refresh the user filter_users_by_claims found, from the claims, at every sign-in.

        Gets that user and the merged claims. Returns it, updated: profile, groups, picture,
        unusable password and last_login, in one UPDATE of what changed; a user without an
        IdentityLink is linked to (issuer, sub).
        """
        return shadow_user_update(
            user=user,
            issuer=self.issuer,
            sub=claims[c.CLAIM_SUB],
            claims=claims,
            last_login=timezone.now(),
        )

    def get_username(self, claims: dict[str, Any]) -> str:
        """Return the username of a new shadow.

        Runs from create_user. Gets the merged claims. Returns the stable, opaque `sub`, or
        its digest when the sub does not fit the username field.
        """
        return shadow_username(sub=claims[c.CLAIM_SUB])

    def describe_user_by_claims(self, claims: dict[str, Any]) -> str:
        """Describe the identity for log lines, by sub (never by email)."""
        return f"sub {claims.get(c.CLAIM_SUB)}"
