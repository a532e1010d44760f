"""Pages the identity admin adds to Django's: one confirmation page for dangerous actions."""

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse


def confirm_page(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    *,
    obj,
    title: str,
    question: str,
    submit_label: str,
    cancel_url: str,
) -> TemplateResponse:
    """Ask before an action on ``obj``; the page posts back to the URL it was shown at."""
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.opts,
        "original": obj,
        "question": question,
        "submit_label": submit_label,
        "cancel_url": cancel_url,
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, "admin/confirm_action.html", context)
