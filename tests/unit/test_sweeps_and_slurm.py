"""Sweep grids and SLURM options (expansion, validation, one clear error for bad input), and
how a SLURM job's end becomes a run's end. The jobs themselves run in tests/cluster/."""

import pytest

from cruxes import sweeps
from cruxes.errors import InvalidInput
from experiments.executors import Liveness
from experiments.folders import RunFolder, write_json_atomic
from experiments.registry import get_template
from experiments.slurm import (
    JobState,
    SlurmExecutor,
    ending,
    forget_cache,
    job_file,
    load_settings,
    parse_states,
)


def test_a_grid_expands_to_its_product_last_key_fastest():
    grid = sweeps.parse_grid(["n_sequences=4,8", "seed=0,1,2"])
    assert grid == {"n_sequences": ["4", "8"], "seed": ["0", "1", "2"]}
    assert sweeps.points(grid) == [
        {"n_sequences": "4", "seed": "0"},
        {"n_sequences": "4", "seed": "1"},
        {"n_sequences": "4", "seed": "2"},
        {"n_sequences": "8", "seed": "0"},
        {"n_sequences": "8", "seed": "1"},
        {"n_sequences": "8", "seed": "2"},
    ]


def test_values_holding_commas_are_separated_by_bars():
    grid = sweeps.parse_grid(["heads=0.0,0.1|1.0,1.1"])
    assert grid == {"heads": ["0.0,0.1", "1.0,1.1"]}


def test_seed_sweeps_the_run_seed_and_other_keys_the_config():
    template = get_template("induction_heads")
    configs = sweeps.configs(template, ["seq_len=8,12", "seed=3,4"], {"n_sequences": "4"}, 0)
    assert [(c["seq_len"], c["n_sequences"], seed) for c, seed in configs] == [
        (8, 4, 3),
        (8, 4, 4),
        (12, 4, 3),
        (12, 4, 4),
    ]


@pytest.mark.parametrize(
    ("grid", "fixed", "message"),
    [
        ([], {}, "at least one --grid"),
        (["n_sequences"], {}, "Expected --grid KEY=V1,V2"),
        (["n_sequences=4,,8"], {}, "empty value"),
        (["n_sequences=4,4"], {}, "repeats a value"),
        (["n_sequences=4", "n_sequences=8"], {}, "names 'n_sequences' twice"),
        (["n_sequences=4,8"], {"n_sequences": "2"}, "both set .* and swept"),
        (["seed=0,x"], {}, "Sweep point 2: seed must be a whole number"),
        (
            ["seq_len=8,abc"],
            {},
            r"^Sweep point 2 \(seq_len=abc\): induction_heads: seq_len must be a whole number "
            r"\(got 'abc'\)\.$",
        ),
        (["sequence_length=8"], {}, "no parameter 'sequence_length'"),
        (
            [
                f"seed={','.join(map(str, range(101)))}",
                "seq_len=" + ",".join(map(str, range(2, 103))),
            ],
            {},
            "10,201 points",
        ),
    ],
)
def test_a_bad_grid_is_one_clear_error(grid, fixed, message):
    with pytest.raises(InvalidInput, match=message):
        sweeps.configs(get_template("induction_heads"), grid, fixed, 0)


def test_slurm_options_come_from_the_settings_file_and_per_run_overrides(tmp_path):
    (tmp_path / "settings.toml").write_text(
        'executor = "slurm"\n[slurm]\npartition = "gpu"\ntime_limit_min = 30\n'
        'sbatch_flags = ["--qos=high", "--exclusive"]\n'
    )
    options = load_settings(tmp_path, {"time_limit_min": "5", "gpus_per_job": "1"})
    assert (options.partition, options.time_limit_min, options.gpus_per_job) == ("gpu", 5, 1)
    params = options.submitit_parameters("cruxlab-1")
    assert params["partition"] == "gpu"
    assert params["time"] == 5
    assert params["gpus_per_node"] == 1
    assert params["additional_parameters"] == {"qos": "high", "exclusive": True}
    assert "account" not in params and "mem" not in params


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"time_limit_min": "0"}, "time_limit_min: Input should be greater than or equal to 1"),
        ({"gpus_per_job": "many"}, "gpus_per_job: Input should be a valid integer"),
        ({"partition": "gpu large"}, "partition: must be one word"),
        ({"sbatch_flags": ["qos=high"]}, "sbatch_flags: 'qos=high' is not of the form --name"),
        (
            {"sbatch_flags": ["--time=5"]},
            "sbatch_flags: --time is set by cruxlab; use the time_limit_min",
        ),
        ({"sbatch_flags": ["--output=x"]}, "sbatch_flags: --output is set by cruxlab\\."),
        ({"nodes": "2"}, "nodes: Extra inputs are not permitted .known: partition"),
    ],
)
def test_bad_slurm_options_are_one_clear_error(tmp_path, overrides, message):
    with pytest.raises(InvalidInput, match=f"^SLURM option {message}"):
        load_settings(tmp_path, overrides)


def test_an_unreadable_settings_file_is_one_clear_error(tmp_path):
    (tmp_path / "settings.toml").write_text("[slurm\n")
    with pytest.raises(InvalidInput, match="settings.toml is not valid TOML"):
        load_settings(tmp_path)


def test_squeue_and_sacct_lines_parse_to_job_states():
    states = parse_states(
        "12_0|RUNNING|None|2026-12-02T00:50:53\n12_1|PENDING|Priority|N/A\n13|CANCELLED by 0\n"
    )
    assert states["12_0"].state == "RUNNING" and states["12_0"].started is not None
    assert states["12_1"] == JobState("PENDING", "Priority", None)
    assert states["13"] == JobState("CANCELLED", "", None)


STEPD = "*** JOB 12 ON node7 CANCELLED AT 2026-12-02T00:45:53 DUE TO TIME LIMIT ***"


@pytest.mark.parametrize(
    ("state", "status", "reason"),
    [
        (
            JobState("TIMEOUT", "TimeLimit"),
            "failed",
            f"SLURM ended job 12: TIMEOUT, reason TimeLimit: {STEPD}.",
        ),
        (JobState("CANCELLED", "None"), "cancelled", f"SLURM cancelled job 12 (scancel): {STEPD}."),
        (
            None,
            "failed",
            f"SLURM no longer knows job 12 and the run wrote no result: {STEPD}. "
            "The job's log: LOG.",
        ),
    ],
)
def test_a_job_that_ended_without_a_result_ends_its_run_with_slurms_reason(
    tmp_path, state, status, reason
):
    folder = RunFolder.of(tmp_path, 3)
    folder.root.mkdir(parents=True)
    log = tmp_path / "12_0_log.err"
    log.write_text(f"some output\nslurmstepd-node7: error: {STEPD}\n")
    write_json_atomic(job_file(folder), {"job_id": "12", "pack": [3], "stderr": str(log)})
    assert ending(tmp_path, 3, "12", state) == (status, reason.replace("LOG", str(log)))


def test_no_run_is_failed_while_slurm_cannot_be_asked(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no squeue: as if the controller were down
    forget_cache()
    assert SlurmExecutor().probe(tmp_path, 3, "12") == Liveness.WAITING
