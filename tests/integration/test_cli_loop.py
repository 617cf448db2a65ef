"""The whole loop through the CLI, as a user would type it, in a temporary CRUXLAB_HOME."""

import io
import json
import subprocess

import pyarrow.parquet as pq
import pytest

from tests.conftest import CRUXLAB

DIALOGUE = """\
Mara: I'm skeptical that attention scores recover known circuits; maybe 30%.
Theo: I think they do in small models, I'd bet 70% on it.
Mara: We could test whether the best head's induction score beats 0.5 on the organism.
"""


def predict(p: float, if_positive: float, if_negative: float) -> list[str]:
    """Options of `cruxlab prediction add` for max_induction_score > 0.5."""
    rule = ["--metric", "max_induction_score", "--op", ">", "--threshold", "0.5"]
    return [
        *rule,
        "--p-positive",
        str(p),
        "--if-positive",
        str(if_positive),
        "--if-negative",
        str(if_negative),
    ]


def cli(*args: str, expect: int = 0):
    proc = subprocess.run([CRUXLAB, *args], capture_output=True, text=True, timeout=600)
    assert proc.returncode == expect, (args, proc.stdout, proc.stderr)
    return proc


def js(*args: str):
    return json.loads(cli(*args, "--json").stdout)


def test_dialogue_to_belief_update(home, tmp_path, trained_organisms):
    transcript = tmp_path / "talk.txt"
    transcript.write_text(DIALOGUE)
    cli("init")
    assert js("person", "add", "Mara", "--role", "mentor")["role"] == "mentor"
    js("person", "add", "Theo", "--role", "scholar")

    imported = js("dialogue", "import", str(transcript), "--title", "Attention")
    assert imported["created"] and len(imported["turns"]) == 3
    pending = js("candidate", "list", "--dialogue", str(imported["id"]))
    crux_candidate = next(c for c in pending if c["kind"] == "crux" and c["speaker"] == "Mara")
    crux = js(
        "candidate",
        "accept",
        str(crux_candidate["id"]),
        "--statement",
        "Attention scores recover known induction heads.",
    )
    assert crux["quote"] == crux_candidate["quote"]
    cid = str(crux["id"])

    js("credence", "add", cid, "Mara", "0.3", "--reason", "skeptical")
    js("credence", "add", cid, "Theo", "0.7")
    bad = cli("credence", "add", cid, "Theo", "1.7", expect=2)
    assert bad.stderr.count("\n") == 1 and "between 0 and 1" in bad.stderr

    project = js("project", "add", "Score the organism", "--crux", cid, "--mentor", "Mara")
    pid = str(project["id"])
    assert js("project", "assign", pid, "Theo", "--version", "1")["status"] == "assigned"
    mara = ["prediction", "add", pid, cid, "Mara", *predict(0.5, 0.4, 0.2)]
    pred = js(*mara)
    assert pred["evidence_check"]["implied_prior"] == pytest.approx(0.3)
    js("prediction", "add", pid, cid, "Theo", *predict(0.9, 0.75, 0.25))

    assert (
        "no parameter 'nope'"
        in cli("run", "start", pid, "induction_heads", "--set", "nope=1", expect=2).stderr
    )
    assert js("run", "list") == []
    run = js("run", "start", pid, "induction_heads", "--set", "n_sequences=16", "--wait")
    assert run["status"] == "succeeded"
    assert run["metrics"]["max_induction_score"] > 0.5
    assert "frozen" in cli(*mara, expect=2).stderr
    shown = js("run", "show", str(run["id"]))
    assert {h["name"] for h in shown["history"]} >= {"max_induction_score", "n_induction_heads"}

    outcome = js("outcome", "record", pid, "--run", str(run["id"]))
    assert {(e["person_name"], e["positive"], e["proposed"]) for e in outcome["evaluations"]} == {
        ("Mara", True, 0.4),
        ("Theo", True, 0.75),
    }
    applied = js("update", "apply", str(outcome["id"]))
    assert len(applied) == 2

    history = js("crux", "show", cid)["history"]
    assert [(h["person_name"], h["value"], h["source"]) for h in history[-2:]] == [
        ("Mara", 0.4, "outcome"),
        ("Theo", 0.75, "outcome"),
    ]
    assert all(h["outcome_id"] == outcome["id"] and h["run_id"] == run["id"] for h in history[-2:])
    assert js("project", "show", pid)["status"] == "in_review"
    text = cli("crux", "show", cid).stdout
    assert f"[outcome] outcome {outcome['id']} of run {run['id']}" in text


