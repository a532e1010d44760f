import json
import logging
import logging.config
import re
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.utils.log import log_response

from stack_settings.observability import (
    NO_REQUEST_ID,
    REQUEST_ID_HEADER,
    JsonFormatter,
    RequestIdFilter,
    RequestIdMiddleware,
    log_format,
    logging_config,
    request_id_var,
)

if not settings.configured:
    settings.configure()

GENERATED_ID = re.compile(r"[0-9a-f]{32}")


def _view_seeing_ids(seen: dict):
    def view(request: HttpRequest) -> HttpResponse:
        seen["var"] = request_id_var.get()
        seen["meta"] = request.META["HTTP_X_REQUEST_ID"]
        logging.getLogger("test.view").warning("inside the view")
        return HttpResponse("ok", status=201)

    return view


def test_a_well_formed_incoming_id_is_kept_echoed_and_bound() -> None:
    """The id a proxy or a shop sent is the request's, in the response and while it runs."""
    seen: dict = {}
    request = RequestFactory().get("/x", HTTP_X_REQUEST_ID="shop-a.7f3c:01")

    response = RequestIdMiddleware(_view_seeing_ids(seen))(request)

    assert response[REQUEST_ID_HEADER] == "shop-a.7f3c:01"
    assert seen == {"var": "shop-a.7f3c:01", "meta": "shop-a.7f3c:01"}
    assert request.request_id == "shop-a.7f3c:01"
    assert request_id_var.get() == NO_REQUEST_ID


@pytest.mark.parametrize(
    "incoming",
    [
        "",
        "a" * 129,
        "id with spaces",
        'quote"d',
        "line\nbreak",
        "-starts-with-dash",
        "ünïcode",
        "semi;colon",
    ],
)
def test_a_malformed_or_missing_id_is_replaced(incoming: str) -> None:
    """An id that could break a log line or a header, or grow without bound, is replaced."""
    seen: dict = {}
    request = RequestFactory().get("/x", HTTP_X_REQUEST_ID=incoming)

    response = RequestIdMiddleware(_view_seeing_ids(seen))(request)

    new_id = response[REQUEST_ID_HEADER]
    assert GENERATED_ID.fullmatch(new_id)
    assert new_id != incoming
    # What sso_client forwards is the replacement, never the malformed value.
    assert seen == {"var": new_id, "meta": new_id}


def test_each_request_without_an_id_gets_its_own() -> None:
    middleware = RequestIdMiddleware(lambda request: HttpResponse())
    first = middleware(RequestFactory().get("/"))[REQUEST_ID_HEADER]
    second = middleware(RequestFactory().get("/"))[REQUEST_ID_HEADER]
    assert first != second


def test_the_request_line_is_logged_with_its_fields(caplog) -> None:
    """One INFO record per request: method, path, status and duration, with the id."""
    caplog.set_level(logging.INFO, logger="stack.request")
    request = RequestFactory().post("/o/token/", HTTP_X_REQUEST_ID="abc123")

    RequestIdMiddleware(lambda request: HttpResponse(status=400))(request)

    [record] = [r for r in caplog.records if r.name == "stack.request"]
    assert (record.method, record.path, record.status) == ("POST", "/o/token/", 400)
    assert record.duration_ms >= 0
    assert record.getMessage().startswith("POST /o/token/ 400 ")


def test_djangos_response_warning_after_the_middleware_carries_the_request_id(caplog) -> None:
    """Django logs "Not Found: /x" once the middleware has returned: the id is still on it."""
    caplog.handler.addFilter(RequestIdFilter())
    caplog.set_level(logging.WARNING, logger="django.request")
    request = RequestFactory().get("/x", HTTP_X_REQUEST_ID="rid-404")
    response = RequestIdMiddleware(lambda request: HttpResponse(status=404))(request)

    # What django.core.handlers.base.BaseHandler.get_response does after the middleware chain.
    log_response("%s: %s", response.reason_phrase, request.path, response=response, request=request)

    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.getMessage() == "Not Found: /x"
    assert record.request_id == "rid-404"
    assert request_id_var.get() == NO_REQUEST_ID


def _json_line(record: logging.LogRecord) -> dict:
    RequestIdFilter().filter(record)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    return json.loads(line)


def test_the_json_formatter_writes_one_parseable_object() -> None:
    """A record outside a request: its fields, and "-" for the request id."""
    record = logging.LogRecord("accounts", logging.WARNING, __file__, 1, "hi %s", ("there",), None)
    record.created = 1767225600.5  # 2026-01-01T00:00:00.500Z

    document = _json_line(record)

    assert document == {
        "time": "2026-01-01T00:00:00.500+00:00",
        "level": "WARNING",
        "logger": "accounts",
        "message": "hi there",
        "request_id": NO_REQUEST_ID,
    }


def test_the_json_formatter_keeps_the_request_id_and_request_fields() -> None:
    record = logging.LogRecord("stack.request", logging.INFO, __file__, 1, "GET /", (), None)
    record.method, record.path, record.status, record.duration_ms = "GET", "/", 200, 1.5
    token = request_id_var.set("rid-1")
    try:
        document = _json_line(record)
    finally:
        request_id_var.reset(token)

    assert document["request_id"] == "rid-1"
    assert {k: document[k] for k in ("method", "path", "status", "duration_ms")} == {
        "method": "GET",
        "path": "/",
        "status": 200,
        "duration_ms": 1.5,
    }


def test_the_json_formatter_escapes_newlines_and_carries_exceptions() -> None:
    """A message with a newline (e.g. a forged username) cannot start a second log line."""
    try:
        raise ValueError("boom")
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "a\nb", (), exc_info)

    document = _json_line(record)

    assert document["message"] == "a\nb"
    assert "ValueError: boom" in document["exception"]


@pytest.mark.parametrize(
    ("value", "debug", "expected"),
    [("", False, "json"), ("", True, "text"), ("TEXT", False, "text"), (" json ", True, "json")],
)
def test_log_format_defaults_to_json_unless_debug(value: str, debug: bool, expected: str) -> None:
    assert log_format(value, debug=debug) == expected


def test_log_format_refuses_an_unknown_one() -> None:
    with pytest.raises(ImproperlyConfigured, match="LOG_FORMAT is 'xml': use json or text"):
        log_format("xml", debug=False)


@pytest.fixture
def restore_logging():
    """Give the root logger back its handlers and level after a test applies LOGGING."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_logging_config_writes_json_lines_to_stdout(capsys, restore_logging) -> None:
    """The LOGGING dict, applied: a record inside a request is one JSON line with its id."""
    logging.config.dictConfig(logging_config(log_format="json", level="info"))
    token = request_id_var.set("rid-2")
    try:
        logging.getLogger("accounts").info("signed in")
        logging.getLogger("django.db.backends").info("SELECT 1")
    finally:
        request_id_var.reset(token)

    [line] = capsys.readouterr().out.splitlines()
    assert json.loads(line)["message"] == "signed in"
    assert json.loads(line)["request_id"] == "rid-2"


def test_logging_config_text_lines_carry_the_request_id(capsys, restore_logging) -> None:
    logging.config.dictConfig(logging_config(log_format="text"))
    logging.getLogger("accounts").warning("hello")

    assert capsys.readouterr().out.rstrip().endswith("WARNING accounts [-] hello")
