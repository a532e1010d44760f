"""Template context for sign-in links and the signed-in user's avatar."""

from django.http import HttpRequest

from sso_client.conf import sso_settings
from sso_client.models import IdentityLink
from sso_client.views import login_url


def sso(request: HttpRequest) -> dict[str, str]:
    """Return `sso_login_url` (back to this page), `sso_account_url` and `sso_picture`."""
    picture = ""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        try:
            picture = user.sso_identity.picture
        except IdentityLink.DoesNotExist:
            picture = ""
    return {
        "sso_login_url": login_url(request=request, next_url=request.get_full_path()),
        "sso_account_url": sso_settings.ACCOUNT_URL or "",
        "sso_picture": picture,
    }
