"""Fixtures of the interop tests (module name ``interop.conftest``: ``tests/`` has no package)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from interop.idp import discover
from interop.sites import LocalSite, local_site, text


@pytest.fixture(scope="module")
def rp_site() -> Iterator[LocalSite]:
    """A relying party's site on a free port: its callback and signed-out pages answer 200."""
    with local_site(fallback=text("<!doctype html><title>RP</title><p>relying party</p>")) as site:
        yield site


@pytest.fixture(scope="module")
def metadata(stack) -> dict:
    """The identity server's discovery document."""
    return discover(stack)
