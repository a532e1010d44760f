"""Signing keys in a directory: publish the next one, rotate, list, drop expired retired ones."""

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.test import Client
from oauth2_provider.settings import oauth2_settings

from oidc.keys import (
    NEXT,
    RETIRED,
    SIGNING,
    NextKeyTooNew,
    key_files,
    key_pem_generate,
    keys_drop,
    keys_rotate,
    next_key_ensure,
    signing_keys_load,
)
from oidc.management.commands.oidc_keys import retention_seconds
from oidc.tests.flow import tokens_get

NOW = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def keys_dir(tmp_path: Path) -> Path:
    return tmp_path / "keys"


@pytest.fixture
def legacy_key(tmp_path: Path) -> Path:
    """The single key file of an install from before the keys directory."""
    path = tmp_path / "oidc_rsa.pem"
    path.write_text(key_pem_generate())
    return path


def load(keys_dir: Path, key_file: Path, retired_files: list[str] | None = None):
    return signing_keys_load(
        keys_dir=keys_dir, key_file=key_file, retired_files=retired_files or [], debug=False
    )


def states(keys_dir: Path) -> list[tuple[str, str]]:
    """(state, kid) of each key, oldest first."""
    return [(key.state, key.kid) for key in key_files(keys_dir)]


def test_the_first_rotation_moves_an_older_install_over(keys_dir, legacy_key):
    """Its key file is copied in as retired, a new key signs, a next key is published."""
    new = keys_rotate(keys_dir=keys_dir, key_file=legacy_key, now=NOW)

    keys = key_files(keys_dir)
    assert [(key.state, key.since) for key in keys[:2]] == [(RETIRED, NOW), (SIGNING, NOW)]
    assert keys[2].state == NEXT
    assert keys[0].pem == legacy_key.read_text()
    assert keys[1] == new
    assert load(keys_dir, legacy_key) == (new.pem, [keys[2].pem, legacy_key.read_text()])
    assert stat.S_IMODE(new.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(keys_dir.stat().st_mode) == 0o700


def test_a_rotation_signs_with_the_key_published_since_the_last_one(keys_dir, legacy_key):
    """Shops already hold the new signing key: it was in the JWKS as the next key."""
    first = keys_rotate(keys_dir=keys_dir, key_file=legacy_key, now=NOW)
    published_next = key_files(keys_dir)[-1]
    assert published_next.pem in load(keys_dir, legacy_key)[1]

    second = keys_rotate(keys_dir=keys_dir, key_file=legacy_key, now=NOW + HOUR)

    assert second.kid == published_next.kid
    following = key_files(keys_dir)[-1]
    assert states(keys_dir)[1:] == [
        (RETIRED, first.kid),
        (SIGNING, second.kid),
        (NEXT, following.kid),
    ]
    active, published = load(keys_dir, legacy_key)
    assert active == second.pem
    assert published == [following.pem, first.pem, legacy_key.read_text()]


def test_a_next_key_too_new_for_the_shops_is_not_rotated_in_unless_forced(keys_dir, legacy_key):
    keys_rotate(keys_dir=keys_dir, key_file=legacy_key, now=NOW)
    before = states(keys_dir)

    with pytest.raises(NextKeyTooNew, match="published 60 s ago"):
        keys_rotate(keys_dir=keys_dir, key_file=legacy_key, now=NOW + timedelta(seconds=60))
    assert states(keys_dir) == before

    forced = keys_rotate(
        keys_dir=keys_dir, key_file=legacy_key, now=NOW + timedelta(seconds=60), force=True
    )
    assert forced.kid == before[-1][1]


def test_the_next_key_is_written_once(keys_dir):
    first = next_key_ensure(keys_dir=keys_dir, now=NOW)

    assert next_key_ensure(keys_dir=keys_dir, now=NOW + HOUR) == first
    assert states(keys_dir) == [(NEXT, first.kid)]


def test_the_directory_wins_and_retired_files_stay_published(keys_dir, legacy_key, tmp_path):
    """OIDC_RSA_PRIVATE_KEY_FILE signs only while the directory has no signing key."""
    other = tmp_path / "retired.pem"
    other.write_text(key_pem_generate())
    assert load(keys_dir, legacy_key, [str(other)]) == (legacy_key.read_text(), [other.read_text()])

    new = keys_rotate(keys_dir=keys_dir, key_file=legacy_key, now=NOW)

    next_key = key_files(keys_dir)[-1]
    assert load(keys_dir, legacy_key, [str(other)]) == (
        new.pem,
        [next_key.pem, legacy_key.read_text(), other.read_text()],
    )


def test_no_key_anywhere_stops_the_server(keys_dir, tmp_path):
    with pytest.raises(ImproperlyConfigured, match="oidc_keys rotate"):
        load(keys_dir, tmp_path / "missing.pem")


def test_retired_keys_are_dropped_once_their_tokens_expired(keys_dir, legacy_key):
    """Each retired key goes when the retention has passed since it was retired, not before."""
    first = keys_rotate(keys_dir=keys_dir, key_file=legacy_key, now=NOW)
    second = keys_rotate(keys_dir=keys_dir, key_file=legacy_key, now=NOW + HOUR)
    second_before = NOW + 2 * HOUR - timedelta(seconds=1)

    legacy_dropped = keys_drop(keys_dir=keys_dir, retention_seconds=3600, now=second_before)
    first_dropped = keys_drop(keys_dir=keys_dir, retention_seconds=3600, now=NOW + 2 * HOUR)

    assert [key.pem for key in legacy_dropped] == [legacy_key.read_text()]
    assert [key.kid for key in first_dropped] == [first.kid]
    assert [state for state, _kid in states(keys_dir)] == [SIGNING, NEXT]
    assert states(keys_dir)[0][1] == second.kid


def test_a_leaked_key_is_dropped_at_once_but_never_the_signing_one(keys_dir, legacy_key):
    signing = keys_rotate(keys_dir=keys_dir, key_file=legacy_key, now=NOW)
    retired = key_files(keys_dir)[0]

    with pytest.raises(ValueError, match="no retired key"):
        keys_drop(keys_dir=keys_dir, retention_seconds=10**9, now=NOW, kid=signing.kid)
    dropped = keys_drop(keys_dir=keys_dir, retention_seconds=10**9, now=NOW, kid=retired.kid)

    assert dropped == [retired]
    assert [state for state, _kid in states(keys_dir)] == [SIGNING, NEXT]


def test_retention_covers_the_longest_token_and_the_idp_session(settings):
    """A shop sends its sign-in ID token back as id_token_hint as long as the session lives."""
    settings.IDP_SESSION_MAX_AGE_SECONDS = 7 * 24 * 3600

    assert retention_seconds() == 7 * 24 * 3600 + 5 * 60


def test_the_command_rotates_lists_and_retires(settings, keys_dir, legacy_key, capsys):
    settings.OIDC_KEYS_DIR = keys_dir
    settings.OIDC_RSA_PRIVATE_KEY_FILE = legacy_key
    settings.OIDC_RSA_RETIRED_KEY_FILES = []

    call_command("oidc_keys", "rotate")
    rotated = capsys.readouterr().out
    call_command("oidc_keys", "list")
    listed = capsys.readouterr().out.splitlines()
    call_command("oidc_keys", "retire")
    retired = capsys.readouterr().out
    with pytest.raises(CommandError, match="Not rotated: the next key was published"):
        call_command("oidc_keys", "rotate")

    old, signing, next_key = key_files(keys_dir)
    assert f"New signing key {signing.kid}" in rotated
    assert "HUP" in rotated
    assert listed[1].split()[:2] == ["next", next_key.kid]
    assert listed[2].split()[:2] == ["active", signing.kid]
    assert listed[3].split()[:2] == ["retired", old.kid]
    assert "No retired key to delete." in retired
    with pytest.raises(CommandError, match="no retired key"):
        call_command("oidc_keys", "retire", "--kid", "unknown")


@pytest.mark.django_db
def test_tokens_signed_before_a_rotation_verify_with_the_published_keys(
    browser, shop_a, keys_dir, legacy_key, settings
):
    """After a rotation and a reload the JWKS has both keys, and a shop verifies an ID token
    signed with the old one by its kid, as sso_client does."""
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "OIDC_RSA_PRIVATE_KEY": legacy_key.read_text(),
        "OIDC_RSA_PRIVATE_KEYS_INACTIVE": [],
    }
    application, secret = shop_a
    old_token = tokens_get(browser, application.client_id, secret)["id_token"]

    keys_rotate(keys_dir=keys_dir, key_file=legacy_key, now=NOW)
    active, published = load(keys_dir, legacy_key)
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "OIDC_RSA_PRIVATE_KEY": active,
        "OIDC_RSA_PRIVATE_KEYS_INACTIVE": published,
    }
    jwks = Client().get("/o/.well-known/jwks.json").json()
    new_token = tokens_get(browser, application.client_id, secret)["id_token"]

    kids = [key["kid"] for key in jwks["keys"]]
    # The signing key first, then the next key and the retired one.
    assert kids[0] == key_files(keys_dir)[1].kid
    assert sorted(kids) == sorted(key.kid for key in key_files(keys_dir))
    for token in (old_token, new_token):
        kid = jwt.get_unverified_header(token)["kid"]
        public = jwt.PyJWK(next(key for key in jwks["keys"] if key["kid"] == kid))
        claims = jwt.decode(
            token,
            public,
            algorithms=["RS256"],
            audience=application.client_id,
            options={"verify_exp": False},
        )
        assert claims["iss"] == oauth2_settings.OIDC_ISS_ENDPOINT
    assert (
        jwt.get_unverified_header(old_token)["kid"] != jwt.get_unverified_header(new_token)["kid"]
    )
