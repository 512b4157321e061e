"""linkwork.stats.lmer against R on fresh random designs, drawn anew on every run.

Each run draws three designs from a random seed (printed in every failure message; set
``LINKWORK_LIVE_SEED`` to replay one): a random-intercept wave x arm model with random
missingness, a correlated random-slopes model, and either a nested ``(1 | site/id)`` or an
uncorrelated ``(t || id)`` model. linkwork fits them first; then one Rscript run fits them with
lme4 1.1-31 / lmerTest 3.1-3 / emmeans 1.8.4 through the same functions as the stored reference
(tests/reference/lmm_functions.R) and evaluates lme4's deviance function at linkwork's theta,
so the likelihoods are compared at the same theta; where lme4's criterion is lower there
than at any optimum lme4 found, R refits from linkwork's theta and compares with that fit. A
failing draw can be kept as a stored regression design (``REPLAYS`` in
tests/reference/make_designs.py). Tolerances are those of the stored comparison
(tests/reference/lmm_compare.py, lmm_checks.py).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.reference import lmm_checks as C
from tests.reference import lmm_simulate as D

REFERENCE = Path(__file__).resolve().parents[1] / "reference"


@pytest.mark.r
def test_random_designs_match_r(rscript: str, tmp_path: Path) -> None:
    from linkwork.stats import lmer

    seed = int(os.environ.get("LINKWORK_LIVE_SEED", secrets.randbits(32)))
    where = f"seed={seed} (replay: LINKWORK_LIVE_SEED={seed})"
    rng = np.random.default_rng(seed)
    fits: dict[str, Any] = {}
    entries = []
    for entry, sim in D.draw_live_designs(rng):
        frame = D.simulate(rng, sim)
        D.write_csv(frame, tmp_path / entry["data"])
        data = C.read_design_data(entry, tmp_path)
        fits[entry["name"]] = (lmer(entry["formula"], data, REML=True), data)
        # lme4's deviance function is also evaluated at linkwork's theta.
        entry["devfun_at"] = [[float(v) for v in fits[entry["name"]][0].theta]]
        entries.append(entry)
    manifest = tmp_path / "designs.json"
    manifest.write_text(json.dumps({"designs": entries}), encoding="utf-8")

    script = REFERENCE / "make_reference.R"
    out = tmp_path / "results"
    run = subprocess.run(
        [rscript, str(script), "--manifest", str(manifest), "--out", str(out), "--lean"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert run.returncode == 0, f"{where}: R failed\n{run.stderr[-3000:]}"

    failures = []
    for entry in entries:
        name = entry["name"]
        fit, data = fits[name]
        result = C.load_result(name, out)
        cmp = C.Comparison(name, where)
        cmp.equal("data md5 (R vs pandas)", "", C.data_md5(data), result["data"]["md5"])
        C.compare_fit(cmp, fit, result["tight"])
        if result["tight_start"] == "lme4's default start":
            C.compare_varcomp(cmp, fit, result["default"], slack=C.default_slack(result))
        # Otherwise lme4's own deviance function is lower at linkwork's theta than at any
        # optimum lme4 found from its default start: its default fit is a different (local)
        # optimum, R refitted from linkwork's theta, and everything is compared with that.
        C.compare_criterion(cmp, fit, result)
        at_ours = next(p for p in result["devfun"] if p["label"] == "requested 1")
        cmp.close(
            "criterion at linkwork's theta vs lme4 devfun there",
            "",
            fit.reml_criterion,
            at_ours["value"],
            C.Tol(C.CRITERION),
        )
        for emm in result["tight"]["emmeans"]:
            C.compare_emmeans(cmp, fit, emm)
        for pair in result.get("lrt", []):
            m0 = lmer(pair["m0"], data, REML=True)
            m1 = lmer(pair["m1"], data, REML=True)
            C.compare_lrt(cmp, m1.anova(m0), pair["tight"], "lrt")
        try:
            cmp.check()
        except AssertionError as error:
            failures.append(str(error))
    assert not failures, "\n\n".join(failures)
