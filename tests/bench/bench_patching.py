"""Batched patching engine vs ``transformer_lens.patching``, same model, same sweep, one process.

A GPT-2-small-shaped model (12 layers × 12 heads, d_model 768, d_mlp 3072, vocab
50257) built with ``TransformerBridge.boot_native`` (random weights; no download),
8 induction prompt pairs of 15 tokens, the logit-difference metric. Sweeps: head
output at all positions (layer × head) and the residual stream (layer × position);
on CUDA also head output by position (layer × position × head), which on a CPU
would take the reference hours.

    python -m tests.bench patching                                # full size
    CRUXLAB_BENCH_PATCHING=small python -m tests.bench patching   # a quick check
    CRUXLAB_BENCH_CHUNK=96 python -m tests.bench patching         # copies per forward
"""

import contextlib
import ctypes
import os
import threading
import time
from functools import partial

import torch

from experiments.patching import (
    induction_prompt_pairs,
    patch_head_out,
    patch_head_out_by_pos,
    patch_resid_pre,
    run_with_cache,
)

FULL = dict(d_model=768, d_head=64, n_heads=12, n_layers=12, d_mlp=3072, d_vocab=50257)
SMALL = dict(d_model=128, d_head=32, n_heads=4, n_layers=2, d_mlp=512, d_vocab=5000)
N_PROMPTS, SEQ_LEN = 8, 7  # 8 prompts × (BOS + 7 + 7) = 15 tokens


class PeakMemory:
    """Peak memory above the starting point while the block runs: CUDA allocations, or RSS."""

    def __init__(self, device: str):
        self.device = device

    def __enter__(self):
        if self.device == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self.start = torch.cuda.memory_allocated()
        else:
            release_freed_memory()
            self.start = self.peak = rss()
            self.running = True
            self.thread = threading.Thread(target=self.sample, daemon=True)
            self.thread.start()
        return self

    def sample(self) -> None:
        while self.running:
            self.peak = max(self.peak, rss())
            time.sleep(0.002)

    def __exit__(self, *exc):
        if self.device == "cuda":
            torch.cuda.synchronize()
            self.bytes = torch.cuda.max_memory_allocated() - self.start
        else:
            self.running = False
            self.thread.join()
            self.bytes = self.peak - self.start


def release_freed_memory() -> None:
    """Hand freed heap pages back to the OS, so the next RSS peak is the next block's own."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def timed(fn, device: str):
    with PeakMemory(device) as memory:
        started = time.perf_counter()
        values = fn()
        if device == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - started
    return values, seconds, memory.bytes


def main() -> None:
    # Not set_grad_enabled(False): later benchmarks in this process train models.
    with torch.no_grad():
        compare()


def compare() -> None:
    from transformer_lens import TransformerBridge, TransformerBridgeConfig
    from transformer_lens import patching as reference

    device = "cuda" if torch.cuda.is_available() else "cpu"
    # Patched copies per forward: a GPU wants bigger batches than a 2-core CPU.
    chunk_size = int(os.environ.get("CRUXLAB_BENCH_CHUNK") or (512 if device == "cuda" else 48))
    size = SMALL if os.environ.get("CRUXLAB_BENCH_PATCHING") == "small" else FULL
    cfg = TransformerBridgeConfig(
        **size, n_ctx=2 * SEQ_LEN + 1, act_fn="gelu_new", normalization_type="LN", seed=0
    )
    model = TransformerBridge.boot_native(cfg).to(device)
    model.eval()
    pairs = induction_prompt_pairs(model, N_PROMPTS, SEQ_LEN, seed=0, device=device)
    cache = run_with_cache(model, pairs.clean)
    model(pairs.corrupted.repeat(chunk_size, 1))  # warm up kernels and the allocator
    sweeps = [
        ("head out (layer × head)", patch_head_out, reference.get_act_patch_attn_head_out_all_pos),
        ("resid_pre (layer × pos)", patch_resid_pre, reference.get_act_patch_resid_pre),
    ]
    if device == "cuda":
        sweeps.append(
            (
                "head out by pos (layer × pos × head)",
                patch_head_out_by_pos,
                reference.get_act_patch_attn_head_out_by_pos,
            )
        )
    print(
        f"model: {size['n_layers']} layers × {size['n_heads']} heads, d_model {size['d_model']}, "
        f"d_mlp {size['d_mlp']}, vocab {size['d_vocab']} (boot_native, random weights), "
        f"{N_PROMPTS} prompts × {pairs.clean.shape[1]} tokens, on {device}; "
        f"batched chunk_size {chunk_size}\n"
    )
    print(
        "| sweep | patches | reference patches/s | batched patches/s | ratio | max abs diff "
        "| reference peak MiB | batched peak MiB |\n|---|---|---|---|---|---|---|---|"
    )
    for name, ours, theirs in sweeps:
        run_ours = partial(ours, model, pairs.corrupted, cache, pairs.metric, chunk_size)
        run_theirs = partial(theirs, model, pairs.corrupted, cache, pairs.metric.of_full_logits)
        # The batched sweep runs before and after the reference, so a machine whose load
        # drifts (a shared CPU) weighs on both alike.
        batched, before_s, ours_mem = timed(run_ours, device)
        expected, ref_s, ref_mem = timed(run_theirs, device)
        ours_s = (before_s + timed(run_ours, device)[1]) / 2
        n = batched.numel()
        print(
            f"| {name} | {n} | {n / ref_s:.2f} | {n / ours_s:.2f} | {ref_s / ours_s:.1f}× "
            f"| {(batched - expected).abs().max().item():.1e} "
            f"| {ref_mem / 2**20:.0f} | {ours_mem / 2**20:.0f} |",
            flush=True,
        )
