"""Evaluation runs on the live database: the same pipeline as ``linkwork evaluate``."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from linkwork.evaluation import evaluate
from linkwork.web.export import export_long
from linkwork.web.models import Site

__all__ = ["run_dir", "run_evaluation", "runs"]

_RUN = re.compile(r"^\d{8}T\d{6}-[0-9a-f]{8}$")


def _scope(site: Site | None) -> Path:
    return Path(settings.DATA_DIR) / "evaluations" / (site.code if site else "_all")


def run_evaluation(site: Site | None = None) -> Path:
    """Export the long data (of *site*, or every site), evaluate it and write the outputs.

    Writes ``long.csv`` and everything :meth:`linkwork.evaluation.Evaluation.write` writes
    into a new folder under ``DATA_DIR/evaluations/<site>/`` and returns it.
    """
    frame = export_long(site)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S")
    out = _scope(site) / f"{stamp}-{secrets.token_hex(4)}"
    out.mkdir(parents=True)
    frame.to_csv(out / "long.csv", index=False)
    evaluate(frame).write(out)
    return out


def runs(site: Site | None) -> list[str]:
    """Run identifiers visible in *site*'s scope, newest first."""
    scope = _scope(site)
    if not scope.is_dir():
        return []
    return sorted((p.name for p in scope.iterdir() if _RUN.match(p.name)), reverse=True)


def run_dir(site: Site | None, run: str) -> Path | None:
    """The folder of run *run* in *site*'s scope, or ``None`` when it is not one."""
    if not _RUN.match(run):
        return None
    path = _scope(site) / run
    return path if path.is_dir() else None
