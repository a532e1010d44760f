"""Request ids and logs, alike on the three servers (docs/operations.md, "Logs").

Every request gets an id: the incoming ``X-Request-ID`` when it is well formed (a proxy in
front, or a shop calling the identity server, set it), else a new one. The id is echoed in
the response, put on every log record written while the request runs, and left in
``request.META["HTTP_X_REQUEST_ID"]``, where sso_client reads it to send it on to the
identity server: one sign-in can be followed across the three servers by one id.

In settings::

    MIDDLEWARE = ["stack_settings.observability.RequestIdMiddleware", ...]
    LOGGING = logging_config(log_format=env.str("LOG_FORMAT", default=""), debug=DEBUG, ...)
"""

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_META = "HTTP_X_REQUEST_ID"
# A bounded id of characters that cannot break a log line or a header: a UUID, nginx's
# $request_id (32 hex digits) and most tracing ids fit; anything else is replaced.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
NO_REQUEST_ID = "-"
LOG_FORMATS = ("json", "text")
REQUEST_LOGGER = "stack.request"
# The fields of the request line, added to its JSON object (and left out of other records).
REQUEST_FIELDS = ("method", "path", "status", "duration_ms")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"

request_id_var: ContextVar[str] = ContextVar("stack_request_id", default=NO_REQUEST_ID)
request_logger = logging.getLogger(REQUEST_LOGGER)


def request_id_from(value: str | None) -> str:
    """Return ``value`` when it is a well-formed request id, else a new random one."""
    if value and REQUEST_ID_PATTERN.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Give each request an id, echo it, log the request line with it.

    First in MIDDLEWARE, so that every other middleware's log records carry the id and the
    request line times the whole request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request.META.get(REQUEST_ID_META))
        # Replaced in META too: code that forwards the header (sso_client) sends this one.
        request.META[REQUEST_ID_META] = request_id
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            request_logger.info(
                "%s %s %s %.1fms",
                request.method,
                request.path,
                response.status_code,
                duration_ms,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                },
            )
            return response
        finally:
            request_id_var.reset(token)


class RequestIdFilter(logging.Filter):
    """Put the current request's id (or "-") on every record, as ``record.request_id``.

    Django logs a 4xx or 5xx response ("Not Found: /x") once every middleware has returned,
    when the id is no longer bound; its record carries the request, whose id is used then.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Add ``request_id`` unless the record already has one; keep every record."""
        if not hasattr(record, "request_id"):
            request_id = getattr(getattr(record, "request", None), "request_id", None)
            record.request_id = request_id or request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object on one line.

    time (ISO 8601, UTC, milliseconds), level, logger, message, request_id; the request line
    adds method, path, status and duration_ms; an exception adds ``exception`` (its
    traceback as text).
    """

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as a JSON object without newlines."""
        document: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", NO_REQUEST_ID),
        }
        for name in REQUEST_FIELDS:
            if hasattr(record, name):
                document[name] = getattr(record, name)
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        # default=str: a message argument that JSON cannot hold still logs, as text.
        return json.dumps(document, default=str, ensure_ascii=False)


def log_format(value: str, *, debug: bool) -> str:
    """Return LOG_FORMAT: ``value`` if set, else "text" in DEBUG and "json" otherwise."""
    value = value.strip().lower() or ("text" if debug else "json")
    if value not in LOG_FORMATS:
        raise ImproperlyConfigured(f"LOG_FORMAT is {value!r}: use json or text.")
    return value


def logging_config(*, log_format: str, level: str = "INFO") -> dict[str, Any]:
    """Return LOGGING: every record to stdout, as JSON lines or text, with its request id.

    ``log_format`` is a value of ``log_format()``. SQL statements (django.db.backends) stay
    out below WARNING whatever the level; Django's own request warnings ("Not Found: ...")
    stay, with the request id.
    """
    formatter: dict[str, Any] = (
        {"()": JsonFormatter} if log_format == "json" else {"format": TEXT_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"default": formatter},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "default",
                "filters": ["request_id"],
            },
        },
        "root": {"handlers": ["stdout"], "level": level.upper()},
        "loggers": {"django.db.backends": {"level": "WARNING"}},
    }
