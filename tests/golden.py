"""`python -m tests.golden`, as `make golden` runs it: the code is in tests/support/golden.py."""

import sys

from tests.support.golden import main

if __name__ == "__main__":
    sys.exit(main())
