"""Run every benchmark module in this package and print their tables.

make bench          # or: python -m tests.bench [name ...]
"""

import importlib
import os
import pkgutil
import platform
import sys

import torch

import tests.bench as package


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            names = [line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")]
    except OSError:
        names = []
    return names[0] if names else platform.processor() or platform.machine()


def machine() -> str:
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    cores = len(os.sched_getaffinity(0))
    cpu = cpu_name()
    return f"{cpu}, {cores} cores, {gpu}, torch {torch.__version__}"


def main(names: list[str]) -> None:
    print(f"machine: {machine()}\n")
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("bench_"):
            continue
        if names and info.name.removeprefix("bench_") not in names:
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        print(f"## {info.name}")
        module.main()
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
