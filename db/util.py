"""Small helpers shared by the table modules."""

import os
from datetime import UTC, datetime
from pathlib import Path


def now() -> datetime:
    """The current time in UTC, without tzinfo (how every TIMESTAMP column stores it)."""
    return datetime.now(UTC).replace(tzinfo=None)


def process_alive(pid: object) -> bool:
    """Whether process ``pid`` runs on this machine (a zombie counts as gone)."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # it ended (and was reaped) since the signal, unless there is no /proc
        return not Path("/proc/self").exists()
    return stat.rsplit(")", 1)[-1].split()[:1] != ["Z"]
