"""Services that create and update shadow users from the provider's claims."""

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import FieldDoesNotExist
from django.db import IntegrityError, transaction

from sso_client import constants as c
from sso_client.conf import sso_settings
from sso_client.exceptions import ProvisioningError
from sso_client.models import IdentityLink

logger = logging.getLogger(__name__)

# A concurrent first sign-in of the same person loses the unique-constraint race at most once;
# the retry then finds the winner's row.
ATTEMPTS = 3


def _field_set(user: AbstractBaseUser, name: str, value: Any) -> bool:
    """Set `name` on the user when the model has that field and the value differs."""
    try:
        field = user._meta.get_field(name)
    except FieldDoesNotExist:  # a custom user model without first_name, is_staff...
        return False
    if isinstance(value, str) and getattr(field, "max_length", None):
        value = value[: field.max_length]
    if getattr(user, name) == value:
        return False
    setattr(user, name, value)
    return True


def _groups(claims: dict[str, Any]) -> set[str]:
    groups = claims.get(c.CLAIM_GROUPS)
    # Fail closed: without a groups claim the user holds no group, so no staff rights.
    if not isinstance(groups, list):
        return set()
    return {group for group in groups if isinstance(group, str)}


def _profile_apply(*, user: AbstractBaseUser, claims: dict[str, Any]) -> bool:
    """Copy the profile claims onto the user; return whether anything changed."""
    groups = _groups(claims)
    is_superuser = bool(groups & set(sso_settings.SUPERUSER_GROUPS))
    values: dict[str, Any] = {
        "first_name": claims.get(c.CLAIM_GIVEN_NAME) or "",
        "last_name": claims.get(c.CLAIM_FAMILY_NAME) or "",
        "email": claims.get(c.CLAIM_EMAIL) or "",
        "is_staff": bool(groups & set(sso_settings.STAFF_GROUPS)),
        "is_superuser": is_superuser,
    }
    # is_active is left alone unless the provider states it: a shop may block a shadow locally.
    if isinstance(claims.get(c.CLAIM_ACTIVE), bool):
        values["is_active"] = claims[c.CLAIM_ACTIVE]
    changed = False
    for name, value in values.items():
        changed = _field_set(user, name, value) or changed
    return changed


def _sync_once(*, issuer: str, sub: str, claims: dict[str, Any]) -> AbstractBaseUser:
    user_model = get_user_model()
    picture = claims.get(c.CLAIM_PICTURE) or ""
    picture = picture if isinstance(picture, str) else ""
    with transaction.atomic():
        link = (
            IdentityLink.objects.select_for_update()
            .select_related("user")
            .filter(issuer=issuer, sub=sub)
            .first()
        )
        if link is None:
            user = user_model(**{user_model.USERNAME_FIELD: sub})
            user.set_unusable_password()
            _profile_apply(user=user, claims=claims)
            user.save()
            link = IdentityLink.objects.create(user=user, issuer=issuer, sub=sub, picture=picture)
            logger.info("sso_client: created shadow user %s for sub %s", user.pk, sub)
        else:
            user = link.user
            changed = _profile_apply(user=user, claims=claims)
            # Only a usable password is replaced: each set_unusable_password() writes a new random
            # value, which changes the session auth hash and signs the user out everywhere else.
            if user.has_usable_password():
                user.set_unusable_password()
                changed = True
            if changed:
                user.save()
            if link.picture != picture:
                link.picture = picture
                link.save(update_fields=["picture", "updated"])
        for hook in sso_settings.sync_hooks():
            hook(user=user, claims=claims)
    return user


def shadow_user_sync(*, issuer: str, claims: dict[str, Any]) -> AbstractBaseUser:
    """Return the shadow user of (issuer, claims["sub"]), created or updated from the claims.

    The user is found through IdentityLink by (issuer, sub), never by email or username. Safe
    under concurrent first sign-ins of one person: exactly one shadow is created and every caller
    gets it. Raise ProvisioningError when the claims have no sub or the username is taken by a
    user that is not this identity's shadow.
    """
    sub = claims.get(c.CLAIM_SUB)
    if not isinstance(sub, str) or not sub:
        raise ProvisioningError("claims have no sub")
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return _sync_once(issuer=issuer, sub=sub, claims=claims)
        except IntegrityError as exc:
            if attempt == ATTEMPTS:
                raise ProvisioningError(f"cannot create a shadow for sub {sub!r}: {exc}") from exc
            logger.info("sso_client: shadow for sub %s created concurrently, retrying", sub)
    raise AssertionError("unreachable")  # pragma: no cover
