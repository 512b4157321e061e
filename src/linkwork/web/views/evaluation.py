"""Evaluators' pages: run the evaluation on the live database, download the outputs."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from linkwork.errors import LinkworkError
from linkwork.web.access import role_required, site_of
from linkwork.web.reports import run_dir, run_evaluation, runs

__all__ = ["evaluation", "evaluation_file"]

#: Files of a run that may be downloaded, with their content types.
FILES = {
    "report.html": "text/html; charset=utf-8",
    "long.csv": "text/csv; charset=utf-8",
    "results.json": "application/json",
}


@role_required("evaluator", "admin")
def evaluation(request: HttpRequest) -> HttpResponse:
    """List runs in the user's scope (their site, or all sites); POST starts a new run."""
    site = site_of(request.user)
    if request.method == "POST":
        try:
            out = run_evaluation(site)
        except LinkworkError as error:
            messages.error(request, f"The evaluation could not run: {error}")
        else:
            messages.success(request, f"Evaluation {out.name} finished.")
        return redirect("evaluation")
    context = {"runs": runs(site), "files": list(FILES), "site": site}
    return render(request, "web/evaluation.html", context)


@role_required("evaluator", "admin")
def evaluation_file(request: HttpRequest, run: str, name: str) -> FileResponse:
    """Download one output of a run in the user's scope."""
    folder = run_dir(site_of(request.user), run)
    if folder is None or name not in FILES or not (folder / name).is_file():
        raise Http404("no such output")
    return FileResponse(
        (folder / name).open("rb"),
        as_attachment=name != "report.html",
        filename=name,
        content_type=FILES[name],
    )
