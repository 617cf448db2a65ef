"""A module imported on its first use, for the heavy libraries (torch) that the templates
run with but that listing templates, checking a config or drawing a page never touch.

    torch = lazy.module("torch")   # at the top of a module, where ``import torch`` was

``torch.zeros(3)`` then imports torch (once, under the import lock, as ``import`` does)
and behaves as the real module. The CLI and the app's pages import the template
registry; without this every one of them would pay torch's 3 s and 220 MB.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class _Lazy(ModuleType):
    def __getattr__(self, attr: str) -> Any:  # only for a name not (yet) in this module
        real = importlib.import_module(self.__name__)  # returns only once fully imported
        # After the first use every name is found here directly, as fast as the real
        # module's (a name the real one gains later still comes through this method).
        self.__dict__.update({k: v for k, v in vars(real).items() if k not in self.__dict__})
        return getattr(real, attr)

    def __repr__(self) -> str:
        return f"<module {self.__name__!r}, imported on first use>"


def module(name: str) -> ModuleType:
    """``name``, imported when an attribute of it is first read."""
    return _Lazy(name)
