"""`python -m sovereign` runs the command line."""

import sys

from sovereign.cli import main

sys.exit(main())
