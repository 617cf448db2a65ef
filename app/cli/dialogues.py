"""``cruxlab dialogue``: import transcripts, read them, and tidy their speakers."""

from __future__ import annotations

from pathlib import Path

import typer

from app.cli.common import JsonOpt, sub
from app.cli.render import emit, plain
from cruxes import dialogues
from cruxes.api import call

dialogue_app = sub("dialogue", "Import dialogues and read them.")


@dialogue_app.command("import")
def dialogue_import(
    file: Path,
    title: str = typer.Option(None, "--title", help="Title (default: from the speakers)."),
    fmt: str = typer.Option(
        "auto", "--format", help="auto, plain, lesswrong, markdown, stamped, single or html."
    ),
    speaker: str = typer.Option(
        None, "--speaker", help="The author of a single-author post (the whole text is theirs)."
    ),
    add_speakers: bool = typer.Option(
        False, "--add-speakers", help="Create people (as scholars) for unknown speakers."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Import a transcript (format detected) and extract candidate cruxes and projects."""
    text = dialogues.read_text_file(file)
    result = call(
        dialogues.import_dialogue,
        text,
        title=title,
        add_speakers=add_speakers,
        fmt=fmt,
        speaker=speaker,
    )
    d = result.dialogue
    verb = "Imported" if result.created else "Already imported as"
    summary = (
        f"{verb} dialogue {d.id} ({d.title!r}, {d.format}): {len(d.turns)} turns, "
        f"{len(result.candidates)} candidates."
    )
    if result.dropped:
        summary += f" Dropped {result.dropped} whose quote was not verbatim."
    summary = "\n".join([summary, *result.notices])
    payload = {
        **d.model_dump(mode="json", exclude={"text"}),
        "created": result.created,
        "dropped": result.dropped,
        "notices": result.notices,
        "candidates": plain(result.candidates),
    }
    emit(as_json, payload, summary)


@dialogue_app.command("list")
def dialogue_list(as_json: bool = JsonOpt) -> None:
    """List dialogues."""
    rows = call(dialogues.list_dialogues)
    emit(
        as_json,
        rows,
        "\n".join(
            f"{r['id']}\t{r['n_turns']} turns\t{r['n_pending']} pending\t{r['title']}" for r in rows
        )
        or "(none)",
    )


@dialogue_app.command("show")
def dialogue_show(dialogue_id: int, as_json: bool = JsonOpt) -> None:
    """Show a dialogue's speakers and turns."""
    d = call(dialogues.get_dialogue, dialogue_id)
    emit(
        as_json,
        d,
        f"{d.title} ({d.format})\n{_speakers_text(d)}\n"
        + "\n".join(f"[{t.idx}] {t.speaker}: {t.text}" for t in d.turns),
    )


def _speakers_text(d) -> str:
    return "speakers: " + ", ".join(f"{s} → {p or 'no person'}" for s, p in d.speakers.items())


speaker_app = sub("speaker", "Rename, merge and map a dialogue's speakers.", dialogue_app)


@speaker_app.command("rename")
def speaker_rename(dialogue_id: int, old: str, new: str, as_json: bool = JsonOpt) -> None:
    """Give speaker OLD the label NEW in a dialogue."""
    d = call(dialogues.rename_speaker, dialogue_id, old, new)
    emit(as_json, d.speakers, _speakers_text(d))


@speaker_app.command("merge")
def speaker_merge(dialogue_id: int, speaker: str, into: str, as_json: bool = JsonOpt) -> None:
    """Make SPEAKER the same speaker as INTO (their turns and candidates become INTO's)."""
    d = call(dialogues.merge_speakers, dialogue_id, speaker, into)
    emit(as_json, d.speakers, _speakers_text(d))


@speaker_app.command("map")
def speaker_map(
    dialogue_id: int,
    speaker: str,
    person: str = typer.Argument(None, help="A person's name or id; leave out to unmap."),
    as_json: bool = JsonOpt,
) -> None:
    """Map a dialogue's SPEAKER to a PERSON (whose credences they state)."""
    d = call(dialogues.map_speaker, dialogue_id, speaker, person)
    emit(as_json, d.speakers, _speakers_text(d))
