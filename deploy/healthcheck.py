"""Exit 0 when a URL answers 200 within two seconds, else 1: compose healthchecks (the image
has Python, not curl).

    python deploy/healthcheck.py http://127.0.0.1:8000/readyz
"""

import sys
import urllib.error
import urllib.request


def main(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (a fixed http URL)
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as error:
        print(f"{url}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
