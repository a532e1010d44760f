"""Admin for OAuth clients: every change through the client services, secrets shown once.

A client's secret is stored hashed (DOT hashes it on save), so the admin shows it only when
it is issued: at "Add", when a public client becomes confidential, and by "Rotate secret".
The new secret waits in the admin's session for the one page that shows it and forgets it.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join
from oauth2_provider.models import get_application_model

from accounts.admin_pages import confirm_page
from oidc import constants
from oidc.models import ClientOptions, IdPSession, SessionClient
from oidc.services.clients import (
    client_delete,
    client_register,
    client_rotate_secret,
    client_update,
    client_validate,
)

Application = get_application_model()

# Session key of the secrets issued and not yet shown: {client_id: secret}.
PENDING_SECRETS_KEY = "oidc_admin_new_secrets"
URI_FIELDS = ("redirect_uris", "post_logout_redirect_uris", "allowed_origins")


def _lines(value: str) -> list[str]:
    """Return the non-empty lines (or space-separated items) of a text field."""
    return value.split()


class ApplicationAdminForm(forms.ModelForm):
    """A client's values, checked by the same rules as ``oidc_client`` (client_validate)."""

    client_type = forms.ChoiceField(
        choices=Application.CLIENT_TYPES,
        initial=Application.CLIENT_CONFIDENTIAL,
        widget=forms.RadioSelect,
        help_text="Confidential: a server with a secret. Public: a browser or mobile app "
        "(PKCE, no secret).",
    )
    redirect_uris = forms.CharField(
        label="Redirect URIs",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line. Exact absolute URLs, matched exactly: no wildcard, no "
        "fragment; https when the identity server is on https.",
    )
    post_logout_redirect_uris = forms.CharField(
        label="Post-logout redirect URIs",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line, like the redirect URIs.",
    )
    backchannel_logout_uri = forms.CharField(
        label="Back-channel logout URI",
        required=False,
        max_length=ClientOptions._meta.get_field("backchannel_logout_uri").max_length,
        help_text="OIDC Back-Channel Logout 1.0: where the logout token is POSTed.",
    )
    events_uri = forms.CharField(
        label="Events URI",
        required=False,
        max_length=ClientOptions._meta.get_field("events_uri").max_length,
        help_text=ClientOptions._meta.get_field("events_uri").help_text,
    )
    allowed_origins = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line: browser origins (scheme://host[:port]) allowed to call the "
        "token, userinfo and revocation endpoints (CORS).",
    )
    can_introspect = forms.BooleanField(
        label="Resource server",
        required=False,
        help_text=ClientOptions._meta.get_field("can_introspect").help_text,
    )
    service_scopes = forms.MultipleChoiceField(
        required=False,
        choices=[(scope, scope) for scope in sorted(constants.SERVICE_SCOPES)],
        widget=forms.CheckboxSelectMultiple,
        help_text="What this confidential client may obtain for itself with the client "
        "credentials grant (RFC 6749 §4.4).",
    )

    class Meta:
        model = Application
        fields = ["name", "client_type", "skip_authorization"]
        labels = {"skip_authorization": "First-party"}
        help_texts = {
            "skip_authorization": "A shop of ours: its users are not asked for consent.",
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].required = True
        application = self.instance
        if application.pk is not None:
            for name in URI_FIELDS:
                self.initial[name] = "\n".join(getattr(application, name).split())
            options = ClientOptions.objects.filter(application=application).first()
            if options is not None:
                self.initial["backchannel_logout_uri"] = options.backchannel_logout_uri
                self.initial["events_uri"] = options.events_uri
                self.initial["can_introspect"] = options.can_introspect
                self.initial["service_scopes"] = options.service_scopes.split()

    def clean(self) -> dict:
        """Check the values with the services' rules; each problem goes to its field."""
        cleaned = super().clean()
        try:
            client_validate(**self._values())
        except ValidationError as error:
            for field, field_messages in error.message_dict.items():
                if field in self.fields and field not in self.errors:
                    self.add_error(field, field_messages)
                elif field not in self.fields:
                    self.add_error(None, field_messages)
        return cleaned

    def client_values(self) -> dict:
        """Return the cleaned values as the client services take them."""
        values = self._values()
        values["first_party"] = bool(self.cleaned_data.get("skip_authorization"))
        return values

    def _values(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data.get("name") or "",
            "redirect_uris": _lines(data.get("redirect_uris") or ""),
            "post_logout_redirect_uris": _lines(data.get("post_logout_redirect_uris") or ""),
            "allowed_origins": _lines(data.get("allowed_origins") or ""),
            "backchannel_logout_uri": (data.get("backchannel_logout_uri") or "").strip(),
            "events_uri": (data.get("events_uri") or "").strip(),
            "public": data.get("client_type") == Application.CLIENT_PUBLIC,
            "can_introspect": bool(data.get("can_introspect")),
            "service_scopes": list(data.get("service_scopes") or []),
        }


