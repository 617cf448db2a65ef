"""Storage: the only package that imports duckdb.

``Store`` owns connections (see ``db.store``); ``migrate`` applies the schema;
one module per table family holds its SQL beside the function that runs it:
``people``, ``dialogues`` (+ turns, speakers, candidates), ``beliefs`` (cruxes,
questions, credences), ``projects`` (+ links, predictions), ``runs`` (+ metrics),
``outcomes``, ``annotations`` (tags, notes), ``activity`` (who wrote what);
``exchange`` moves whole tables.
"""

from db import activity, annotations, beliefs, dialogues, exchange, outcomes, people, projects, runs
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
    "activity",
    "annotations",
    "beliefs",
    "dialogues",
    "exchange",
    "migrate",
    "outcomes",
    "people",
    "projects",
    "runs",
]
