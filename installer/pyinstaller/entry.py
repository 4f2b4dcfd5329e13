"""PyInstaller entry script for the frozen Front Desk app.

PyInstaller needs a script file, not a console-script entry point, so this mirrors
`frontdesk = desktop.cli:main` from pyproject.toml. Keep it this small: anything done here
is done only in the frozen build, and the tests mostly run the unfrozen app.
"""

from desktop.cli import main

raise SystemExit(main())
