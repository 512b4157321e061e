"""linkwork: link worker social prescribing, from referral to evaluation.

The public entry points are re-exported here: :func:`read` (any supported file to the long
format), :func:`evaluate` (the study's full evaluation), the error types, and the subpackages
:mod:`linkwork.instruments`, :mod:`linkwork.io`, :mod:`linkwork.stats` and
:mod:`linkwork.datasets`.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from linkwork.errors import (
    DataFormatError,
    InvalidResponse,
    LinkworkError,
    ModelError,
    PlanError,
)

__version__ = "0.1.0"

__all__ = [
    "DataFormatError",
    "InvalidResponse",
    "LinkworkError",
    "ModelError",
    "PlanError",
    "__version__",
    "evaluate",
    "read",
]

_LAZY = {
    "evaluate": ("linkwork.evaluation", "evaluate"),
    "read": ("linkwork.io", "read"),
}


def __getattr__(name: str) -> Any:
    # Lazy so that `import linkwork` stays cheap for the CLI and the web app.
    if name in _LAZY:
        module, attr = _LAZY[name]
        return getattr(import_module(module), attr)
    raise AttributeError(f"module 'linkwork' has no attribute {name!r}")
