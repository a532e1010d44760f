"""JSON answers for requests our protocol endpoints do not take."""

from django.http import HttpRequest, HttpResponse, JsonResponse


class JsonMethodNotAllowedMixin:
    """Answer an unsupported HTTP method with a JSON error and the ``Allow`` header."""

    def http_method_not_allowed(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        """405 with a reason a client can read, like every other error of these endpoints."""
        allowed = [method.upper() for method in self._allowed_methods()]
        response = JsonResponse(
            {
                "error": "invalid_request",
                "error_description": f"Use {' or '.join(m for m in allowed if m != 'OPTIONS')}.",
            },
            status=405,
        )
        response["Allow"] = ", ".join(allowed)
        return response
