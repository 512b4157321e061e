"""Wide to long: one row per participant with ``<column>_<wave>`` columns -> one row per wave.

A column whose name ends in ``_<wave suffix>`` (``uls8_1_t1``, ``uls8_t2``, ``date_t3``)
holds ``<column>`` at that wave; every other column (``age``, ``arm``...) is a participant-level
value repeated on each of the participant's rows. A participant-wave with no wave-specific
value at all is not a row of the long table (it records no data); how many were left out is
in ``attrs["empty_waves_omitted"]`` (``keep_empty=True`` keeps them).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from linkwork.io._problems import Problem, quote_list, raise_problems
from linkwork.io._values import missing_mask, to_text_value
from linkwork.io.convert import Work, convert
from linkwork.io.tables import RawTable, frame_to_raw
from linkwork.io.waves import WaveOption, natural_order

__all__ = ["reshape_wide", "wide_to_long"]

_DEFAULT_SUFFIX = re.compile(r"^(?P<stem>.+)_(?P<wave>[Tt][0-9]+)$")


def _match(name: str, waves: WaveOption) -> tuple[str, str] | None:
    """(stem, wave label) for a wave-specific column name, else ``None``."""
    if waves is None:
        m = _DEFAULT_SUFFIX.match(name)
        return (m.group("stem"), "T" + m.group("wave")[1:]) if m else None
    if isinstance(waves, Mapping):
        pairs = [(str(to_text_value(k)), str(v)) for k, v in waves.items()]
    else:
        pairs = [(str(w), str(w)) for w in waves]
    for suffix, label in sorted(pairs, key=lambda p: -len(p[0])):
        tail = "_" + suffix.lower()
        if name.lower().endswith(tail) and len(name) > len(tail):
            return name[: -len(tail)], label
    return None


def reshape_wide(
    raw: RawTable,
    *,
    waves: WaveOption = None,
    id_column: str = "participant_id",
    keep_empty: bool = False,
) -> tuple[Work, list[str], list[Problem]]:
    """Reshape a loaded wide table; return the long work table, the wave order, problems."""
    frame, file = raw.frame, raw.file
    problems: list[Problem] = []
    if isinstance(waves, str):
        problems.append(Problem("waves= must be a list or a mapping", file=file, value=waves))
        waves = None
    cells: dict[tuple[str, str], str] = {}
    fixed: list[str] = []
    for name in frame.columns:
        hit = None if name == id_column else _match(str(name), waves)
        if hit is None:
            fixed.append(str(name))
            continue
        if hit in cells:
            problems.append(
                Problem(
                    f"columns {cells[hit]!r} and {name!r} both hold {hit[0]!r} at wave {hit[1]!r}",
                    file=file,
                    column=str(name),
                    expected="one column per item and wave",
                )
            )
            continue
        cells[hit] = str(name)
    stems = list(dict.fromkeys(stem for stem, _ in cells))
    labels_found = list(dict.fromkeys(label for _, label in cells))
    if not cells:
        problems.append(
            Problem(
                "no wave-specific columns in the wide table",
                file=file,
                value=quote_list([str(c) for c in frame.columns], limit=10),
                expected="names ending in _t1, _t2, ... (e.g. uls8_1_t1), or waves= naming "
                "the suffixes",
            )
        )
    for stem in stems:
        if stem in fixed or stem in ("wave", "participant_id", id_column):
            problems.append(
                Problem(
                    f"{stem!r} is both a participant-level column and a wave-specific stem",
                    file=file,
                    column=stem,
                    expected="distinct names",
                )
            )
    if "wave" in fixed:
        problems.append(
            Problem(
                "a wide table must not have a 'wave' column",
                file=file,
                column="wave",
                expected="wave suffixes in column names",
            )
        )
    if isinstance(waves, Mapping):
        order = list(dict.fromkeys(str(v) for v in waves.values()))
    elif waves is not None:
        order = list(dict.fromkeys(str(w) for w in waves))
    else:
        order = natural_order(labels_found) or []
        if labels_found and not order:
            problems.append(
                Problem(
                    "wave suffixes do not give one order",
                    file=file,
                    value=labels_found,
                    expected="distinct suffixes _t1, _t2, ... or waves=[...]",
                )
            )
    if problems:
        return Work(raw), order, problems

    blocks = []
    positions = np.arange(len(frame))
    for rank, label in enumerate(order):
        block: dict[str, Any] = {c: frame[c].astype(object).to_numpy() for c in fixed}
        present = np.zeros(len(frame), dtype=bool)
        for stem in stems:
            source = cells.get((stem, label))
            if source is None:
                block[stem] = np.full(len(frame), np.nan, dtype=object)
            else:
                block[stem] = frame[source].astype(object).to_numpy()
                present |= ~missing_mask(frame[source])
        block["wave"] = np.full(len(frame), label, dtype=object)
        block["_pos"], block["_rank"], block["_present"] = positions, rank, present
        blocks.append(pd.DataFrame(block, dtype=object))
    long = pd.concat(blocks, ignore_index=True) if blocks else pd.DataFrame()
    long = long.sort_values(["_pos", "_rank"], kind="stable")
    kept = long if keep_empty else long.loc[long["_present"].astype(bool)]
    with_data = set(long.loc[long["_present"].astype(bool), "_pos"].tolist())
    without = [
        to_text_value(v)
        for p, v in enumerate(frame[id_column].tolist() if id_column in frame.columns else [])
        if p not in with_data
    ]
    rows = [raw.rows[int(p)] for p in kept["_pos"].tolist()]
    columns = [c for c in fixed if c != id_column]
    body = kept[[c for c in [id_column, "wave"] if c in kept.columns] + columns + stems]
    reshaped = replace(raw, frame=body.reset_index(drop=True), rows=rows)
    notes = {
        "layout": "wide",
        "empty_waves_omitted": 0 if keep_empty else int(len(long) - len(kept)),
        "participants_without_wave_data": without,
    }
    return Work(reshaped, cells=cells, notes=notes), order, []


def wide_to_long(
    frame: pd.DataFrame,
    waves: WaveOption = None,
    *,
    id_column: str = "participant_id",
    keep_empty: bool = False,
    date_format: str | None = None,
) -> pd.DataFrame:
    """Reshape a wide table (one row per participant) to the validated long format.

    Parameters
    ----------
    frame:
        One row per participant. ``<column>_<suffix>`` columns hold ``<column>`` at a wave;
        the rest are participant-level and repeated on every wave.
    waves:
        ``None``: suffixes ``_t1``, ``_t2``, ... (any case) are waves ``T1``, ``T2``, ...
        in natural order. A list of labels, e.g. ``["T1", "T2"]``: suffixes equal to these
        labels (any case), in this order. A mapping suffix -> label, e.g.
        ``{"bl": "T1", "8wk": "T2"}``: renames, ordered as the labels first appear.
    id_column:
        The participant id column (renamed ``participant_id``).
    keep_empty:
        Keep participant-waves with no wave-specific value (as rows of missing values).
    date_format:
        ``strptime`` format for text dates (default ISO 8601, ``YYYY-MM-DD``).

    Returns
    -------
    pandas.DataFrame
        The long format; ``attrs`` records ``empty_waves_omitted`` and
        ``participants_without_wave_data``.

    Raises
    ------
    linkwork.DataFormatError
        Naming the wide table's row (index label) and column (e.g. ``uls8_1_t2``).

    Examples
    --------
    >>> wide = pd.DataFrame({"participant_id": ["P1", "P2"], "age": [50, 61],
    ...                      "uls8_1_t1": [2, 3], "uls8_1_t2": [1, None]})
    >>> long = wide_to_long(wide)
    >>> long[["participant_id", "wave", "uls8_1"]].values.tolist()
    [['P1', 'T1', 2], ['P1', 'T2', 1], ['P2', 'T1', 3]]
    >>> long["wave"].cat.categories.tolist()
    ['T1', 'T2']
    """
    raw = frame_to_raw(frame)
    work, order, problems = reshape_wide(
        raw, waves=waves, id_column=id_column, keep_empty=keep_empty
    )
    raise_problems(problems)
    long, more = convert(
        work, id_column=id_column, wave_column="wave", waves=order, date_format=date_format
    )
    raise_problems(more)
    return long