admin.site.unregister(Application)


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    """Clients. The stored secret is a hash and is never displayed, not even masked."""

    form = ApplicationAdminForm
    view_on_site = False
    list_display = ["name", "client_id", "client_type", "skip_authorization", "redirect_list"]
    list_filter = ["client_type", "skip_authorization"]
    search_fields = ["name", "client_id"]
    readonly_fields = ["client_id", "client_secret_masked", "created", "updated"]
    actions = ["rotate_secret"]
    add_fieldsets = [
        (None, {"fields": ["name", "client_type", "skip_authorization"]}),
        (
            "Sign-in and sign-out",
            {
                "fields": [
                    "redirect_uris",
                    "post_logout_redirect_uris",
                    "backchannel_logout_uri",
                    "events_uri",
                    "allowed_origins",
                ]
            },
        ),
        ("Services", {"fields": ["can_introspect", "service_scopes"]}),
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "client_id",
                    "client_type",
                    "client_secret_masked",
                    "skip_authorization",
                ]
            },
        ),
        *add_fieldsets[1:],
        ("Dates", {"fields": ["created", "updated"]}),
    ]

    def get_fieldsets(self, request: HttpRequest, obj=None):
        """Add: no client id, secret or dates yet."""
        return self.fieldsets if obj is not None else self.add_fieldsets

    def get_urls(self):
        """Add the page that shows new secrets once, and one client's "Rotate secret"."""
        view = self.admin_site.admin_view
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("new-secrets/", view(self.new_secrets_view), name=f"{prefix}_new_secrets"),
            path(
                "<path:object_id>/rotate-secret/",
                view(self.rotate_secret_view),
                name=f"{prefix}_rotate_secret",
            ),
            *super().get_urls(),
        ]

    def _url(self, name: str, *args) -> str:
        """Return the URL of one of this admin's pages (changelist, change, new_secrets...)."""
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_{name}",
            args=args,
            current_app=self.admin_site.name,
        )

    @admin.display(description="client secret")
    def client_secret_masked(self, obj) -> str:
        """Show that a secret exists, never what it is."""
        if obj.client_type == Application.CLIENT_PUBLIC:
            return "— (public client)"
        return "•••• (stored hashed: “Rotate secret” issues a new one, shown once)"

    @admin.display(description="redirect URIs")
    def redirect_list(self, obj) -> str:
        """List the redirect URIs one per line."""
        return format_html_join("", "<div>{}</div>", ((uri,) for uri in obj.redirect_uris.split()))

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        """Register or update through the client services; keep a new secret to show once."""
        values = form.client_values()
        if not change:
            _application, secret = client_register(
                **values, application=obj, actor=request.user, request=request
            )
            if secret:
                _secret_pending(request, client_id=obj.client_id, secret=secret)
            return
        was_public = form.initial.get("client_type") == Application.CLIENT_PUBLIC
        client_update(client_id=obj.client_id, **values, actor=request.user, request=request)
        if was_public and not values["public"]:
            secret = client_rotate_secret(
                client_id=obj.client_id, actor=request.user, request=request
            )
            _secret_pending(request, client_id=obj.client_id, secret=secret)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        """Nothing: the client's options were saved with it by the service."""

    def delete_model(self, request: HttpRequest, obj) -> None:
        """Delete through the service (audited)."""
        client_delete(client_id=obj.client_id, actor=request.user, request=request)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        """Delete each selected client through the service (audited)."""
        for application in queryset:
            client_delete(client_id=application.client_id, actor=request.user, request=request)

    def response_add(self, request: HttpRequest, obj, post_url_continue=None) -> HttpResponse:
        """Go to the page that shows the new secret once, when one was issued."""
        response = super().response_add(request, obj, post_url_continue)
        return self._new_secrets_redirect(request) or response

    def response_change(self, request: HttpRequest, obj) -> HttpResponse:
        """Go to the page that shows the new secret once, when one was issued."""
        response = super().response_change(request, obj)
        return self._new_secrets_redirect(request) or response

    def _new_secrets_redirect(self, request: HttpRequest) -> HttpResponse | None:
        if not request.session.get(PENDING_SECRETS_KEY):
            return None
        return HttpResponseRedirect(self._url("new_secrets"))

    def new_secrets_view(self, request: HttpRequest) -> HttpResponse:
        """Show the secrets just issued, then forget them: a reload shows none."""
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        pending = request.session.pop(PENDING_SECRETS_KEY, {})
        names = dict(
            Application.objects.filter(client_id__in=list(pending)).values_list("client_id", "name")
        )
        context = {
            **self.admin_site.each_context(request),
            "title": "New client secret",
            "opts": self.opts,
            "secrets": [
                {"client_id": client_id, "name": names.get(client_id, ""), "secret": secret}
                for client_id, secret in pending.items()
            ],
            "changelist_url": self._url("changelist"),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, "admin/oauth2_provider/application/new_secrets.html", context
        )

    def rotate_secret_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Ask, then issue a new secret for one client (the change page's button)."""
        application = self.get_object(request, unquote(object_id))
        if application is None:
            raise Http404("No such client.")
        if not self.has_change_permission(request, application):
            raise PermissionDenied
        change_url = self._url("change", application.pk)
        if application.client_type != Application.CLIENT_CONFIDENTIAL:
            messages.error(request, "A public client has no secret.")
            return HttpResponseRedirect(change_url)
        if request.method == "POST":
            self._rotate(request, [application])
            return self._new_secrets_redirect(request) or HttpResponseRedirect(change_url)
        return confirm_page(
            self,
            request,
            obj=application,
            title=f"Rotate the secret of {application}?",
            question=(
                f"A new secret replaces the current one of {application} "
                f"({application.client_id}) at once: the client fails to sign users in "
                "until it is configured with the new secret, which is shown once."
            ),
            submit_label="Yes, issue a new secret",
            cancel_url=change_url,
        )

    @admin.action(description="Rotate secret (the new one is shown once)")
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """Issue a new secret for each selected confidential client and show them once."""
        self._rotate(request, list(queryset))
        return self._new_secrets_redirect(request)

    def _rotate(self, request: HttpRequest, applications: list) -> None:
        for application in applications:
            try:
                secret = client_rotate_secret(
                    client_id=application.client_id, actor=request.user, request=request
                )
            except ValidationError as error:
                self.message_user(request, "; ".join(error.messages), messages.ERROR)
                continue
            _secret_pending(request, client_id=application.client_id, secret=secret)


def _secret_pending(request: HttpRequest, *, client_id: str, secret: str) -> None:
    """Keep a new secret in the admin's session until the page that shows it once."""
    pending = request.session.get(PENDING_SECRETS_KEY, {})
    request.session[PENDING_SECRETS_KEY] = {**pending, client_id: secret}


class SessionClientInline(admin.TabularInline):
    """The clients that took part in an IdP session."""

    model = SessionClient
    extra = 0
    can_delete = False
    readonly_fields = ["application", "created"]

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(IdPSession)
class IdPSessionAdmin(admin.ModelAdmin):
    """IdP sessions, read-only."""

    list_display = ["sid_short", "user", "auth_time", "ended_at"]
    list_filter = ["ended_at"]
    search_fields = ["user__email", "sid"]
    readonly_fields = ["sid", "user", "auth_time", "created", "ended_at"]
    exclude = ["session_key"]
    inlines = [SessionClientInline]

    @admin.display(description="sid")
    def sid_short(self, obj: IdPSession) -> str:
        """Show the start of the sid only."""
        return f"{obj.sid[:8]}…"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
