"""A throwaway Django project signing in through django-allauth's ``openid_connect`` provider.

The project is written to a temporary folder, migrated on SQLite and served by gunicorn on
a free 127.0.0.1 port, as any third-party Django site would run it.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from wait_ready import wait_ready

PROVIDER_ID = "idp"
PACKAGE = "rp_site"

SETTINGS = """\
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = {secret_key!r}
DEBUG = False
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]
ROOT_URLCONF = "{package}.urls"
TEMPLATES = [
    {{
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {{
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        }},
    }},
]
DATABASES = {{
    "default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}
}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
# Its own cookie names: the identity server runs on another port of the same host.
SESSION_COOKIE_NAME = "allauth_rp_sessionid"
CSRF_COOKIE_NAME = "allauth_rp_csrftoken"
LOGIN_REDIRECT_URL = "/"
USE_TZ = True
ACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_PROVIDERS = {{
    "openid_connect": {{
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {{
                "provider_id": {provider_id!r},
                "name": "Identity server",
                "client_id": {client_id!r},
                "secret": {client_secret!r},
                "settings": {{
                    "server_url": {issuer!r},
                    "token_auth_method": "client_secret_basic",
                }},
            }}
        ],
    }}
}}
LOGGING = {{
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {{"console": {{"class": "logging.StreamHandler"}}}},
    "root": {{"handlers": ["console"], "level": "INFO"}},
}}
"""

URLS = """\
from django.http import HttpResponse
from django.urls import include, path


def home(request):
    who = request.user.email if request.user.is_authenticated else "anonymous"
    return HttpResponse(f"<!doctype html><title>RP</title><p id=user>{who}</p>")


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("", home),
    path("healthz", healthz),
    path("accounts/", include("allauth.urls")),
]
"""

WSGI = """\
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{package}.settings")
application = get_wsgi_application()
"""

MANAGE = """\
import os
import sys

from django.core.management import execute_from_command_line

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{package}.settings")
execute_from_command_line(sys.argv)
"""


def _env() -> dict[str, str]:
    """The environment of the site's processes: its own settings, whatever the caller's."""
    return {**os.environ, "DJANGO_SETTINGS_MODULE": f"{PACKAGE}.settings"}


@dataclass(frozen=True)
class AllauthSite:
    """The running allauth site: its URL and project folder."""

    url: str
    project_dir: Path

    @property
    def login_url(self) -> str:
        """Where the site's "Sign in with the identity server" link points."""
        return f"{self.url}/accounts/oidc/{PROVIDER_ID}/login/?process=login"

    def manage(self, *args: str) -> str:
        """Run one of the site's manage.py commands; return what it printed."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=self.project_dir,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, f"manage.py {args} failed:\n{result.stderr}"
        return result.stdout

    def social_accounts(self) -> list[dict]:
        """Return the site's allauth SocialAccounts: provider, uid and the local user's email."""
        code = (
            "import json; from allauth.socialaccount.models import SocialAccount; "
            "print(json.dumps([{'provider': a.provider, 'uid': a.uid, 'email': a.user.email} "
            "for a in SocialAccount.objects.select_related('user')]))"
        )
        return json.loads(self.manage("shell", "--no-imports", "-c", code).splitlines()[-1])


def allauth_callback_url(port: int) -> str:
    """Return the redirect URI allauth uses for the provider on a site at ``port``."""
    return f"http://localhost:{port}/accounts/oidc/{PROVIDER_ID}/login/callback/"


def allauth_project_write(
    project_dir: Path, *, issuer: str, client_id: str, client_secret: str
) -> None:
    """Write the project's manage.py and package (settings, urls, wsgi) under ``project_dir``."""
    package = project_dir / PACKAGE
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text(
        SETTINGS.format(
            secret_key=secrets.token_urlsafe(40),
            package=PACKAGE,
            provider_id=PROVIDER_ID,
            client_id=client_id,
            client_secret=client_secret,
            issuer=issuer,
        )
    )
    (package / "urls.py").write_text(URLS)
    (package / "wsgi.py").write_text(WSGI.format(package=PACKAGE))
    (project_dir / "manage.py").write_text(MANAGE.format(package=PACKAGE))


@contextmanager
def allauth_site_run(project_dir: Path, *, port: int, log_path: Path) -> Iterator[AllauthSite]:
    """Migrate the written project and serve it on ``port`` until the block ends."""
    site = AllauthSite(url=f"http://localhost:{port}", project_dir=project_dir)
    site.manage("migrate", "--noinput")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("a") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                f"{PACKAGE}.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                "4",
                "--access-logfile",
                "-",
                "--no-control-socket",
            ],
            cwd=project_dir,
            env=_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        not_ready = wait_ready([site.url], deadline_seconds=60)
        assert not not_ready, f"the allauth site did not start; see {log_path}"
        yield site
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
