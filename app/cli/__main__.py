"""``python -m app.cli``: the same as the ``cruxlab`` command (how the demo starts itself)."""

from app.cli import main

main()
