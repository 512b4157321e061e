"""In-memory tables to the long format: :func:`to_long`."""

from __future__ import annotations

from typing import Literal

import pandas as pd

from linkwork.io._problems import Problem, raise_problems, sort_problems
from linkwork.io.convert import Work, convert
from linkwork.io.tables import RawTable, frame_to_raw
from linkwork.io.waves import WaveOption
from linkwork.io.wide import reshape_wide

__all__ = ["check_frame", "to_long"]

Layout = Literal["long", "wide"]


def check_frame(
    frame: pd.DataFrame,
    *,
    layout: Layout = "long",
    id_column: str = "participant_id",
    wave_column: str = "wave",
    waves: WaveOption = None,
    date_format: str | None = None,
    keep_empty: bool = False,
    file: str | None = None,
) -> tuple[pd.DataFrame, list[Problem], Work]:
    """Convert an in-memory table; return the best-effort long frame, every problem, and the
    work table (which knows each row's and column's name in the source)."""
    raw = frame_to_raw(frame, file)
    long, problems, work = _check_raw(
        raw,
        layout=layout,
        id_column=id_column,
        wave_column=wave_column,
        waves=waves,
        date_format=date_format,
        keep_empty=keep_empty,
    )
    return long, sort_problems(problems, raw.rows), work


def _check_raw(
    raw: RawTable,
    *,
    layout: Layout,
    id_column: str,
    wave_column: str,
    waves: WaveOption,
    date_format: str | None,
    keep_empty: bool,
) -> tuple[pd.DataFrame, list[Problem], Work]:
    file = raw.file
    if layout == "wide":
        work, order, problems = reshape_wide(
            raw, waves=waves, id_column=id_column, keep_empty=keep_empty
        )
        if problems:
            return pd.DataFrame(), problems, work
        long, more = convert(
            work, id_column=id_column, wave_column="wave", waves=order, date_format=date_format
        )
        return long, more, work
    work = Work(raw)
    if layout != "long":
        problem = Problem("unknown layout", file=file, value=layout, expected="'long' or 'wide'")
        return pd.DataFrame(), [problem], work
    long, problems = convert(
        work, id_column=id_column, wave_column=wave_column, waves=waves, date_format=date_format
    )
    return long, problems, work


def to_long(
    frame: pd.DataFrame,
    *,
    layout: Layout = "long",
    id_column: str = "participant_id",
    wave_column: str = "wave",
    waves: WaveOption = None,
    date_format: str | None = None,
    keep_empty: bool = False,
) -> pd.DataFrame:
    """Validate an in-memory table and return it in the canonical long format.

    The same checks and conversions as :func:`linkwork.io.read`, for a table already in
    memory; problems name the row by the frame's index label.

    Parameters
    ----------
    frame:
        A long table (one row per participant x wave) or, with ``layout="wide"``, one row per
        participant (see :func:`linkwork.io.wide_to_long`).
    layout:
        ``"long"`` or ``"wide"``.
    id_column, wave_column:
        The columns holding the participant id and the wave (renamed ``participant_id`` and
        ``wave``).
    waves:
        Wave labels in time order, or a mapping raw value -> label (see
        :mod:`linkwork.io.waves`).
    date_format:
        ``strptime`` format for text in ``date`` (default ISO 8601, ``YYYY-MM-DD``).
    keep_empty:
        Wide layout only: keep participant-waves that have no wave-specific value.

    Raises
    ------
    linkwork.DataFormatError
        For the first problem, saying how many there are.

    Examples
    --------
    >>> frame = pd.DataFrame({"id": ["a", "a"], "visit": ["T2", "T1"], "k6_1": ["3", "1"]})
    >>> long = to_long(frame, id_column="id", wave_column="visit")
    >>> list(long.columns), long["wave"].cat.categories.tolist(), long["k6_1"].tolist()
    (['participant_id', 'wave', 'k6_1'], ['T1', 'T2'], [3, 1])
    """
    long, problems, _ = check_frame(
        frame,
        layout=layout,
        id_column=id_column,
        wave_column=wave_column,
        waves=waves,
        date_format=date_format,
        keep_empty=keep_empty,
    )
    raise_problems(problems)
    return long
