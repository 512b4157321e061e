"""Writers for every readable format, so that any long table can make a round trip.

Each writer first validates the frame as the long format (:func:`linkwork.io.to_long`), so
what is written can be read back: CSV/TSV and REDCap carry wave labels as text (their order
is recovered when labels sort naturally, else pass ``waves=`` / ``events=`` when reading);
Excel carries cell types; SPSS and Stata store the wave as codes 1..n with value labels in
wave order, and variable labels from ``attrs["variable_labels"]``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from linkwork.errors import DataFormatError
from linkwork.io._values import MISSING_TOKENS, is_item_column
from linkwork.io.long import to_long
from linkwork.io.redcap import text_cells, write_redcap_file
from linkwork.io.tables import FORMATS, detect_format

__all__ = ["write", "write_redcap"]


def _format_for(path: str | Path, format: str | None) -> str:
    if format is not None or Path(path).suffix.lower() != ".csv":
        return detect_format(Path(path).name if format is None else path, format)
    return "csv"


def write(
    frame: pd.DataFrame,
    path: str | Path,
    format: str | None = None,
    *,
    sheet: str = "data",
    events: Mapping[str, str] | None = None,
    arms: Mapping[Any, int] | None = None,
) -> Path:
    """Write a long-format frame as CSV, TSV, Excel, SPSS, Stata or a REDCap long export.

    Parameters
    ----------
    frame:
        A long table; it is validated first (:class:`~linkwork.errors.DataFormatError` if not).
    path:
        Where to write; the extension picks the format unless ``format`` is given (a ``.csv``
        is plain CSV unless ``format="redcap"``).
    format:
        ``"csv"``, ``"tsv"``, ``"xlsx"``, ``"sav"``, ``"dta"`` or ``"redcap"``.
    sheet:
        Excel sheet name.
    events, arms:
        REDCap only, see :func:`write_redcap`.

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from linkwork.io import read
    >>> frame = pd.DataFrame({"participant_id": ["P1", "P1"], "wave": ["T1", "T2"],
    ...                       "trust_1": [7, None]})
    >>> path = write(frame, pathlib.Path(tempfile.mkdtemp()) / "c.sav")
    >>> back = read(path)
    >>> back["wave"].cat.categories.tolist(), back["trust_1"].tolist()
    (['T1', 'T2'], [7, <NA>])
    """
    name = _format_for(path, format)
    if name != "redcap" and (events is not None or arms is not None):
        raise DataFormatError(
            "events= and arms= apply to REDCap exports only",
            file=str(path),
            expected="format='redcap'",
        )
    long = to_long(frame)
    if name in ("csv", "tsv", "xlsx", "redcap"):
        _check_text_cells(long, frame.index, str(path))
    if name == "redcap":
        write_redcap_file(long, path, events=events, arms=arms)
    elif name in ("csv", "tsv"):
        cells = pd.DataFrame({c: text_cells(long[c]) for c in long.columns}, dtype=object)
        cells.to_csv(path, index=False, sep="\t" if name == "tsv" else ",")
    elif name == "xlsx":
        out = long.astype({"wave": object})
        out.to_excel(path, sheet_name=sheet, index=False, engine="openpyxl")
    elif name in ("sav", "dta"):
        _write_labelled(long, path, name)
    else:  # pragma: no cover - FORMATS and this function list the same names
        raise DataFormatError(
            "no writer for format", file=str(path), value=name, expected=", ".join(FORMATS)
        )
    return Path(path)


def write_redcap(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    events: Mapping[str, str] | None = None,
    arms: Mapping[Any, int] | None = None,
) -> Path:
    """Write a long-format frame as a REDCap longitudinal CSV export.

    ``participant_id`` -> ``record_id``; each wave -> event ``<event>_arm_<n>`` where
    ``<event>`` is ``events[wave]`` or the wave label in lower case (``T1`` -> ``t1_arm_1``);
    with several arms, ``arm`` gives ``n`` (values ``"1"``, ``"2"``... or ``arms={name: n}``);
    one form per instrument with ``<instrument>_complete`` = 2 when all its items are answered,
    else 0; empty ``redcap_repeat_instrument`` / ``redcap_repeat_instance``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> frame = pd.DataFrame({"participant_id": ["P1"], "wave": ["T1"], "ucla3_1": [2]})
    >>> path = write_redcap(frame, pathlib.Path(tempfile.mkdtemp()) / "r.csv")
    >>> path.read_text().splitlines()[1]
    'P1,t1_arm_1,,,2,2'
    """
    return write(frame, path, format="redcap", events=events, arms=arms)


def _check_text_cells(long: pd.DataFrame, index: pd.Index, file: str) -> None:
    """Refuse text that a text file or spreadsheet would read back as missing (``"NA"``...)."""
    tokens = {t for t in MISSING_TOKENS if t}
    for column in long.columns:
        series = long[column]
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype(object)
        elif not pd.api.types.is_string_dtype(series.dtype):
            continue
        hits = series.isin(tokens).to_numpy(dtype=bool)
        if hits.any():
            i = int(hits.argmax())
            raise DataFormatError(
                "text that would read back as missing",
                file=file,
                row=index[i],
                column=column,
                value=series.iloc[i],
                expected="text other than the missing-value markers "
                + ", ".join(repr(t) for t in sorted(tokens))
                + " in CSV, Excel and REDCap files (SPSS and Stata keep it)",
            )


def _code_labels(labels: Mapping[Any, str], integer: bool) -> dict[Any, str] | None:
    out: dict[Any, str] = {}
    for code, text in labels.items():
        if not isinstance(code, int | float) or (isinstance(code, float) and math.isnan(code)):
            return None
        if integer:
            if not float(code).is_integer():
                return None
            out[int(code)] = str(text)
        else:
            out[float(code)] = str(text)
    return out


def _write_labelled(long: pd.DataFrame, path: str | Path, name: str) -> None:
    import pyreadstat

    categories = [str(c) for c in long["wave"].cat.categories]
    out = long.copy()
    codes = long["wave"].cat.codes.astype("int64") + 1
    out["wave"] = codes if name == "dta" else codes.astype("float64")
    value_labels: dict[str, dict[Any, str]] = {
        "wave": {(i + 1 if name == "dta" else float(i + 1)): c for i, c in enumerate(categories)}
    }
    for column, labels in dict(long.attrs.get("value_labels", {}) or {}).items():
        if (
            column in out.columns
            and column != "wave"
            and pd.api.types.is_numeric_dtype(out[column].dtype)
        ):
            converted = _code_labels(labels, integer=name == "dta")
            if converted:
                value_labels[column] = converted
    variable_labels: dict[str, str | None] = {
        str(k): str(v)
        for k, v in dict(long.attrs.get("variable_labels", {}) or {}).items()
        if k in out.columns
    }
    for column in out.columns:
        if isinstance(out[column].dtype, pd.Int64Dtype):
            out[column] = out[column].astype("float64")
        elif pd.api.types.is_string_dtype(out[column].dtype) and not is_item_column(column):
            out[column] = out[column].astype(object).where(out[column].notna(), "")
    try:
        if name == "sav":
            pyreadstat.write_sav(
                out,
                str(path),
                column_labels=variable_labels or None,
                variable_value_labels=value_labels,
                variable_measure={"wave": "ordinal"},
            )
        else:
            pyreadstat.write_dta(
                out,
                str(path),
                column_labels=variable_labels or None,
                variable_value_labels=value_labels,
            )
    except Exception as exc:  # pyreadstat raises its own types for what a format cannot hold
        kind = "SPSS .sav" if name == "sav" else "Stata .dta"
        raise DataFormatError(f"cannot write the table as {kind} ({exc})", file=str(path)) from None
