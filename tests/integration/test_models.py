"""Hugging Face names and local paths: cached ones load offline, uncached ones fail at once."""

import pytest

from cruxes import runs
from experiments.loading import load_model

HUB_ENV = ("HF_HUB_CACHE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_ENDPOINT")
PROXIES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """An empty Hugging Face cache for the test's workers, and a hub that refuses connections."""
    for name in HUB_ENV + PROXIES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    # Nothing listens on port 9: any network call would fail (or retry) rather than download.
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    return tmp_path / "hf" / "hub"


def tiny_gpt2(folder):
    """A randomly initialised 1-layer GPT-2 saved in Hugging Face format."""
    from transformers import GPT2Config, GPT2LMHeadModel

    config = GPT2Config(n_layer=1, n_head=2, n_embd=16, n_positions=64, vocab_size=64)
    config.bos_token_id = config.eos_token_id = 0
    GPT2LMHeadModel(config).save_pretrained(folder)
    return folder


UNCACHED = [
    # model, extra environment, what the error must say
    ("gpt2", {}, ("'gpt2' is not in the Hugging Face cache (", "127.0.0.1:9 cannot be reached")),
    (
        "gpt2",
        {"HF_HUB_OFFLINE": "1"},
        ("'gpt2' is not in the Hugging Face cache (", "and HF_HUB_OFFLINE is set"),
    ),
    ("not a model name!", {}, ("nor a valid Hugging Face name",)),
]


def test_uncached_models_fail_at_once_with_a_clear_message(store, project, hub, monkeypatch):
    started = []
    for model, env, _ in UNCACHED:  # workers start in parallel, each with its own environment
        with monkeypatch.context() as m:
            for name, value in env.items():
                m.setenv(name, value)
            started.append(runs.start_run(store, project.id, "induction_heads", {"model": model}))
    for run, (model, _, messages) in zip(started, UNCACHED, strict=True):
        run = runs.wait_for(store, run.id, timeout=120)
        assert run.status == "failed", model
        for message in messages:
            assert message in run.error
        # It failed before any request to the hub (the client logs each retry).
        assert "Retrying" not in runs.run_log(store, run.id)


def test_cached_hub_model_runs_without_network(store, project, hub):
    snapshot = hub / "models--tiny--gpt2" / "snapshots" / ("0" * 40)
    tiny_gpt2(snapshot)
    (hub / "models--tiny--gpt2" / "refs").mkdir()
    (hub / "models--tiny--gpt2" / "refs" / "main").write_text("0" * 40)
    values = {"model": "tiny/gpt2", "n_sequences": 4}
    run = runs.wait_for(store, runs.start_run(store, project.id, "induction_heads", values).id, 120)
    assert run.status == "succeeded", run.error
    assert "Retrying" not in runs.run_log(store, run.id)
    assert 0 <= run.metrics["max_induction_score"] <= 1


def test_local_path_loads_through_boot_transformers(tmp_path):
    model = load_model(str(tiny_gpt2(tmp_path / "tiny")))
    assert (model.cfg.n_layers, model.cfg.d_model, model.cfg.d_vocab) == (1, 16, 64)
