"""Where cruxlab keeps its data: one home folder with the database, runs and organisms."""

import os
from pathlib import Path

DB_FILENAME = "cruxlab.duckdb"
# A home holds everyone's beliefs and runs: only its owner may read it.
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def home(path: str | os.PathLike | None = None) -> Path:
    """The data directory: ``path``, else ``$CRUXLAB_HOME``, else ``~/.cruxlab``."""
    chosen = path or os.environ.get("CRUXLAB_HOME") or Path.home() / ".cruxlab"
    return Path(chosen).expanduser().resolve()


def db_file(home_dir: Path) -> Path:
    """The DuckDB file inside a home folder."""
    return home_dir / DB_FILENAME


def runs_dir(home_dir: Path) -> Path:
    """The folder holding one sub-folder per run."""
    return home_dir / "runs"


def organisms_dir(home_dir: Path) -> Path:
    """The model organism cache: ``$CRUXLAB_ORGANISMS`` if set, else beside the database."""
    override = os.environ.get("CRUXLAB_ORGANISMS")
    return Path(override).expanduser().resolve() if override else home_dir / "organisms"
