"""The home's settings file, ``settings.toml``: defaults a person sets once per home.

Environment variables (``CRUXLAB_…``) still win over it; see the README's settings
table for the keys.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from db.errors import InvalidInput

FILENAME = "settings.toml"


def path(home: Path) -> Path:
    """Where a home's settings file lives."""
    return home / FILENAME


def read(home: Path) -> dict[str, Any]:
    """The settings file's content ({} when there is none); one InvalidInput if unreadable."""
    try:
        return tomllib.loads(path(home).read_text())
    except FileNotFoundError:
        return {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path(home)} is not valid TOML ({exc}); fix or remove it.") from None
