"""sso_client under each supported Django and Python: one virtualenv per entry in .venv-matrix/.

    client_matrix.py venvs   create or update the virtualenvs, with the wheel `make dist` built
    client_matrix.py test    run shared_client's unit tests in each of them
    client_matrix.py lock    re-resolve each entry and write its pins to requirements-matrix/

The main .venv covers the newest Django on the newest Python; the entries here cover the oldest
supported Django on the oldest Python found and the newest Django on its oldest Python. Each
entry installs from its own pins (requirements-matrix/<name>.txt, pip freeze format), as the
repository's requirements.txt is resolved for the newest Python only. A virtualenv is reused
while its interpreter, Django range and pins are unchanged (a marker file holds their digest);
the wheel is reinstalled on every run, so it is always the one just built.
tests/test_fresh_project.py builds a fresh project in each of them too.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MATRIX_DIR = REPO / ".venv-matrix"
LOCK_DIR = REPO / "requirements-matrix"
DIST = REPO / "dist"
CLIENT = REPO / "shared_client"


@dataclass(frozen=True)
class MatrixEntry:
    """One supported combination: a Django range and the Pythons to run it on, preferred first."""

    name: str
    django: str
    pythons: tuple[str, ...]

    @property
    def venv(self) -> Path:
        return MATRIX_DIR / self.name

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def lock(self) -> Path:
        return LOCK_DIR / f"{self.name}.txt"


ENTRIES = (
    # Django 5.2 LTS supports Python 3.10 to 3.13: the oldest one found.
    MatrixEntry("django52", "Django>=5.2,<5.3", ("3.10", "3.11", "3.12", "3.13")),
    # Django 6.1 needs Python 3.12 or newer.
    MatrixEntry("django61", "Django>=6.1,<6.2", ("3.12", "3.13")),
)


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, check=True, **kwargs)  # noqa: S603 (our own commands)


def python_find(version: str) -> Path | None:
    """Return an interpreter of this minor version (`python3.X` on the PATH, then pyenv's)."""
    candidates = [shutil.which(f"python{version}")]
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    candidates += sorted(root.glob(f"versions/{version}.*/bin/python{version}"), reverse=True)
    for candidate in filter(None, candidates):
        # A pyenv shim exists for every installed version but runs only the selected ones.
        probe = subprocess.run(  # noqa: S603 (an interpreter found above)
            [str(candidate), "-c", "import sys, venv; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return Path(candidate)
    return None


def wheel_path() -> Path:
    """Return the wheel `make dist` built."""
    wheels = sorted(DIST.glob("sso_client-*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"expected one sso_client wheel in {DIST}, found {len(wheels)}: make dist")
    return wheels[0]


def venv_ensure(entry: MatrixEntry, *, wheel: Path, locked: bool = True) -> str:
    """Create or update the entry's virtualenv with the wheel in it; return its Python version.

    `locked=False` resolves the newest versions allowed instead of the entry's pins (`lock`).
    """
    found = ((v, python_find(v)) for v in entry.pythons)
    version, python = next(((v, path) for v, path in found if path), (None, None))
    if version is None or python is None:
        raise SystemExit(f"{entry.name}: no Python {' or '.join(entry.pythons)} found")
    digest = hashlib.sha256(
        "\n".join(
            [
                version,
                entry.django,
                entry.lock.read_text() if locked else "unlocked",
                (CLIENT / "pyproject.toml").read_text(),
            ]
        ).encode()
    ).hexdigest()
    marker = entry.venv / ".installed"
    pip = [str(entry.python), "-m", "pip", "--quiet", "--disable-pip-version-check"]
    if locked and marker.exists() and marker.read_text() == digest:
        _run([*pip, "install", "--no-deps", "--force-reinstall", str(wheel)])
    else:
        print(f"==> {entry.name}: creating {entry.venv} with Python {version} and {entry.django}")
        _run([str(python), "-m", "venv", "--clear", str(entry.venv)])
        _run([*pip, "install", "--upgrade", "pip"])
        pins = ["-c", str(entry.lock)] if locked else []
        # The `test` extra: what shared_client's tests need (pytest-django, django-environ...).
        _run([*pip, "install", *pins, entry.django, f"{wheel}[test]"])
        marker.write_text(digest)
    # The wheel's declared dependencies are satisfied by what the entry installed.
    _run([*pip, "check"], stdout=subprocess.DEVNULL)
    return version


def venvs() -> int:
    """Create or update every entry's virtualenv."""
    MATRIX_DIR.mkdir(exist_ok=True)
    wheel = wheel_path()
    for entry in ENTRIES:
        version = venv_ensure(entry, wheel=wheel)
        django = _run(
            [str(entry.python), "-c", "import django; print(django.get_version())"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        print(f"==> {entry.name}: Python {version}, Django {django}, {wheel.name}")
    return 0


def lock() -> int:
    """Resolve each entry afresh and write its pins (all but sso_client) to its lock file."""
    MATRIX_DIR.mkdir(exist_ok=True)
    LOCK_DIR.mkdir(exist_ok=True)
    wheel = wheel_path()
    for entry in ENTRIES:
        version = venv_ensure(entry, wheel=wheel, locked=False)
        frozen = _run(
            [str(entry.python), "-m", "pip", "freeze", "--exclude", "sso-client"],
            capture_output=True,
            text=True,
        ).stdout
        entry.lock.write_text(
            f"# Pins of `make test-client-matrix` for {entry.name} ({entry.django}, resolved on "
            f"Python {version}).\n# Update: make dist && .venv/bin/python scripts/client_matrix.py "
            f"lock\n{frozen}"
        )
        # The venv was installed unpinned: the next `venvs` reinstalls it from the new pins.
        (entry.venv / ".installed").unlink()
        print(f"==> {entry.lock.relative_to(REPO)}")
    return 0


def test() -> int:
    """Run shared_client's unit tests in each entry's virtualenv; return 1 when any failed."""
    failed = []
    for entry in ENTRIES:
        if not entry.python.exists():
            raise SystemExit(f"{entry.venv} is missing: make matrix-venvs")
        env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
        if os.environ.get("TEST_POSTGRES_URL"):
            env["DATABASE_URL"] = f"{os.environ['TEST_POSTGRES_URL'].rstrip('/')}/sso_{entry.name}"
        print(f"==> sso_client unit tests: {entry.name}")
        result = subprocess.run(  # noqa: S603 (our own virtualenv)
            [str(entry.python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
            cwd=CLIENT,
            env=env,
        )
        if result.returncode != 0:
            failed.append(entry.name)
    if failed:
        print(f"sso_client unit tests failed on: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    commands = {"venvs": venvs, "test": test, "lock": lock}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.exit(f"usage: client_matrix.py {'|'.join(commands)}")
    try:
        sys.exit(commands[sys.argv[1]]())
    except subprocess.CalledProcessError as error:
        sys.exit(f"client_matrix: failed ({error.returncode}): {' '.join(error.cmd)}")
