"""``esaplan`` command line: parses arguments, calls the library, prints one clean message on error.

The root group and the shared options are in :mod:`sync.cli.app`; each module adds the commands of one
subject. Every command imports what it needs when it runs, so ``esaplan --help`` and a consolidation
that finds nothing changed load neither the web service, the queue nor the document tools.
"""

from sync.cli import documents, hosts, office, registers, rounds, service  # noqa: F401  (each adds its commands to main)
from sync.cli.app import main

__all__ = ["main"]
