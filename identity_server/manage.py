#!/usr/bin/env python
"""Run Django administrative tasks for the identity server."""

import os
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def stack_environ_load() -> None:
    """Complete the environment as scripts/entrypoint.sh does (.env, then var/dev.env).

    So `identity_server/manage.py oidc_client add ...` works as written after `make run`
    generated the dev secrets. A copy without the repository's scripts/ uses the environment alone.
    """
    if not (SCRIPTS / "stack_env.py").is_file():
        return
    sys.path.insert(0, str(SCRIPTS))
    try:
        from stack_env import project_environ
    finally:
        sys.path.remove(str(SCRIPTS))
    try:
        os.environ.update(project_environ("identity_server", os.environ))
    except (OSError, UnicodeDecodeError) as error:
        sys.exit(f"manage.py: {error}")


def main() -> None:
    """Run the management command named on the command line."""
    stack_environ_load()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
