"""The README stays in step with the registry and the CLI, and its walkthrough runs."""

import os
import re
import subprocess
from pathlib import Path

import typer

from app.cli import app
from experiments.organisms import ORGANISMS
from experiments.registry import templates
from experiments.slurm import SlurmSettings
from tests.conftest import CRUXLAB

README = (Path(__file__).parents[2] / "README.md").read_text()


def cli_commands(command=None, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command as its path of names, e.g. ("dialogue", "speaker", "rename")."""
    command = command or typer.main.get_command(app)
    names = []
    for name, sub in command.commands.items():
        if getattr(sub, "commands", None):
            names += cli_commands(sub, (*path, name))
        else:
            names.append((*path, name))
    return names


def test_every_cli_command_is_documented():
    block = README.split("### The CLI", 1)[1].split("## From dialogues", 1)[0]
    for *group, last in cli_commands():
        # "cruxlab run start ... | show RUN_ID | list" documents run start, show and list.
        prefix = " ".join(["cruxlab", *group])
        pattern = rf"^{prefix}\b[^\n]*\b{last}\b"
        assert re.search(pattern, block, re.M), (
            f"{prefix} {last} is not in the README's CLI section"
        )


def test_every_template_metric_and_organism_is_documented():
    for t in templates():
        assert f"`{t.name}`" in README
        for m in t.metrics:
            assert f"`{m.name}`" in README, m.name
    for name in ORGANISMS:
        assert f"`organism:{name}`" in README


def test_every_slurm_option_is_documented():
    section = README.split("## Running on a SLURM cluster", 1)[1].split("\n## ", 1)[0]
    for name in SlurmSettings.model_fields:
        assert f"| `{name}` |" in section, f"SLURM option {name} is not in the README's table"


def test_readme_walkthrough_runs(home, tmp_path, trained_organisms):
    section = README.split("## Walkthrough", 1)[1]
    script = section.split("```bash", 1)[1].split("\n```", 1)[0]
    script = re.sub(r"^export CRUXLAB_HOME=.*$", "", script, flags=re.M)
    env = {**os.environ, "PATH": f"{Path(CRUXLAB).parent}:{os.environ['PATH']}"}
    proc = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[outcome] outcome 1 of run 1" in proc.stdout
