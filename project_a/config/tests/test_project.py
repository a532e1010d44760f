"""Shop A as a project: its URLs (admin through SSO, shop, media) and its error pages."""

from pathlib import Path

import pytest
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.test import Client, RequestFactory
from django.urls import resolve
from django.views import defaults

from shop.testing import create_test_user
from shop.views import ProductDetailView

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@pytest.fixture
def media_root(tmp_path: Path, settings) -> Path:
    """MEDIA_ROOT in a fresh folder holding products/mug.png, and a secret next to it."""
    settings.MEDIA_ROOT = tmp_path / "media"
    (settings.MEDIA_ROOT / "products").mkdir(parents=True)
    (settings.MEDIA_ROOT / "products" / "mug.png").write_bytes(PNG)
    (tmp_path / "secret.txt").write_text("not for the web")
    return settings.MEDIA_ROOT


def test_product_images_are_served_with_debug_off(client: Client, media_root: Path) -> None:
    """An uploaded image is served at MEDIA_URL with DEBUG off, as `make run` runs the shop."""
    response = client.get("/media/products/mug.png")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/media/products/missing.png", "/media/products/"])
def test_media_answers_404_for_missing_files_and_folders(
    client: Client, media_root: Path, path: str
) -> None:
    """A missing file or a folder (no listing) is the shop's 404 page."""
    response = client.get(path)

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


@pytest.mark.parametrize(
    "path",
    ["/media/../secret.txt", "/media/%2e%2e/secret.txt", "/media/products/..%2f..%2fsecret.txt"],
)
def test_media_refuses_paths_that_leave_media_root(
    client: Client, media_root: Path, path: str
) -> None:
    """A path climbing out of MEDIA_ROOT is the shop's 400 page, never the file next to it."""
    response = client.get(path)

    assert response.status_code == 400
    assert b"not for the web" not in response.content
    assert "Bad request" in response.content.decode()


def test_media_refuses_writes(client: Client, media_root: Path) -> None:
    """Only GET and HEAD: a POST to an image is a 405, not a file."""
    assert client.head("/media/products/mug.png").status_code == 200
    assert client.post("/media/products/mug.png").status_code == 405


def test_the_product_page_is_the_shops_own_view() -> None:
    assert resolve("/products/enamel-mug/").func.view_class is ProductDetailView


def test_admin_login_goes_through_sso_keeping_next(client: Client, db: None) -> None:
    """The admin's sign-in page goes through single sign-on, back to where the admin was going."""
    response = client.get("/admin/login/?next=/admin/shop/order/")
    assert response.status_code == 302
    assert response["Location"] == "/oidc/login/?next=%2Fadmin%2Fshop%2Forder%2F"

    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/"


def test_admin_login_refuses_an_offsite_next(client: Client, db: None) -> None:
    """An off-site next falls back to the admin index (no open redirect)."""
    response = client.get("/admin/login/?next=https://evil.example/")

    assert response["Location"] == "/oidc/login/?next=%2Fadmin%2F"


def test_a_customer_is_sent_to_sign_in_again_not_shown_the_admin(user_client: Client) -> None:
    response = user_client.get("/admin/shop/product/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/shop/product/"


def test_a_signed_in_customer_gets_a_403_page_in_the_shop_layout(
    user_client: Client, user: AbstractBaseUser
) -> None:
    """The admin's sign-in page tells a signed-in non-staff user why, instead of looping."""
    response = user_client.get("/admin/login/", {"next": "/admin/shop/product/"})

    assert response.status_code == 403
    body = response.content.decode()
    assert "No access to the administration" in body
    assert '<a class="brand" href="/">Shop A</a>' in body


def test_admin_logout_signs_out_through_sso(client: Client, db: None) -> None:
    """The admin's "Log out" ends the session through sso_client's logout, not Django's."""
    client.force_login(create_test_user(is_staff=True))

    response = client.post("/admin/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/logout/").status_code == 405


def test_error_pages_are_the_projects_in_the_shop_layout(rf: RequestFactory, db: None) -> None:
    """400, 403 and 404 render templates/ in the shop's layout; 500 renders without context."""
    request = rf.get("/")
    request.user = AnonymousUser()

    pages = {
        400: defaults.bad_request(request, SuspiciousOperation()),
        403: defaults.permission_denied(request, PermissionDenied()),
        404: defaults.page_not_found(request, Exception()),
        500: defaults.server_error(request),
    }

    assert {status: page.status_code for status, page in pages.items()} == {
        400: 400,
        403: 403,
        404: 404,
        500: 500,
    }
    assert "<h1>Bad request</h1>" in pages[400].content.decode()
    assert "<h1>Not allowed</h1>" in pages[403].content.decode()
    assert "<h1>Page not found</h1>" in pages[404].content.decode()
    assert "<h1>Something went wrong</h1>" in pages[500].content.decode()
    assert '<a class="brand" href="/">Shop A</a>' in pages[404].content.decode()


def test_an_unknown_page_is_the_shops_404(client: Client, db: None) -> None:
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "There is nothing at this address." in response.content.decode()


def test_a_form_without_its_csrf_token_gets_the_expired_form_page(user_client: Client) -> None:
    """A POST without the CSRF token is the shop's own 403 page, asking to reload."""
    user_client.handler.enforce_csrf_checks = True

    response = user_client.post("/checkout/")

    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()


def test_a_server_error_is_the_shops_500_page(
    client: Client, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unexpected exception renders templates/500.html, not a traceback."""
    client.raise_request_exception = False
    monkeypatch.setattr("shop.views.selectors.product_list", lambda **kwargs: 1 / 0)

    response = client.get("/")

    assert response.status_code == 500
    assert "The shop could not answer this request." in response.content.decode()
