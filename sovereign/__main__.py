"""`python -m sovereign` runs the command line."""

from sovereign.cli import entry

entry()
