"""System checks report a client that is not configured."""

from dataclasses import FrozenInstanceError

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from sso_client.backends import SSOBackend
from sso_client.checks import check_sso_settings
from sso_client.conf import sso_settings
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
    settings.SSO_CLIENT = {"CACHE_ALIAS": "sso"}

    problems = check_sso_settings()

    assert ids(problems) == ["sso_client.E001", "sso_client.E002", "sso_client.E003"]
    assert all(problem.hint for problem in problems)
    assert all(problem.level == checks.ERROR for problem in problems)


def test_missing_setting_is_like_an_empty_dict(settings):
    """A project that has not written SSO_CLIENT yet is told what to write."""
    del settings.SSO_CLIENT

    assert ids(check_sso_settings()) == [
        "sso_client.E001",
        "sso_client.E002",
        "sso_client.E003",
        "sso_client.W003",
    ]


def test_registered_check_reports_missing_settings(settings):
    settings.SSO_CLIENT = {"ISSUER": "https://idp.test/o", "CACHE_ALIAS": "sso"}

    assert ids(checks.run_checks()) == ["sso_client.E002", "sso_client.E003"]


def test_setting_that_is_not_a_dict_is_an_error(settings):
    settings.SSO_CLIENT = [("ISSUER", "https://idp.test/o")]

    problems = check_sso_settings()

    assert ids(problems) == ["sso_client.E009"]
    assert problems[0].msg == "SSO_CLIENT must be a dict, not list."


@pytest.mark.parametrize(
    ("key", "hint"),
    [
        ("ISUER", 'Did you mean "ISSUER"?'),
        ("client_id", 'Did you mean "CLIENT_ID"?'),
        ("STAFF_GROUP", 'Did you mean "STAFF_GROUPS"?'),
        ("SCOPE", 'Did you mean "SCOPES"?'),
    ],
)
def test_unknown_key_is_an_error_suggesting_the_close_match(settings, key, hint):
    """A typo is reported with the key it probably meant, instead of silently ignored."""
    settings.SSO_CLIENT = {**settings.SSO_CLIENT, key: "x"}

    problems = check_sso_settings()

    assert ids(problems) == ["sso_client.E007"]
    assert problems[0].msg == f"SSO_CLIENT has an unknown key {key!r}."
    assert problems[0].hint == hint


def test_unknown_key_far_from_any_lists_the_known_keys(settings):
    settings.SSO_CLIENT = {**settings.SSO_CLIENT, "PHONE_NUMBER_FORMAT": "x"}

    (problem,) = check_sso_settings()

    assert problem.id == "sso_client.E007"
    assert problem.hint.startswith("Known keys: ISSUER, CLIENT_ID, CLIENT_SECRET, SCOPES,")


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("ISSUER", 42, 'SSO_CLIENT["ISSUER"] must be a string, not int.'),
        ("TIMEOUT", "5", 'SSO_CLIENT["TIMEOUT"] must be a number, not str.'),
        ("TIMEOUT", True, 'SSO_CLIENT["TIMEOUT"] must be a number, not bool.'),
        ("LEEWAY", 1.5, 'SSO_CLIENT["LEEWAY"] must be an integer, not float.'),
        ("VERIFY_SSL", "no", 'SSO_CLIENT["VERIFY_SSL"] must be True or False, not str.'),
        ("STAFF_GROUPS", "staff", 'SSO_CLIENT["STAFF_GROUPS"] must be a list of strings, not str.'),
        (
            "STAFF_GROUPS",
            ["staff", 1],
            'SSO_CLIENT["STAFF_GROUPS"] must be a list of strings, not list.',
        ),
        ("SCOPES", 7, 'SSO_CLIENT["SCOPES"] must be a string or a list of strings, not int.'),
        ("USER_LOOKUP_URL", 1, 'SSO_CLIENT["USER_LOOKUP_URL"] must be a string or None, not int.'),
        (
            "SYNC_HOOKS",
            [3],
            'SSO_CLIENT["SYNC_HOOKS"] must be a list of strings or callables, not list.',
        ),
    ],
)
def test_wrong_type_is_an_error(settings, key, value, message):
    settings.SSO_CLIENT = {**settings.SSO_CLIENT, key: value}

    problems = check_sso_settings()

    assert ids(problems) == ["sso_client.E008"]
    assert problems[0].msg == message


def test_wrong_type_also_fails_at_first_use(settings):
    """A server started without `manage.py check` fails loudly, naming the setting."""
    settings.SSO_CLIENT = {**settings.SSO_CLIENT, "TIMEOUT": "5"}

    with pytest.raises(ImproperlyConfigured, match=r'SSO_CLIENT\["TIMEOUT"\] must be a number'):
        sso_settings.TIMEOUT  # noqa: B018 - the access is the test


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("SCOPES", "email profile"),
        ("TIMEOUT", 0),
        ("LOGOUT_TOKEN_MAX_LIFETIME", 0),
        ("JWKS_REFETCH_INTERVAL", -1),
        ("LEEWAY", -5),
    ],
)
def test_value_out_of_range_is_an_error(settings, key, value):
    settings.SSO_CLIENT = {**settings.SSO_CLIENT, key: value}

    assert ids(check_sso_settings()) == ["sso_client.E011"]


def test_values_are_typed_and_frozen(settings):
    """Lists become tuples, scopes given as a list are joined, and nothing can be assigned."""
    settings.SSO_CLIENT = {
        **settings.SSO_CLIENT,
        "SCOPES": ["openid", "email", "groups"],
        "STAFF_GROUPS": ["staff"],
    }

    assert sso_settings.SCOPES == "openid email groups"
    assert sso_settings.STAFF_GROUPS == ("staff",)
    assert check_sso_settings() == []
    with pytest.raises(FrozenInstanceError):
        sso_settings.ISSUER = "https://evil.test/o"


def test_defaults_are_neutral(settings):
    """No phone scope and no group that gives rights unless the project asks for them."""
    settings.SSO_CLIENT = {"ISSUER": "https://idp.test/o", "CLIENT_ID": "a", "CLIENT_SECRET": "b"}

    assert sso_settings.SCOPES == "openid email profile"
    assert (sso_settings.STAFF_GROUPS, sso_settings.SUPERUSER_GROUPS) == ((), ())
    assert sso_settings.CACHE_ALIAS == "default"


def test_issuer_longer_than_the_link_column_is_an_error(settings):
    settings.SSO_CLIENT = {**settings.SSO_CLIENT, "ISSUER": "https://idp.test/" + "o" * 250}

    assert ids(check_sso_settings()) == ["sso_client.E004"]


def test_cache_alias_must_be_in_caches(settings):
    settings.SSO_CLIENT = {**settings.SSO_CLIENT, "CACHE_ALIAS": "shared"}

    problems = check_sso_settings()

    assert ids(problems) == ["sso_client.E010"]
    assert problems[0].msg == "SSO_CLIENT[\"CACHE_ALIAS\"] 'shared' is not in CACHES."


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.dummy.DummyCache",
    ],
)
def test_cache_each_process_holds_alone_is_a_warning(settings, backend):
    """Replay protection needs a cache all processes share: local memory or dummy is warned."""
    settings.CACHES = {**settings.CACHES, "sso": {"BACKEND": backend}}

    problems = check_sso_settings()

    assert ids(problems) == ["sso_client.W003"]
    assert problems[0].level == checks.WARNING
    assert backend.rsplit(".", 1)[1] in problems[0].msg


def test_shared_cache_is_not_warned(settings):
    settings.CACHES = {
        **settings.CACHES,
        "sso": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379",
        },
    }

    assert check_sso_settings() == []


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
