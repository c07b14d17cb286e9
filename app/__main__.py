"""``python -m app``: the desktop app without a command, the command line with one."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
