"""``cruxlab tag`` and ``note``: tags on cruxes, projects and runs; notes on projects and runs."""

from __future__ import annotations

import typer

from app.cli.common import JsonOpt, sub
from app.cli.render import emit, note_text
from cruxes import annotations
from cruxes.api import call

tag_app = sub("tag", "Tags on cruxes, projects and runs.")
note_app = sub("note", "Markdown notes on projects and runs.")


@tag_app.command("add")
def tag_add(kind: str, entity_id: int, tag: str, as_json: bool = JsonOpt) -> None:
    """Tag a crux, project or run (KIND is crux, project or run)."""
    tags = call(annotations.add_tag, kind, entity_id, tag)
    emit(as_json, tags, f"{kind} {entity_id} tags: {', '.join(tags)}")


@tag_app.command("remove")
def tag_remove(kind: str, entity_id: int, tag: str, as_json: bool = JsonOpt) -> None:
    """Take a tag off a crux, project or run."""
    tags = call(annotations.remove_tag, kind, entity_id, tag)
    emit(as_json, tags, f"{kind} {entity_id} tags: {', '.join(tags) or '(none)'}")


@tag_app.command("list")
def tag_list(
    kind: str = typer.Argument(None, help="crux, project or run (default: every tag in use)."),
    entity_id: int = typer.Argument(None),
    as_json: bool = JsonOpt,
) -> None:
    """List every tag in use, or one crux's, project's or run's tags."""
    if kind is None:
        tags = call(annotations.all_tags)
    elif entity_id is None:
        raise typer.BadParameter("give the id of the crux, project or run too")
    else:
        tags = call(annotations.tags_of, kind, entity_id)
    emit(as_json, tags, "\n".join(tags) or "(none)")


@note_app.command("add")
def note_add(
    kind: str,
    entity_id: int,
    text: str,
    by: str = typer.Option(None, "--by", help="Who writes it."),
    as_json: bool = JsonOpt,
) -> None:
    """Add a markdown note to a project or run (KIND is project or run)."""
    n = call(annotations.add_note, kind, entity_id, text, person=by)
    emit(as_json, n, f"Added note {n.id} to {kind} {entity_id}.")


@note_app.command("list")
def note_list(kind: str, entity_id: int, as_json: bool = JsonOpt) -> None:
    """List a project's or run's notes, oldest first."""
    rows = call(annotations.list_notes, kind, entity_id)
    emit(as_json, rows, "\n".join(note_text(n).strip() for n in rows) or "(none)")
