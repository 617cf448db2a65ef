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


class _Lazy:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)

    def __repr__(self) -> str:
        return f"<module {self._name!r}, imported on first use>"


def module(name: str) -> ModuleType:
    """``name``, imported when an attribute of it is first read."""
    return _Lazy(name)  # type: ignore[return-value]
