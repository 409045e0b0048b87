"""`python -m bench`: see bench/runner.py."""

from __future__ import annotations

from bench.runner import main

raise SystemExit(main())
