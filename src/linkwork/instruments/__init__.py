"""Validated questionnaire instruments, declared as data and scored by one generic scorer.

Each instrument is a frozen :class:`InstrumentSpec` declared in TOML (``builtin.toml`` for the
published instruments, ``study_scales.toml`` for the study's relationship scales). The registry
:data:`REGISTRY` maps names to specs; :func:`score` scores any of them, :func:`score_all`
every instrument found in a table, :func:`classify` names cut-off bands. See
``docs/instruments.md`` (generated from the registry by :func:`instruments_markdown`).

Examples
--------
>>> import pandas as pd
>>> import linkwork.instruments as li
>>> frame = pd.DataFrame({"swemwbs_1": [3], "swemwbs_2": [3], "swemwbs_3": [3], "swemwbs_4": [3],
...                       "swemwbs_5": [3], "swemwbs_6": [3], "swemwbs_7": [3]})
>>> float(li.score("swemwbs", frame).iloc[0])  # raw 21 -> 19.25 (Stewart-Brown et al. 2009)
19.25
"""

from __future__ import annotations

from linkwork.instruments.docs import instruments_markdown
from linkwork.instruments.loader import read_scales
from linkwork.instruments.registry import (
    REGISTRY,
    Registry,
    UnknownInstrument,
    get,
    load_scales,
    register,
    table,
)
from linkwork.instruments.responses import parse_responses
from linkwork.instruments.scoring import classify, describe_missing_rule, score, score_all
from linkwork.instruments.spec import (
    Band,
    Coding,
    InstrumentSpec,
    Item,
    MissingRule,
    ResponseRange,
    SpecError,
    Transform,
)
from linkwork.instruments.wording import load_wording

__all__ = [
    "REGISTRY",
    "Band",
    "Coding",
    "InstrumentSpec",
    "Item",
    "MissingRule",
    "Registry",
    "ResponseRange",
    "SpecError",
    "Transform",
    "UnknownInstrument",
    "classify",
    "describe_missing_rule",
    "get",
    "instruments_markdown",
    "load_scales",
    "load_wording",
    "parse_responses",
    "read_scales",
    "register",
    "score",
    "score_all",
    "table",
]
