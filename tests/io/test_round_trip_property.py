"""Property: any valid long table survives write -> read in every format, dtypes included."""

from __future__ import annotations

from pathlib import Path
from tempfile import TemporaryDirectory

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkwork.io import read, write
from linkwork.io._values import MISSING_TOKENS

WAVES = ["T1", "T2", "T3"]
# Text that a CSV would read back as missing ("null", "nan"...) cannot be written there:
# test_writers checks that write() refuses it.
TEXT = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=8).filter(
    lambda text: text not in MISSING_TOKENS
)


@st.composite
def long_tables(draw: st.DrawFn) -> pd.DataFrame:
    ids = draw(st.lists(TEXT, min_size=1, max_size=6, unique=True))
    rows = []
    for pid in ids:
        waves = draw(st.lists(st.sampled_from(WAVES), min_size=1, max_size=3, unique=True))
        site = draw(TEXT)
        for wave in waves:
            rows.append((pid, wave, site))
    n = len(rows)
    codes = st.one_of(st.none(), st.integers(min_value=0, max_value=10))
    days = st.integers(min_value=0, max_value=3000)
    return pd.DataFrame(
        {
            "participant_id": pd.array([r[0] for r in rows], dtype="str"),
            "wave": pd.Categorical([r[1] for r in rows], categories=WAVES, ordered=True),
            "date": (
                pd.Timestamp("2020-01-01")
                + pd.to_timedelta(draw(st.lists(days, min_size=n, max_size=n)), unit="D")
            ).astype("datetime64[ns]"),
            "site": pd.array([r[2] for r in rows], dtype="str"),
            "age": pd.array(
                draw(st.lists(st.integers(18, 99), min_size=n, max_size=n)), dtype="int64"
            ),
            "trust_1": pd.array(draw(st.lists(codes, min_size=n, max_size=n)), dtype="Int64"),
            "k6_1": pd.array(draw(st.lists(codes, min_size=n, max_size=n)), dtype="Int64"),
        }
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "sav", "dta", "redcap"])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=long_tables())
def test_round_trip(table: pd.DataFrame, fmt: str) -> None:
    with TemporaryDirectory() as folder:
        path = write(table, Path(folder) / f"t.{'csv' if fmt == 'redcap' else fmt}", format=fmt)
        # Text formats carry only the wave labels present; SPSS and Stata carry all of them.
        options = {"waves": WAVES} if fmt in ("csv", "xlsx", "redcap") else {}
        pd.testing.assert_frame_equal(read(path, **options), table)