def test_demo_is_idempotent_and_lists_are_json_arrays(demo_home):
    again = js("demo")
    assert again["seeded"] is False
    assert len(js("dialogue", "list")) == 1
    assert [p["name"] for p in js("person", "list")] == ["Mara", "Theo"]
    assert "induction_heads" in [t["name"] for t in js("template", "list")]
    runs = js("run", "list")
    assert [r["status"] for r in runs] == ["succeeded"]
    cruxes = js("crux", "list")
    assert len(cruxes) == 2
    first = js("crux", "show", str(cruxes[0]["id"]))
    assert any(h["source"] == "outcome" for h in first["history"])


LESSWRONG = """\
Opening positions
Ana

I doubt that sparse autoencoder features are faithful to the model's computation, maybe 20%.

Ben

We could train a toy model with planted features and measure how many the SAE recovers.
"""


def test_formats_speakers_and_merging_through_the_cli(home, tmp_path):
    first = tmp_path / "first.txt"
    first.write_text("Cleo: I think SAE features are faithful to what the model computes, 60%.\n")
    second = tmp_path / "second.md"
    second.write_text(LESSWRONG)
    js("person", "add", "Ana Lopez", "--role", "scholar")

    refused = cli("dialogue", "import", str(second), "--format", "markdown", expect=2)
    assert refused.stderr == (
        "error: No turns found in markdown format: expected `**Name**`, `**Name:** text` "
        "or `### Name` headers.\n"
    )
    js("dialogue", "import", str(first))
    [crux_candidate, *_] = js("candidate", "list", "--dialogue", "1")
    crux = js("candidate", "accept", str(crux_candidate["id"]))
    imported = js("dialogue", "import", str(second))
    assert (imported["format"], imported["speakers"]) == ("lesswrong", {"Ana": None, "Ben": None})

    js("dialogue", "speaker", "rename", "2", "Ana", "Ana L")
    mapped = js("dialogue", "speaker", "map", "2", "Ana L", "Ana Lopez")
    assert mapped == {"Ana L": "Ana Lopez", "Ben": None}
    pending = js("candidate", "list", "--dialogue", "2")
    doubt = next(c for c in pending if c["kind"] == "crux")
    assert doubt["speaker"] == "Ana L"
    assert [s["crux_id"] for s in doubt["similar"]] == [crux["id"]]
    shown = cli("candidate", "show", str(doubt["id"])).stdout
    assert f"≈ crux {crux['id']} (" in shown and "»I doubt that sparse" in shown

    js("candidate", "merge", str(doubt["id"]), str(crux["id"]), "--record-credence")
    detail = js("crux", "show", str(crux["id"]))
    assert detail["current"] == {"Ana Lopez": 0.2}
    again = cli("candidate", "merge", str(doubt["id"]), str(crux["id"]), expect=2)
    assert (
        again.stderr == f"error: Candidate {doubt['id']} was already merged (crux {crux['id']}).\n"
    )


def test_run_list_pages_filters_formats_and_compare(demo_home):
    assert [r["id"] for r in js("run", "list", "--limit", "1")] == [1]
    assert js("run", "list", "--offset", "1") == []
    assert js("run", "list", "--metric", "max_induction_score > 2") == []
    [run] = js("run", "list", "--status", "succeeded", "--person", "Theo")
    assert run["metrics"]["max_induction_score"] > 0.5 and run["person"] == "Theo"
    assert json.loads(cli("run", "list", "--format", "json").stdout) == [run]
    text = cli("run", "list").stdout.splitlines()
    assert text[0] == "Runs 1–1 of 1 (1 succeeded)"
    csv = cli("run", "list", "--format", "csv").stdout.splitlines()
    assert csv[0].startswith('"id","project_id"') and len(csv) == 2
    parquet = subprocess.run(
        [CRUXLAB, "run", "list", "--format", "parquet"], capture_output=True, check=True
    ).stdout
    assert pq.read_table(io.BytesIO(parquet)).column("id").to_pylist() == [1]
    error = cli("run", "list", "--metric", "x >> 1", expect=2).stderr
    assert error.startswith("error: A metric filter is NAME OP NUMBER")
    compared = js("run", "compare", "1")
    assert (compared["ids"], compared["differing"]) == ([1], [])
    assert compared["runs"][0]["max_induction_score"] == run["metrics"]["max_induction_score"]
    assert cli("run", "refresh").stdout.strip() == "Every run is up to date."
    assert "only a queued or running run" in cli("run", "cancel", "1", expect=2).stderr
