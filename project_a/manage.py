#!/usr/bin/env python
"""Run Django administrative tasks for shop A."""

import os
import sys


def main() -> None:
    """Run the command line with this project's settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
