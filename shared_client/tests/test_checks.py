"""System checks report a client that is not configured."""

from django.core import checks

from sso_client.backends import SSOBackend
from sso_client.checks import check_sso_settings
from sso_client.routers import LegacyReadOnlyRouter


class ShopBackend(SSOBackend):
    """A project's subclass, as the README suggests for changing a hook."""


def ids(problems):
    return sorted(problem.id for problem in problems)


def test_configured_client_passes():
    assert check_sso_settings() == []


def test_check_is_registered():
    assert check_sso_settings in checks.registry.registry.get_checks()


def test_missing_settings_are_errors_with_hints(settings):
    settings.SSO_CLIENT = {}

    problems = check_sso_settings()

    assert ids(problems) == ["sso_client.E001", "sso_client.E002", "sso_client.E003"]
    assert all(problem.hint for problem in problems)
    assert all(problem.level == checks.ERROR for problem in problems)


def test_registered_check_reports_missing_settings(settings):
    settings.SSO_CLIENT = {"ISSUER": "https://idp.test/o"}

    assert ids(checks.run_checks()) == ["sso_client.E002", "sso_client.E003"]


def test_issuer_must_be_a_url(settings):
    settings.SSO_CLIENT = {**settings.SSO_CLIENT, "ISSUER": "idp.test/o"}

    assert ids(check_sso_settings()) == ["sso_client.E004"]


def test_missing_backend_is_a_warning(settings):
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]

    assert ids(check_sso_settings()) == ["sso_client.W001"]


def test_subclass_of_the_backend_counts_as_installed(settings):
    """A project that names its SSOBackend subclass gets no W001."""
    settings.AUTHENTICATION_BACKENDS = ["tests.test_checks.ShopBackend"]

    assert check_sso_settings() == []


def test_legacy_database_must_be_a_databases_alias(settings):
    """LEGACY_DATABASE naming no DATABASES entry is an error."""
    settings.SSO_CLIENT = {**settings.SSO_CLIENT, "LEGACY_DATABASE": "old_shop"}

    problems = check_sso_settings()

    assert ids(problems) == ["sso_client.E005"]
    assert problems[0].msg == "SSO_CLIENT[\"LEGACY_DATABASE\"] 'old_shop' is not in DATABASES."


def test_legacy_models_must_be_installed_models(settings):
    """Each LEGACY_MODELS entry must name an installed model as "app_label.ModelName"."""
    settings.SSO_CLIENT = {
        **settings.SSO_CLIENT,
        "LEGACY_MODELS": ["testapp.LegacyCustomer", "testapp.Missing", "no-dot"],
    }

    assert ids(check_sso_settings()) == ["sso_client.E006", "sso_client.E006"]


def test_legacy_database_without_the_router_is_a_warning(settings):
    """LEGACY_DATABASE without LegacyReadOnlyRouter in DATABASE_ROUTERS routes nothing."""
    settings.DATABASE_ROUTERS = []

    assert ids(check_sso_settings()) == ["sso_client.W002"]


def test_router_given_as_instance_counts_as_installed(settings):
    """DATABASE_ROUTERS may hold router instances instead of dotted paths."""
    settings.DATABASE_ROUTERS = [LegacyReadOnlyRouter()]

    assert check_sso_settings() == []
