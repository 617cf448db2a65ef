"""The errors the domain raises (defined in db/, the bottom layer, so every layer shares them)."""

from db.errors import (
    Conflict,
    CruxlabError,
    InvalidInput,
    NotAllowed,
    NotFound,
    StaleWrite,
    StoreBusy,
)

__all__ = [
    "Conflict",
    "CruxlabError",
    "InvalidInput",
    "NotAllowed",
    "NotFound",
    "StaleWrite",
    "StoreBusy",
]
