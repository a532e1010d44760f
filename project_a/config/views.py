"""Project-wide views of shop A (and of shop B, which mounts A's URLs)."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe
from django.views.static import serve


@require_safe
def media(request: HttpRequest, path: str) -> HttpResponse:
    """Serve an uploaded file (product images) from MEDIA_ROOT, also with DEBUG off.

    `make run` and docker compose run the shops with DEBUG off and no web server in front; in
    production a reverse proxy answers /media/ before a request gets here (docs/shops.md).
    ``serve`` answers 404 for paths that leave MEDIA_ROOT and for folders.
    """
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    # An uploaded file is data, never a page: no script of it runs with the shop's origin.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
