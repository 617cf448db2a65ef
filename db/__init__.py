"""Storage: the only package that imports duckdb.

``Store`` owns connections (see ``db.store``); ``migrate`` applies the schema;
one module per table family holds its SQL beside the function that runs it:
``people``, ``dialogues`` (+ turns, speakers, candidates), ``beliefs`` (cruxes,
credences), ``projects`` (+ links, predictions), ``runs`` (+ metrics), ``outcomes``.
"""

from db import beliefs, dialogues, outcomes, people, projects, runs
from db.errors import Conflict, CruxlabError, InvalidInput, NotFound, StaleWrite, StoreBusy
from db.migrations import migrate
from db.store import Cursor, Store

__all__ = [
    "Conflict",
    "CruxlabError",
    "Cursor",
    "InvalidInput",
    "NotFound",
    "StaleWrite",
    "Store",
    "StoreBusy",
    "beliefs",
    "dialogues",
    "migrate",
    "outcomes",
    "people",
    "projects",
    "runs",
]
