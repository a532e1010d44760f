"""`make dist`: sso_client's wheel and sdist hold the whole package and say what it supports."""

from __future__ import annotations

import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from client_dist import dist_build, dist_missing, package_files


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return dist_build(out=tmp_path_factory.mktemp("dist"))


def test_the_wheel_and_sdist_hold_every_template_and_migration(built):
    """Nothing of the package is left out: templates and migrations are in both archives."""
    wheel, sdist = built

    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())

    assert dist_missing(wheel=wheel, sdist=sdist) == {wheel.name: set(), sdist.name: set()}
    assert "sso_client/migrations/0001_initial.py" in names
    assert "sso_client/templates/sso_client/error.html" in names
    assert {name for name in package_files() if "/templates/" in name} <= names


def test_the_wheel_declares_the_pythons_and_djangos_the_readme_promises(built):
    """Python 3.10 or newer and Django 5.2 or newer, as README.md and the matrix say."""
    wheel, _ = built
    with zipfile.ZipFile(wheel) as archive:
        metadata_name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(metadata_name).decode())

    assert metadata["Requires-Python"] == ">=3.10"
    assert "Django>=5.2" in metadata.get_all("Requires-Dist")


def test_a_file_left_out_of_an_archive_is_reported(built, tmp_path):
    """The check names the template a wheel lacks, so `make dist` fails instead of shipping it."""
    wheel, sdist = built
    lacking = tmp_path / wheel.name
    with zipfile.ZipFile(wheel) as source, zipfile.ZipFile(lacking, "w") as target:
        for item in source.infolist():
            if item.filename != "sso_client/templates/sso_client/error.html":
                target.writestr(item, source.read(item))

    missing = dist_missing(wheel=lacking, sdist=sdist)

    assert missing == {
        wheel.name: {"sso_client/templates/sso_client/error.html"},
        sdist.name: set(),
    }
