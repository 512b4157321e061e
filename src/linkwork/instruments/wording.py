"""Attach licensed item wording that a deployment supplies (e.g. WEMWBS, SWEMWBS).

linkwork ships the wording of an instrument only where its licence allows redistribution.
A deployment holding a licence keeps the wording in its own file, mapping item keys to text,
and loads it at run time with :func:`load_wording`:

* TOML: ``wemwbs_1 = "..."`` (one key per item; top-level keys only);
* CSV: a header ``item,text`` and one row per item.

Every item of an instrument named in the file must be given, exactly once.
"""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from linkwork.errors import DataFormatError
from linkwork.instruments.registry import REGISTRY
from linkwork.instruments.spec import InstrumentSpec

__all__ = ["load_wording"]


def load_wording(
    path: str | Path, *, registry: Mapping[str, InstrumentSpec] | None = None
) -> dict[str, InstrumentSpec]:
    """Read item wording from a user-supplied TOML or CSV file; return specs that carry it.

    The registry is not changed: pass the returned specs to
    :func:`~linkwork.instruments.register` with ``replace=True`` to use them everywhere, or
    use them directly (e.g. when rendering a questionnaire). Each returned spec records the
    file in :attr:`InstrumentSpec.wording_source`.

    Parameters
    ----------
    path
        ``.toml`` or ``.csv`` file mapping item keys (``wemwbs_1`` ...) to wording.
    registry
        Where to look the instruments up (default: the default registry).

    Returns
    -------
    dict
        Instrument name -> a copy of its spec with ``text`` set on every item.

    Raises
    ------
    DataFormatError
        Unknown item keys, duplicated or empty texts, or an instrument with items left out.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> lines = [f'ucla3_{k} = "Licensed wording of item {k}"' for k in (1, 2, 3)]
    >>> _ = (folder / "wording.toml").write_text("\\n".join(lines), encoding="utf-8")
    >>> specs = load_wording(folder / "wording.toml")
    >>> specs["ucla3"].items[2].text
    'Licensed wording of item 3'
    """
    path = Path(path)
    registry = REGISTRY if registry is None else registry
    texts = _read(path)
    owner = {key: spec for spec in registry.values() for key in spec.item_keys}
    unknown = [key for key in texts if key not in owner]
    if unknown:
        raise DataFormatError(
            "unknown item keys",
            file=str(path),
            value=unknown,
            expected="keys such as wemwbs_1 of registered instruments",
        )
    out = {}
    for name in dict.fromkeys(owner[key].name for key in texts):
        spec = registry[name]
        left_out = [key for key in spec.item_keys if key not in texts]
        if left_out:
            raise DataFormatError(
                f"wording for {name} is incomplete",
                file=str(path),
                value=left_out,
                expected=f"text for every item {spec.item_keys[0]}..{spec.item_keys[-1]}",
            )
        items = tuple(replace(item, text=texts[item.key]) for item in spec.items)
        out[name] = replace(spec, items=items, wording_source=str(path))
    return out


def _read(path: Path) -> dict[str, str]:
    suffix = path.suffix.lower()
    if suffix == ".toml":
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise DataFormatError(f"not valid TOML: {exc}", file=str(path)) from None
        rows = [(key, value) for key, value in data.items()]
        start = 1
    elif suffix == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None or [h.strip().lower() for h in header] != ["item", "text"]:
                raise DataFormatError(
                    "wrong header", file=str(path), row=1, value=header, expected="item,text"
                )
            rows = []
            for record in reader:
                if len(record) != 2:
                    raise DataFormatError(
                        "each row needs an item key and its text",
                        file=str(path),
                        row=reader.line_num,
                        value=record,
                        expected="item,text",
                    )
                rows.append((record[0], record[1]))
        start = 2
    else:
        raise DataFormatError("unsupported wording file", file=str(path), expected=".toml or .csv")
    texts: dict[str, str] = {}
    for number, (key, text) in enumerate(rows, start=start):
        row = number if suffix == ".csv" else None
        if not isinstance(text, str) or not text.strip():
            raise DataFormatError(
                "each item needs non-empty text", file=str(path), row=row, column=str(key)
            )
        if key in texts:
            raise DataFormatError("item given twice", file=str(path), row=row, column=str(key))
        texts[key] = text
    return texts
