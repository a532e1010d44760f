"""Services that create and update shadow users from the provider's claims."""

import logging
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import FieldDoesNotExist
from django.db import DataError, IntegrityError, transaction

from sso_client import constants as c
from sso_client.claims import bounded_key, claim_email, claim_text, claim_url, sub_is_valid
from sso_client.conf import sso_settings
from sso_client.exceptions import ProvisioningError
from sso_client.models import IdentityLink

logger = logging.getLogger(__name__)

PICTURE_MAX_LENGTH = IdentityLink._meta.get_field("picture").max_length


def _max_length(user: AbstractBaseUser, name: str) -> int | None:
    try:
        return user._meta.get_field(name).max_length
    except FieldDoesNotExist:  # a custom user model without first_name, is_staff...
        return None


def _field_target(user: AbstractBaseUser, name: str, value: Any) -> tuple[bool, Any]:
    """Return whether the user model has field `name`, and `value` as that field would hold it."""
    try:
        field = user._meta.get_field(name)
    except FieldDoesNotExist:
        return False, value
    if isinstance(value, str) and getattr(field, "max_length", None):
        value = value[: field.max_length]
    return True, value


def _field_set(user: AbstractBaseUser, name: str, value: Any) -> bool:
    """Set `name` on the user when the model has that field and the value differs."""
    has_field, value = _field_target(user, name, value)
    if not has_field or getattr(user, name) == value:
        return False
    setattr(user, name, value)
    return True


def _groups(claims: dict[str, Any]) -> set[str]:
    groups = claims.get(sso_settings.GROUPS_CLAIM)
    # Fail closed: without a list of groups the user holds no group, so no staff rights.
    if not isinstance(groups, list):
        return set()
    return {group for group in groups if isinstance(group, str)}


def _profile_values(*, user: AbstractBaseUser, claims: dict[str, Any]) -> dict[str, Any]:
    """Return the user fields the claims set, by name (fields the model lacks included)."""
    groups = _groups(claims)
    is_superuser = bool(groups & set(sso_settings.SUPERUSER_GROUPS))
    values: dict[str, Any] = {
        "first_name": claim_text(claims, c.CLAIM_GIVEN_NAME),
        "last_name": claim_text(claims, c.CLAIM_FAMILY_NAME),
        "is_staff": is_superuser or bool(groups & set(sso_settings.STAFF_GROUPS)),
        "is_superuser": is_superuser,
    }
    email_length = _max_length(user, "email")
    if email_length is not None:
        values["email"] = claim_email(claims, c.CLAIM_EMAIL, max_length=email_length)
    # is_active is left alone unless the provider states it: a project may block a shadow locally.
    if isinstance(claims.get(c.CLAIM_ACTIVE), bool):
        values["is_active"] = claims[c.CLAIM_ACTIVE]
    return values


def _profile_apply(*, user: AbstractBaseUser, claims: dict[str, Any]) -> list[str]:
    """Copy the profile claims onto the user; return the names of the fields that changed."""
    return [
        name
        for name, value in _profile_values(user=user, claims=claims).items()
        if _field_set(user, name, value)
    ]


def _last_login_set(user: AbstractBaseUser, last_login: datetime | None) -> bool:
    """Set last_login for a sign-in of an active user; return whether it was set.

    The user is marked (constants.LAST_LOGIN_SAVED) so that receivers.on_user_logged_in does
    not write last_login again when login() signals the sign-in.
    """
    if last_login is None or not user.is_active or not hasattr(user, "last_login"):
        return False
    user.last_login = last_login
    setattr(user, c.LAST_LOGIN_SAVED, True)
    return True


def _picture(claims: dict[str, Any]) -> str:
    return claim_url(claims, c.CLAIM_PICTURE, max_length=PICTURE_MAX_LENGTH)


def _sync_hooks_run(*, user: AbstractBaseUser, claims: dict[str, Any]) -> None:
    for hook in sso_settings.sync_hooks():
        hook(user=user, claims=claims)


def _username_max_length() -> int | None:
    user_model = get_user_model()
    return user_model._meta.get_field(user_model.USERNAME_FIELD).max_length


def shadow_username(*, sub: str) -> str:
    """Return the username of the shadow of `sub`: the sub, or its digest when it is too long.

    OIDC allows a sub of 255 characters; Django's User.username holds 150.
    """
    max_length = _username_max_length()
    return bounded_key(sub, max_length=max_length) if max_length else sub


def shadow_user_create(
    *,
    issuer: str,
    sub: str,
    username: str,
    claims: dict[str, Any],
    last_login: datetime | None = None,
) -> AbstractBaseUser:
    """Create the shadow of (issuer, sub) named `username`, with its IdentityLink.

    Safe under concurrent first sign-ins of one person: the loser of the race gets the winner's
    shadow, updated. With `last_login` (a sign-in, not a sync) an active shadow is stored
    with it, in the same INSERT. Raise ProvisioningError when the username is taken by a user
    that is not this identity's shadow, or does not fit the username field.
    """
    max_length = _username_max_length()
    if (
        not isinstance(username, str)
        or not username
        or len(username) > (max_length or len(username))
    ):
        raise ProvisioningError(f"username {username!r} for sub {sub!r} does not fit")
    user_model = get_user_model()
    try:
        with transaction.atomic():
            user = user_model(**{user_model.USERNAME_FIELD: username})
            user.set_unusable_password()
            _profile_apply(user=user, claims=claims)
            _last_login_set(user, last_login)
            user.save()
            IdentityLink.objects.create(user=user, issuer=issuer, sub=sub, picture=_picture(claims))
            _sync_hooks_run(user=user, claims=claims)
    except IntegrityError as exc:
        link = IdentityLink.objects.select_related("user").filter(issuer=issuer, sub=sub).first()
        if link is None:
            raise ProvisioningError(f"cannot create a shadow for sub {sub!r}: {exc}") from exc
        logger.info("sso_client: shadow for sub %s created concurrently", sub)
        return shadow_user_update(
            user=link.user, issuer=issuer, sub=sub, claims=claims, last_login=last_login
        )
    except DataError as exc:  # a value a project's hook computed does not fit its column
        raise ProvisioningError(f"cannot create a shadow for sub {sub!r}: {exc}") from exc
    logger.info("sso_client: created shadow user %s for sub %s", user.pk, sub)
    return user


