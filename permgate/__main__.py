"""`python -m permgate`: the only place that exits the process."""

import sys

from permgate.cli import main

if __name__ == "__main__":
    sys.exit(main())
