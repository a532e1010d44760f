"""`make dist`: build sso_client's wheel and sdist into dist/ and check that nothing is left out.

Every file of the `sso_client` package (modules, migrations, templates, static files) must be in
both archives: a template or migration missing from the wheel only shows once a project installs
it, as a TemplateDoesNotExist or a table that never gets created.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CLIENT = REPO / "shared_client"
DIST = REPO / "dist"


def package_files() -> set[str]:
    """Return the paths (from shared_client/) of every file of the sso_client package."""
    return {
        path.relative_to(CLIENT).as_posix()
        for path in (CLIENT / "sso_client").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


def dist_build(*, out: Path = DIST) -> tuple[Path, Path]:
    """Build the wheel and the sdist into `out`, replacing earlier builds; return both paths."""
    out.mkdir(exist_ok=True)
    for old in [*out.glob("sso_client-*.whl"), *out.glob("sso_client-*.tar.gz")]:
        old.unlink()
    build = subprocess.run(  # noqa: S603 (our own interpreter and paths)
        [sys.executable, "-m", "build", "--outdir", str(out), str(CLIENT)],
        capture_output=True,
        text=True,
    )
    if build.returncode != 0:
        raise RuntimeError(f"building sso_client failed:\n{build.stdout}\n{build.stderr}")
    (wheel,) = out.glob("sso_client-*.whl")
    (sdist,) = out.glob("sso_client-*.tar.gz")
    return wheel, sdist


def dist_missing(*, wheel: Path, sdist: Path) -> dict[str, set[str]]:
    """Return, per archive, the package files it lacks (empty sets when both are complete)."""
    expected = package_files()
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = set(archive.namelist())
    with tarfile.open(sdist) as archive:
        # An sdist holds the project under one top folder: sso_client-<version>/.
        in_sdist = {name.split("/", 1)[-1] for name in archive.getnames()}
    return {wheel.name: expected - in_wheel, sdist.name: expected - in_sdist}


def main() -> int:
    """Build, check, and say where the archives are."""
    try:
        wheel, sdist = dist_build()
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return 1
    missing = {
        name: files for name, files in dist_missing(wheel=wheel, sdist=sdist).items() if files
    }
    for name, files in missing.items():
        print(f"{name} lacks {len(files)} file(s) of the package:", file=sys.stderr)
        for file in sorted(files):
            print(f"  {file}", file=sys.stderr)
    if missing:
        print(
            "Declare them in shared_client/pyproject.toml ([tool.setuptools.package-data]).",
            file=sys.stderr,
        )
        return 1
    print(f"==> {wheel.relative_to(REPO)} and {sdist.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
