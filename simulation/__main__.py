"""`python -m simulation` is the `simulation` command."""

import sys

from simulation.cli import main

sys.exit(main())
