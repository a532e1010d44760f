"""Run the node relying party (openid-client v6, ``node/rp.mjs``): JSON in, JSON out."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

NODE_DIR = Path(__file__).resolve().parent / "node"
MISSING = "run `make interop-deps` (npm ci in tests/interop/node) first"


def node_modules() -> Path:
    """Return the installed node_modules, or fail saying how to install them."""
    modules = NODE_DIR / "node_modules"
    assert (modules / "openid-client").is_dir(), f"openid-client is not installed: {MISSING}"
    return modules


def node_rp(action: str, **request: Any) -> dict:
    """Ask the node RP to perform ``action`` with ``request``; return its JSON answer."""
    node_modules()
    node = shutil.which("node")
    assert node, "node is not on the PATH (Debian: apt-get install nodejs npm)"
    result = subprocess.run(
        [node, "rp.mjs"],
        cwd=NODE_DIR,
        input=json.dumps({"action": action, **request}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, f"node rp.mjs {action} failed:\n{result.stderr}"
    return json.loads(result.stdout)
