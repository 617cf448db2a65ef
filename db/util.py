"""Small helpers shared by the table modules."""

from datetime import UTC, datetime


def now() -> datetime:
    """The current time in UTC, without tzinfo (how every TIMESTAMP column stores it)."""
    return datetime.now(UTC).replace(tzinfo=None)