def _identity_link(user: AbstractBaseUser) -> IdentityLink | None:
    """Return the user's IdentityLink: the one select_related() loaded, else read and locked."""
    if type(user).sso_identity.is_cached(user):
        # RelatedObjectDoesNotExist is an AttributeError: a user loaded without a link.
        return getattr(user, "sso_identity", None)
    return IdentityLink.objects.select_for_update().filter(user=user).first()


def shadow_user_update(
    *,
    user: AbstractBaseUser,
    issuer: str,
    sub: str,
    claims: dict[str, Any],
    last_login: datetime | None = None,
) -> AbstractBaseUser:
    """Refresh `user`, the local user of (issuer, sub), from the claims; return it.

    A user without an IdentityLink (found by a project's own filter_users_by_claims) is linked
    to (issuer, sub) here. Only the fields that changed are written (with `last_login`, a
    sign-in's, for an active user), in one UPDATE, so a concurrent change of another field (an
    event deactivating the shadow) is not overwritten. Raise ProvisioningError when it is linked
    to another identity, or when (issuer, sub) is already linked to another user.
    """
    try:
        with transaction.atomic():
            link = _identity_link(user)
            picture = _picture(claims)
            if link is None:
                IdentityLink.objects.create(user=user, issuer=issuer, sub=sub, picture=picture)
                logger.info("sso_client: linked local user %s to sub %s", user.pk, sub)
            elif (link.issuer, link.sub) != (issuer, sub):
                raise ProvisioningError(
                    f"user {user.pk} is linked to another identity, not {sub!r}"
                )
            elif link.picture != picture:
                link.picture = picture
                link.save(update_fields=["picture", "updated"])
            changed = _profile_apply(user=user, claims=claims)
            # Only a usable password is replaced: each set_unusable_password() writes a new
            # random value, which changes the session auth hash and signs the user out elsewhere.
            if user.has_usable_password():
                user.set_unusable_password()
                changed.append("password")
            if _last_login_set(user, last_login):
                changed.append("last_login")
            if changed:
                user.save(update_fields=changed)
            _sync_hooks_run(user=user, claims=claims)
    except (IntegrityError, DataError) as exc:
        raise ProvisioningError(f"cannot link user {user.pk} to sub {sub!r}: {exc}") from exc
    return user


def shadow_user_sync(*, issuer: str, claims: dict[str, Any]) -> AbstractBaseUser:
    """Return the shadow user of (issuer, claims["sub"]), created or updated from the claims.

    The user is found through IdentityLink by (issuer, sub), never by email or username, as
    SSOBackend's default hooks do. Raise ProvisioningError when the claims have no valid sub
    or the shadow cannot be created.
    """
    sub = claims.get(c.CLAIM_SUB)
    if not sub_is_valid(sub):
        raise ProvisioningError("claims have no valid sub")
    link = IdentityLink.objects.select_related("user").filter(issuer=issuer, sub=sub).first()
    if link is not None:
        return shadow_user_update(user=link.user, issuer=issuer, sub=sub, claims=claims)
    return shadow_user_create(
        issuer=issuer, sub=sub, username=shadow_username(sub=sub), claims=claims
    )


# The marks shadow_user_changes reports a password change with: never a hash.
PASSWORD_USABLE = "usable"  # noqa: S105 - a label, not a secret
PASSWORD_UNUSABLE = "unusable"  # noqa: S105 - a label, not a secret


def shadow_user_changes(
    *, link: IdentityLink, claims: dict[str, Any]
) -> dict[str, tuple[Any, Any]]:
    """Return what shadow_user_update would change on the shadow of `link`: {name: (old, new)}.

    Saves nothing (`sso_sync --dry-run` reports it). Names are user fields, "picture" for the
    link's picture and "password" (as PASSWORD_USABLE -> PASSWORD_UNUSABLE) for a local
    password the update would make unusable. SYNC_HOOKS are not run, so what they would
    change is not in it.
    """
    user = link.user
    changes: dict[str, tuple[Any, Any]] = {}
    for name, value in _profile_values(user=user, claims=claims).items():
        has_field, value = _field_target(user, name, value)
        if has_field and getattr(user, name) != value:
            changes[name] = (getattr(user, name), value)
    picture = _picture(claims)
    if link.picture != picture:
        changes["picture"] = (link.picture, picture)
    if user.has_usable_password():
        changes["password"] = (PASSWORD_USABLE, PASSWORD_UNUSABLE)
    return changes
