"""`python -m bot` is the same program as the `papers-bot` console script."""

from bot.cli import main

raise SystemExit(main())
