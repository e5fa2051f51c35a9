"""The `sao` console command: Django's management commands with SAO's settings.

Command names may be written with hyphens (`sao import-units`); they map to the
underscore module names Django looks up.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sao.settings")
    argv = list(sys.argv)
    argv[0] = "sao"
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")

    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
