"""The mentor's views from the CLI, as JSON, on the demo (see tests/app/test_agenda_pages.py)."""

from __future__ import annotations

import json
import math
import subprocess

import pytest

from tests.conftest import CRUXLAB


def cli(*args: str, expect: int = 0) -> subprocess.CompletedProcess:
    proc = subprocess.run([CRUXLAB, *args], capture_output=True, text=True, timeout=300)
    assert proc.returncode == expect, (args, proc.stdout, proc.stderr)
    return proc


def js(*args: str):
    return json.loads(cli(*args, "--json").stdout)


def test_views_as_json(demo_home):
    agenda = js("dashboard", "--moves", "1")
    [default] = agenda["questions"]
    assert [(c["crux_id"], c["positions"]) for c in default["cruxes"]] == [
        (1, {"Mara": 0.45, "Theo": 0.75}),
        (2, {"Mara": 0.25, "Theo": 0.4}),
    ]
    [move] = agenda["moves"]
    assert (move["credence"]["person_name"], move["before"], move["credence"]["value"]) == (
        "Mara",
        0.35,
        0.45,
    )
    assert [o["outcome_id"] for o in agenda["outcomes"]] == [1]

    [ranked] = js("next", "--as", "Mara")
    assert (ranked["project_id"], ranked["effort_days"]) == (2, 2.0)
    assert ranked["expected_update"] == pytest.approx(0.18)
    assert ranked["expected_reduction"] == pytest.approx(0.0675)
    assert [v["project_id"] for v in js("next", "--all", "--as", "Mara")] == [2, 1]
    assert js("next")[0]["hidden"] == 2  # nobody in particular: blind predictions stay hidden

    first, second = js("disagreement", "--as", "Theo")
    assert (first["crux_id"], second["crux_id"], second["projects"]) == (1, 2, [])
    assert [f["project_id"] for f in first["projects"]] == [2]

    calibration = js("calibration", "--tag", "induction")
    assert calibration["overall"]["brier"] == pytest.approx(0.085)
    assert calibration["overall"]["log_score"] == pytest.approx((math.log(0.6) + math.log(0.9)) / 2)
    assert [(s["person_name"], s["n"]) for s in calibration["people"]] == [
        ("Mara", 1),
        ("Theo", 1),
    ]

    board = js("board", "--tag", "sample-efficiency")
    assert [(c["project_id"], c["status"], c["overdue"]) for c in board["cards"]] == [
        (2, "assigned", False)
    ]
    page = js("scholar", "Theo")
    assert ([c["project_id"] for c in page["projects"]], page["awaiting"]) == ([1, 2], [])
    coverage = js("coverage")
    assert [c["id"] for c in coverage["cruxes_without_project"]] == [2]
    assert [c["project_id"] for c in coverage["projects_without_run"]] == [2]


def test_tags_notes_questions_and_plans_from_the_cli(demo_home):
    assert js("tag", "add", "crux", "2", "Probing") == ["baselines", "probing"]
    assert js("tag", "remove", "crux", "2", "baselines") == ["probing"]
    assert "probing" in js("tag", "list")
    note = js("note", "add", "project", "2", "Try *16* too.", "--by", "Theo")
    assert (note["body"], note["person_name"]) == ("Try *16* too.", "Theo")
    question = js("question", "add", "Do probes suffice?")
    version = str(js("crux", "show", "2")["crux"]["version"])
    moved = js("crux", "group", "2", "--question", str(question["id"]), "--version", version)
    assert moved["question_id"] == question["id"]
    version = str(js("project", "show", "2")["version"])
    plan = js(
        "project", "plan", "2", "--effort", "4", "--due", "none", "--open", "--version", version
    )
    assert (plan["effort_days"], plan["due_date"], plan["blind_predictions"]) == (4.0, None, False)
    shown = js("project", "show", "2")
    assert (shown["tags"], shown["hidden_predictions"]) == (
        ["induction", "sample-efficiency"],
        0,
    )
    assert [n["body"] for n in shown["notes"]][-1] == "Try *16* too."


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("tag", "add", "crux", "1", "two words"), "Invalid tag"),
        (("tag", "add", "dialogue", "1", "x"), "Unknown kind 'dialogue'"),
        (("project", "plan", "2", "--version", "1", "--effort", "-2"), "effort days"),
        (("project", "plan", "2", "--version", "1", "--effort", "3"), "changed by someone else"),
        (("dashboard", "--since", "2026-02-01", "--until", "2026-01-01"), "starts"),
        (("credence", "add", "1", "Mara", "-0.1"), "must be a number between 0 and 1 (got -0.1)"),
        (("run", "start", "1", "induction_heads", "--seed", "9223372036854775808"), "The seed"),
        (("project", "assign", "2", "Theo"), "Missing option '--version'"),
        (("project", "status", "2", "done"), "Missing option '--version'"),
        (("crux", "group", "2"), "Missing option '--version'"),
        (("calibration", "--bins", "0"), "at least 1"),
        (("board", "--mentor", "Zed"), "No person 'Zed'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(demo_home, args, message):
    proc = cli(*args, expect=2)
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1
    assert message in proc.stderr
