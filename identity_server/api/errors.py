"""Every API error is JSON with a reason."""

from typing import Any

from django.core.exceptions import ValidationError
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Answer ``{"error": code, "detail": reason}``, also for Django's ValidationError."""
    if isinstance(exc, ValidationError):
        exc = exceptions.ValidationError(detail=exc.messages)
    response = exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    detail = data.get("detail", data) if isinstance(data, dict) else data
    response.data = {"error": getattr(exc, "default_code", "error"), "detail": detail}
    return response
