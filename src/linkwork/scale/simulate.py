"""A synthetic score-level cohort of any size, written to Parquet in chunks.

A lighter generator than :func:`linkwork.datasets.simulate_cohort` (which simulates item-level
responses of several instruments): one total score per participant and wave, so that tens of
millions of rows can be written with memory bounded by the chunk size. Per participant ``i``
and wave ``t`` (T1, T2, T3)::

    wemwbs[i, t] = round(clip(45 + u_i + effect[arm_i, t] + e_it, 14, 70))
    u_i ~ N(0, 7^2),  e_it ~ N(0, 5^2)
    effect[control] = (0, 0.5, 0.5),  effect[intervention] = (0, 3, 4)

The arm is allocated 1:1 at random. Drop-out is monotone: everyone has T1, 80% have T2, and 87.5%
of those have T3 (2.5 rows per participant, 25M rows for 10M participants). Chunk ``k``
uses the random stream ``numpy.random.default_rng([seed, k])``, so a file depends only on the
seed, its chunk number and the chunk size.

Validated by tests/scale/test_simulate.py (row counts, drop-out and effects recovered by lmer).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from linkwork.errors import PlanError

__all__ = ["DEFAULT_CHUNK", "write_scores"]

#: Participants per chunk (and per Parquet file): about 2.5M rows, ~100 MB of memory.
DEFAULT_CHUNK = 1_000_000

_WAVES = ("T1", "T2", "T3")
_ARMS = ("control", "intervention")
_EFFECT = np.array([[0.0, 0.5, 0.5], [0.0, 3.0, 4.0]])


def _chunk(first_id: int, n: int, rng: np.random.Generator) -> pa.Table:
    arm = rng.integers(0, 2, n).astype(np.int8)
    u = rng.normal(0.0, 7.0, n)
    has_t2 = rng.random(n) < 0.80
    has_t3 = has_t2 & (rng.random(n) < 0.875)
    present = np.stack([np.ones(n, dtype=bool), has_t2, has_t3], axis=1)  # (n, 3)
    pid, wave = np.nonzero(present)  # row-major: sorted by participant, then wave
    mean = 45.0 + u[pid] + _EFFECT[arm[pid], wave]
    score = np.clip(np.round(mean + rng.normal(0.0, 5.0, pid.shape[0])), 14.0, 70.0)
    return pa.table(
        {
            "participant_id": pa.array(pid.astype(np.int64) + first_id),
            "wave": pa.DictionaryArray.from_arrays(
                pa.array(wave.astype(np.int8)), pa.array(_WAVES)
            ),
            "arm": pa.DictionaryArray.from_arrays(pa.array(arm[pid]), pa.array(_ARMS)),
            "wemwbs": pa.array(score),
        }
    )


def write_scores(
    out: str | Path, participants: int, *, seed: int = 1, chunk: int = DEFAULT_CHUNK
) -> list[Path]:
    """Write *participants* x 3 waves of synthetic WEMWBS scores to Parquet files in *out*.

    Parameters
    ----------
    out
        Folder to write ``part-00000.parquet``, ... into (created if needed; existing part
        files are an error so that two cohorts are never mixed).
    participants
        Number of participants (ids 1..N).
    seed
        Seed of the random streams.
    chunk
        Participants per file; memory use is proportional to it.

    Returns
    -------
    list of Path
        The files written, in participant order.

    Raises
    ------
    PlanError
        A non-positive number of participants or chunk size, or *out* already holding parts.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> with tempfile.TemporaryDirectory() as d:
    ...     files = write_scores(d, 10, chunk=4)
    ...     df = pd.concat([pd.read_parquet(f) for f in files])
    >>> len(files), df["participant_id"].nunique(), list(df.columns)
    (3, 10, ['participant_id', 'wave', 'arm', 'wemwbs'])
    """
    for name, value in (("participants", participants), ("chunk", chunk)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise PlanError(f"{name} must be a positive whole number", value=value)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.glob("part-*.parquet")):
        raise PlanError(
            f"{folder} already holds part-*.parquet files; choose an empty folder", file=str(out)
        )
    files: list[Path] = []
    for k, start in enumerate(range(0, int(participants), int(chunk))):
        n = min(int(chunk), int(participants) - start)
        table = _chunk(start + 1, n, np.random.default_rng([seed, k]))
        path = folder / f"part-{k:05d}.parquet"
        pq.write_table(table, path, row_group_size=1 << 20)
        files.append(path)
    return files
