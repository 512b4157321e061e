"""Data files in and out of linkwork's long format (one row per participant x wave).

Read any supported file with :func:`read` (also ``linkwork.read``): CSV/TSV, Excel, SPSS
``.sav``, Stata ``.dta``, REDCap long exports, and wide tables (``layout="wide"``). Every
import is validated and all-or-nothing: a problem raises :class:`linkwork.DataFormatError`
naming the file, the data row (counted from 1 below the header), the column, the value and
what was expected. :func:`validate` / :func:`validate_file` collect every problem and
summarise the data instead; :func:`write` writes every format back so round trips are exact.
See ``docs/data-format.md``.

Examples
--------
>>> import pandas as pd
>>> import linkwork.io as lio
>>> wide = pd.DataFrame({"participant_id": ["P1"], "uls8_1_t1": [3], "uls8_1_t2": [2]})
>>> lio.wide_to_long(wide)[["participant_id", "wave", "uls8_1"]].values.tolist()
[['P1', 'T1', 3], ['P1', 'T2', 2]]
"""

from __future__ import annotations

from linkwork.io._problems import ROW_NOTE, Problem
from linkwork.io.long import to_long
from linkwork.io.reading import read
from linkwork.io.redcap import event_label
from linkwork.io.tables import FORMATS, detect_format, read_table
from linkwork.io.validation import (
    InstrumentMissing,
    ItemRange,
    ValidationReport,
    validate,
    validate_file,
)
from linkwork.io.waves import natural_order
from linkwork.io.wide import wide_to_long
from linkwork.io.writers import write, write_redcap

__all__ = [
    "FORMATS",
    "ROW_NOTE",
    "InstrumentMissing",
    "ItemRange",
    "Problem",
    "ValidationReport",
    "detect_format",
    "event_label",
    "natural_order",
    "read",
    "read_table",
    "to_long",
    "validate",
    "validate_file",
    "wide_to_long",
    "write",
    "write_redcap",
]
