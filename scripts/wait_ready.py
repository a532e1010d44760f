"""Wait until every given server answers GET /healthz (or `path`) with 200, or give up."""

from __future__ import annotations

import sys
import time
import urllib.error
import urllib.request


def wait_ready(
    urls: list[str], *, deadline_seconds: float = 60, path: str = "/healthz"
) -> list[str]:
    """Poll each URL's `path` until all answer 200; return those that never did."""
    deadline = time.monotonic() + deadline_seconds
    pending = list(urls)
    while pending and time.monotonic() < deadline:
        for url in list(pending):
            try:
                with urllib.request.urlopen(f"{url.rstrip('/')}{path}", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        pending.remove(url)
            except (urllib.error.URLError, OSError):
                pass
        time.sleep(0.2)
    return pending


if __name__ == "__main__":
    not_ready = wait_ready(sys.argv[1:])
    if not_ready:
        sys.exit(f"Not ready after 60 s: {', '.join(not_ready)} (see the log above)")
