"""`.env` and var/dev.env: the real environment wins, then .env, then the generated dev secrets."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from bootstrap import dev_env_ensure, read_env_file
from support.stack import ENTRYPOINT, REPO

PROJECTS = ("identity_server", "project_a", "project_b")


def clean_environ(**extra: str) -> dict[str, str]:
    """Return the test process's environment without anything a project reads from env files."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.endswith(("DATABASE_URL", "SECRET_KEY", "_URL", "_PORT")) and key != "ENV_FILE"
    }
    return {**env, **extra}


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, cwd=REPO)


def idp_settings(env: dict[str, str], *names: str, direct: bool = False) -> list[str]:
    """Print settings of the identity server, run through the entrypoint or manage.py itself."""
    code = f"from django.conf import settings; print(*(getattr(settings, n) for n in {names!r}))"
    command = (
        [str(REPO / ".venv" / "bin" / "python"), "identity_server/manage.py"]
        if direct
        else [str(ENTRYPOINT), "identity_server", "manage"]
    )
    result = run([*command, "shell", "--no-imports", "-c", code], env)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


@pytest.fixture
def var_dir(tmp_path: Path) -> Path:
    dev_env_ensure(tmp_path / "var")
    return tmp_path / "var"


def test_env_file_wins_over_dev_env_and_the_environment_over_both(tmp_path, var_dir):
    """A value in .env replaces the generated one; the environment replaces both."""
    dev_env = read_env_file(var_dir / "dev.env")
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# the developer's settings\n"
        "IDP_SECRET_KEY=from-dot-env-0123456789\n"
        "IDP_PORT=9100\n"
        'PRODUCT_NAME="Shop-Identity"\n'
        "ARGON2_TIME_COST=\n"
    )
    base = clean_environ(VAR_DIR=str(var_dir), ENV_FILE=str(env_file))

    from_files = idp_settings(
        base, "SECRET_KEY", "OIDC_ISS_ENDPOINT", "PRODUCT_NAME", "ARGON2_TIME_COST"
    )
    overridden = idp_settings(
        {**base, "IDP_SECRET_KEY": "from-environment-0123456789", "PRODUCT_NAME": "Env"},
        "SECRET_KEY",
        "PRODUCT_NAME",
    )

    assert dev_env["IDP_SECRET_KEY"] != "from-dot-env-0123456789"
    # .env over dev.env; the URL follows .env's port; quotes dropped; an empty value is no value.
    assert from_files == [
        "from-dot-env-0123456789",
        "http://localhost:9100/o",
        "Shop-Identity",
        "2",
    ]
    assert overridden == ["from-environment-0123456789", "Env"]


def test_manage_py_finds_the_dev_secrets_itself(var_dir):
    """`identity_server/manage.py` run directly uses var/dev.env, as the README's commands need."""
    dev_env = read_env_file(var_dir / "dev.env")
    env = clean_environ(VAR_DIR=str(var_dir), ENV_FILE="")

    secret_key, key_file = idp_settings(env, "SECRET_KEY", "OIDC_RSA_PRIVATE_KEY_FILE", direct=True)

    assert secret_key == dev_env["IDP_SECRET_KEY"]
    assert key_file == str(var_dir / "oidc_rsa.pem")


def test_a_copy_of_env_example_changes_no_setting(var_dir, tmp_path):
    """Every project's settings are the same with a copy of .env.example as without it."""
    # Both name the var dir in the file, so its VAR_DIR line is read as well.
    only_var_dir = tmp_path / "var-dir.env"
    only_var_dir.write_text(f"VAR_DIR={var_dir}\n")
    copy = tmp_path / "copy.env"
    copy.write_text((REPO / ".env.example").read_text() + only_var_dir.read_text())
    env = {key: value for key, value in clean_environ().items() if key != "VAR_DIR"}
    for project in PROJECTS:
        diffsettings = [str(ENTRYPOINT), project, "manage", "diffsettings"]
        without = run(diffsettings, {**env, "ENV_FILE": str(only_var_dir)})
        with_copy = run(diffsettings, {**env, "ENV_FILE": str(copy)})
        assert without.returncode == 0, without.stderr
        assert str(var_dir) in without.stdout
        assert with_copy.stdout == without.stdout, f"{project} changed with .env.example"


def test_a_missing_env_file_is_named_not_a_traceback(var_dir, tmp_path):
    """ENV_FILE naming no file stops the entrypoint and manage.py with one clear line."""
    env = clean_environ(VAR_DIR=str(var_dir), ENV_FILE=str(tmp_path / "nope.env"))

    through_entrypoint = run([str(ENTRYPOINT), "identity_server", "manage", "check"], env)
    direct = run(
        [str(REPO / ".venv" / "bin" / "python"), "identity_server/manage.py", "check"], env
    )

    for result in (through_entrypoint, direct):
        assert result.returncode == 1
        assert f"ENV_FILE={tmp_path / 'nope.env'}: no such file" in result.stderr
        assert "Traceback" not in result.stderr


def test_a_value_in_env_is_data_never_shell_code(tmp_path, var_dir):
    """The entrypoint evaluates the env files' exports: command substitutions stay text."""
    marker = tmp_path / "ran"
    # Not at the start: django-environ reads a leading `$` as a reference to another variable.
    value = f"a $(touch {marker})'; touch {marker}; echo '`touch {marker}`"
    env_file = tmp_path / ".env"
    env_file.write_text(f"PRODUCT_NAME={value}\nbad-name=x\nlower_case=y\n")
    env = clean_environ(VAR_DIR=str(var_dir), ENV_FILE=str(env_file))

    code = "import os; from django.conf import settings; print(repr(settings.PRODUCT_NAME)); "
    code += "print(sorted(k for k in os.environ if k.lower() in ('bad-name', 'lower_case')))"
    result = run(
        [str(ENTRYPOINT), "identity_server", "manage", "shell", "--no-imports", "-c", code], env
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [repr(value), "[]"]
    assert not marker.exists()
