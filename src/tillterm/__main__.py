"""Allow ``python -m tillterm``."""

from tillterm.cli import main

raise SystemExit(main())
