"""`python -m desktop` runs the command line (and the window with no arguments)."""

from desktop.cli import main

raise SystemExit(main())
