"""The test cluster itself: a plain batch job runs on the single node and ends COMPLETED."""

import socket
import subprocess

from experiments.slurm import job_states


def test_a_plain_batch_job_runs_on_the_node(slurm, tmp_path):
    out = tmp_path / "hostname.out"
    submitted = subprocess.run(
        ["sbatch", "--parsable", "--wait", f"--output={out}", "--wrap", "hostname"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert submitted.returncode == 0, submitted.stderr + slurm.logs()
    job_id = submitted.stdout.strip()
    assert out.read_text().strip() == socket.gethostname()
    assert job_states([job_id])[job_id].state == "COMPLETED"
