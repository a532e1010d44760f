"""Settings values of a deployment behind TLS: secrets from files, HSTS, the proxy's scheme.

``manage.py check --deploy`` is clean for every project when its public URL is https and its
secrets are set (docs/operations.md, "Production settings").
"""

from typing import Any
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from environ.fileaware_mapping import FileAwareMapping

# A year, what hstspreload.org asks for; browsers then refuse plain http to the host.
HSTS_SECONDS = 365 * 24 * 3600
# For a trial on https://localhost: browsers apply HSTS to the host on every port, and a year
# of it would lock the developer's http://localhost servers out of the browser.
LOCAL_HSTS_SECONDS = 300
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})
# The header a TLS-terminating proxy sets to the scheme the browser used.
FORWARDED_PROTO_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


class _SecretFiles(FileAwareMapping):
    """The environment, where ``NAME_FILE`` names a file that holds the value of ``NAME``.

    The file's trailing newline is dropped (``echo secret > file`` writes one, and it would
    end up in a database URL or a key), and a missing file is a sentence, not a traceback.
    """

    def __getitem__(self, key: str) -> Any:
        path = self.env.get(f"{key}_FILE")
        if not path:
            return self.env[key]
        try:
            return super().__getitem__(key).rstrip("\r\n")
        except OSError as error:
            raise ImproperlyConfigured(
                f"{key}_FILE={path}: the file cannot be read ({error.strerror})."
            ) from error


class StackEnv(environ.Env):
    """django-environ's ``Env`` that also reads ``NAME_FILE`` files (Docker and Kubernetes
    secrets): ``SECRET_KEY_FILE=/run/secrets/idp_secret_key`` instead of ``SECRET_KEY``.
    """

    ENVIRON = _SecretFiles(cache=False)


def hsts_seconds(site_url: str, value: int | None = None) -> int:
    """Return SECURE_HSTS_SECONDS: ``value`` (SECURE_HSTS_SECONDS), else a year over https.

    Over plain http it is 0: Django sends the header on https requests only anyway, and a
    developer's http://localhost must never be told to insist on https. On https://localhost
    (the production profile tried on one machine) the default is five minutes, not a year.
    """
    if not site_url.startswith("https://"):
        return 0
    if value is not None and value < 0:
        raise ImproperlyConfigured(f"SECURE_HSTS_SECONDS is {value}: use seconds, 0 for none.")
    if value is not None:
        return value
    host = urlsplit(site_url).netloc.rsplit("@", 1)[-1]
    host = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    local = host in LOCAL_HOSTS or host.endswith(".localhost")
    return LOCAL_HSTS_SECONDS if local else HSTS_SECONDS


def proxy_ssl_header(trusted_proxies: list[str]) -> tuple[str, str] | None:
    """Return SECURE_PROXY_SSL_HEADER: X-Forwarded-Proto, only behind a trusted proxy.

    Django believes that header from anyone once it is set, so it is set only when
    TRUSTED_PROXIES names the proxy that terminates TLS, which must overwrite the header on
    every request.
    """
    return FORWARDED_PROTO_HEADER if trusted_proxies else None
