"""The set-up scripts `make run` relies on: dev secrets and the interpreter search."""

import os
import shutil
import stat
import subprocess

from bootstrap import dev_env_ensure, read_env_file
from support.stack import REPO


def test_dev_secrets_are_generated_once_and_kept(tmp_path):
    """A second run keeps every value, the signing key and the next one; only their owner reads
    them."""
    first = dev_env_ensure(tmp_path / "var")
    keys = sorted((tmp_path / "var" / "keys").iterdir())
    assert [path.name.split("-")[0] for path in keys] == ["next", "signing"]
    key = keys[1].read_bytes()

    second = dev_env_ensure(tmp_path / "var")

    assert second == first == read_env_file(tmp_path / "var" / "dev.env")
    assert sorted((tmp_path / "var" / "keys").iterdir()) == keys
    assert keys[1].read_bytes() == key
    assert b"BEGIN PRIVATE KEY" in key
    assert "OIDC_RSA_PRIVATE_KEY_FILE" not in first
    assert first["SHOP_A_SECRET_KEY"] != first["SHOP_B_SECRET_KEY"]
    assert len(first["SHOP_A_CLIENT_SECRET"]) >= 60
    for path, expected in [
        (tmp_path / "var" / "dev.env", 0o600),
        (keys[0], 0o600),
        (keys[1], 0o600),
    ]:
        assert stat.S_IMODE(path.stat().st_mode) == expected
    assert stat.S_IMODE((tmp_path / "var" / "keys").stat().st_mode) == 0o700


def test_an_older_var_keeps_its_key_file(tmp_path):
    """A var/ from before the keys directory signs with its oidc_rsa.pem until it rotates."""
    (tmp_path / "oidc_rsa.pem").write_text("an existing key")

    env = dev_env_ensure(tmp_path)

    assert (tmp_path / "oidc_rsa.pem").read_text() == "an existing key"
    assert not (tmp_path / "keys").exists()
    assert "OIDC_RSA_PRIVATE_KEY_FILE" not in env


def test_a_missing_value_is_added_without_touching_the_others(tmp_path):
    """Deleting one line of dev.env regenerates that value only."""
    env = dev_env_ensure(tmp_path)
    lines = (tmp_path / "dev.env").read_text().splitlines()
    (tmp_path / "dev.env").write_text(
        "\n".join(line for line in lines if not line.startswith("IDP_SECRET_KEY=")) + "\n"
    )

    again = dev_env_ensure(tmp_path)

    assert again["IDP_SECRET_KEY"] != env["IDP_SECRET_KEY"]
    assert {k: v for k, v in again.items() if k != "IDP_SECRET_KEY"} == {
        k: v for k, v in env.items() if k != "IDP_SECRET_KEY"
    }


def test_find_python_says_what_to_install_when_there_is_none(tmp_path):
    """With no Python >= 3.12 anywhere, the search fails with install instructions."""
    old_python = tmp_path / "bin" / "python3"
    old_python.parent.mkdir()
    old_python.write_text("#!/bin/sh\nexit 1\n")
    old_python.chmod(0o755)
    for tool in ("bash", "env", "ls", "sort", "cat"):
        (old_python.parent / tool).symlink_to(shutil.which(tool))
    env = {"PATH": str(old_python.parent), "PYENV_ROOT": str(tmp_path / "none")}
    env["HOME"] = str(tmp_path)

    result = subprocess.run(
        [str(REPO / "scripts" / "find-python.sh")], env=env, capture_output=True, text=True
    )

    assert result.returncode == 1
    assert "No Python 3.12 or newer found" in result.stderr
    assert "pyenv install 3.13" in result.stderr


def test_find_python_returns_an_interpreter_of_at_least_3_12():
    result = subprocess.run(
        [str(REPO / "scripts" / "find-python.sh")],
        capture_output=True,
        text=True,
        env=os.environ,
    )
    version = subprocess.run(
        [result.stdout.strip(), "-c", "import sys; print(sys.version_info >= (3, 12))"],
        capture_output=True,
        text=True,
    )
    assert version.stdout.strip() == "True"
