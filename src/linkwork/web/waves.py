"""The wave schedule, computed per participant from the enrolment date (no statistics)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["WaveDue", "schedule"]


@dataclass(frozen=True, slots=True)
class WaveDue:
    """One wave for one participant.

    ``status``: ``done`` (something recorded), ``upcoming`` (window not open), ``due`` (window
    open, target date not passed), ``overdue`` (past the target, window still open) or
    ``missed`` (window closed, nothing recorded).
    """

    label: str
    target: dt.date
    opens: dt.date
    closes: dt.date
    status: str


def schedule(
    enrolled_on: dt.date,
    today: dt.date,
    done: Iterable[str] = (),
    waves: list[dict[str, Any]] | None = None,
) -> list[WaveDue]:
    """Each configured wave's dates and status for a participant enrolled on *enrolled_on*.

    *waves* defaults to the ``LINKWORK_WAVES`` setting: ``label``, ``offset_days`` and the window
    ``before``/``after`` the target in days.

    Examples
    --------
    >>> w = [{"label": "T1", "offset_days": 0, "before": 0, "after": 14},
    ...      {"label": "T2", "offset_days": 56, "before": 14, "after": 14}]
    >>> [(x.label, x.status) for x in schedule(dt.date(2024, 1, 1), dt.date(2024, 2, 20),
    ...                                          ["T1"], w)]
    [('T1', 'done'), ('T2', 'due')]
    """
    if waves is None:
        from django.conf import settings

        waves = settings.LINKWORK_WAVES
    finished = set(done)
    out = []
    for wave in waves:
        target = enrolled_on + dt.timedelta(days=int(wave["offset_days"]))
        opens = target - dt.timedelta(days=int(wave["before"]))
        closes = target + dt.timedelta(days=int(wave["after"]))
        if wave["label"] in finished:
            status = "done"
        elif today < opens:
            status = "upcoming"
        elif today <= target:
            status = "due"
        elif today <= closes:
            status = "overdue"
        else:
            status = "missed"
        out.append(WaveDue(wave["label"], target, opens, closes, status))
    return out
