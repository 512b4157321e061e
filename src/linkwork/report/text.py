"""The plain-language summary, generated from the evaluation's tables.

Wording rules (stated in the report itself):

- Size: Cohen's (1988) conventions for a standardised difference d: below 0.2 "very small",
  from 0.2 "small", from 0.5 "moderate", from 0.8 "large".
- Certainty: a change is called clear only when its multiplicity-adjusted p value (Holm by
  default) is below alpha *and* its 95% CI of d excludes zero; otherwise the text says there
  was no clear change and gives the range of changes the CI is compatible with.
- Direction: whether a fall is an improvement comes from the outcome's direction in the plan
  ("higher is better" or "higher is worse").
- The text never attributes change to the programme: without a randomised comparison group
  it cannot, and the summary says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from linkwork.report._format import fmt_df, fmt_int, fmt_num, fmt_p_is, fmt_r, is_missing
from linkwork.report._source import ALL_DATA, COMPLETERS, OutcomeInfo, ReportInput
from linkwork.report.models import predictor_title, status_of
from linkwork.report.tables import rows_of

__all__ = [
    "THRESHOLDS",
    "Summary",
    "SummaryItem",
    "build_summary",
    "change_sentence",
    "magnitude",
]

#: Lower bounds of Cohen's (1988) size labels for |d|, largest first.
THRESHOLDS: tuple[tuple[float, str], ...] = (
    (0.8, "large"),
    (0.5, "moderate"),
    (0.2, "small"),
    (0.0, "very small"),
)


@dataclass(frozen=True, slots=True)
class SummaryItem:
    """One bullet: a bold lead (the outcome) and the sentence(s) about it."""

    lead: str
    text: str


@dataclass(frozen=True, slots=True)
class Summary:
    """The plain-language summary's paragraphs and bullets."""

    intro: list[str]
    changes: list[SummaryItem]
    relationships: list[str]
    cautions: list[str]
    reading: list[str] = field(default_factory=list)


def magnitude(d: float) -> str:
    """Cohen's size label for a standardised difference, judged on |d| rounded to 2 decimals.

    The rounding makes the label agree with the d printed beside it (0.7996 prints as 0.80
    and is called large).

    Examples
    --------
    >>> magnitude(-1.1), magnitude(0.5), magnitude(0.49), magnitude(-0.05), magnitude(0.7996)
    ('large', 'moderate', 'small', 'very small', 'large')
    """
    size = round(abs(float(d)), 2)
    for bound, label in THRESHOLDS:
        if size >= bound:
            return label
    return THRESHOLDS[-1][1]  # pragma: no cover - the last bound is 0


def _d_text(d: float, low: float, high: float) -> str:
    return f"d = {fmt_num(d)}, 95% CI {fmt_num(low)} to {fmt_num(high)}"


def _movement(d: float) -> str:
    return "fall" if d < 0 else "rise"


def change_sentence(
    d: float,
    low: float,
    high: float,
    p_adjusted: float,
    *,
    alpha: float = 0.05,
    higher_is_better: bool | None = None,
    adjust: str = "Holm",
) -> str:
    """Describe one change in words, conservatively (see the module notes for the rules).

    Examples
    --------
    >>> change_sentence(-1.1, -1.4, -0.85, 0.0001, higher_is_better=False)
    'fell by a large amount, an improvement (d = −1.10, 95% CI −1.40 to −0.85)'
    >>> text = change_sentence(-0.65, -1.03, -0.27, 0.004, higher_is_better=False)
    >>> text.split(" (")[0], text.split(": ")[1]
    ('fell by a moderate amount, an improvement', 'between a small and a large fall)')
    >>> text = change_sentence(0.1, -0.25, 0.44, 0.6, higher_is_better=True)
    >>> text.split(" (")[0], text.split(": ")[1]
    ('showed no clear change', 'anything from a small fall to a small rise)')
    """
    d_text = _d_text(d, low, high)
    if p_adjusted < alpha and (low > 0 or high < 0):
        verb = "fell" if d < 0 else "rose"
        text = f"{verb} by a {magnitude(d)} amount"
        if higher_is_better is not None:
            good = (d > 0) == higher_is_better
            text += ", an improvement" if good else ", a deterioration"
        near, far = sorted((abs(low), abs(high)))
        if magnitude(near) != magnitude(far):
            d_text += f": between a {magnitude(near)} and a {magnitude(far)} {_movement(d)}"
        return f"{text} ({d_text})"
    if low < 0 < high:
        return (
            f"showed no clear change ({d_text}: anything from a {magnitude(low)} fall to a "
            f"{magnitude(high)} rise)"
        )
    return (
        f"showed no clear change once the number of comparisons is allowed for ({d_text}; "
        f"{fmt_p_is(p_adjusted, f'p ({adjust})')})"
    )


def _contrast(frame: pd.DataFrame, later: str, earlier: str) -> dict[str, float] | None:
    """Estimate, d and CI of *later* minus *earlier*, whichever way the table labels it."""
    for label, sign in ((f"{later} - {earlier}", 1.0), (f"{earlier} - {later}", -1.0)):
        match = rows_of(frame, contrast=label)
        if not match.empty:
            r = match.iloc[0]
            low, high = sign * float(r["d_conf_low"]), sign * float(r["d_conf_high"])
            return {
                "d": sign * float(r["d"]),
                "low": min(low, high),
                "high": max(low, high),
                "p": float(r["p_adjusted"]),
            }
    return None


def _verdict(c: dict[str, float] | None, alpha: float) -> str:
    if c is None:
        return "none"
    if c["p"] < alpha and (c["low"] > 0 or c["high"] < 0):
        return "rise" if c["d"] > 0 else "fall"
    return "unclear"


def _outcome_item(inp: ReportInput, info: OutcomeInfo, adjust: str) -> SummaryItem:
    ok, reason = status_of(inp, info.name)
    if not ok:
        return SummaryItem(info.title, f"could not be estimated ({reason or 'not estimable'}).")
    frame = rows_of(inp.table("contrasts"), outcome=info.name, model=ALL_DATA)
    arms: list[Any] = [None]
    if "arm" in frame.columns and frame["arm"].notna().any():
        arms = list(frame["arm"].drop_duplicates())
    sentences = []
    if arms != [None]:
        sentences.append(_interaction_sentence(inp, info))
    follow_up = [w for w in inp.observed_waves or inp.waves if w != inp.baseline][::-1]
    if arms != [None]:
        follow_up = follow_up[:1]  # per arm, the last wave only: the detail is in section 5
    for arm in arms:
        part = frame if arm is None else rows_of(frame, arm=arm)
        phrases: list[str] = []
        for wave in follow_up:
            c = _contrast(part, wave, inp.baseline)
            if c is None:
                continue
            text = change_sentence(
                c["d"],
                c["low"],
                c["high"],
                c["p"],
                alpha=inp.alpha,
                higher_is_better=info.higher_is_better,
                adjust=adjust,
            )
            since = f"compared with {inp.wave_label(inp.baseline)}, " if not phrases else ""
            phrases.append(f"{since}by {inp.wave_label(wave)} it {text}")
        if not phrases:
            continue
        if arm is None:
            sentences.append(". ".join(p[:1].upper() + p[1:] for p in phrases) + ".")
        else:
            sentences.append(f"In the {arm} arm: " + "; ".join(phrases) + ".")
    if not sentences:
        sentences.append("No comparison of waves is available.")
    return SummaryItem(info.title, " ".join(sentences))


def _interaction_sentence(inp: ReportInput, info: OutcomeInfo) -> str:
    frame = rows_of(inp.table("anova"), outcome=info.name, model=ALL_DATA)
    inter = frame[frame["term"].astype("string").str.contains(":", regex=False)]
    if inter.empty:
        return "No test of whether change differed between arms is available."
    r = inter.iloc[0]
    test = (
        f"F({fmt_df(r['num_df'])}, {fmt_df(r['den_df'])}) = {fmt_num(r['F'])}, "
        f"{fmt_p_is(r['p_value'])}"
    )
    if float(r["p_value"]) < inp.alpha:
        return f"Change over time differed between arms ({test})."
    return f"There was no clear evidence that change over time differed between arms ({test})."


def _enrolled(inp: ReportInput) -> float | None:
    flow = inp.table("flow")
    if not flow.empty:
        first = flow.iloc[0]
        if not is_missing(first.get("n")):
            return float(first["n"])
    n = inp.get("n_participants")
    return None if n is None else float(n)


def _seen_at(inp: ReportInput, wave: str) -> float | None:
    flow = inp.table("flow")
    if flow.empty or "wave" not in flow.columns:
        return None
    rows = flow[(flow["wave"].astype("string") == wave)]
    rows = rows[~rows["stage"].astype("string").str.lower().str.startswith("analys")]
    return None if rows.empty else float(rows.iloc[0]["n"])


def _attrition_sentences(inp: ReportInput) -> list[str]:
    out = []
    enrolled, last = _enrolled(inp), inp.last_wave or None
    seen = _seen_at(inp, last) if last else None
    if enrolled and seen is not None and last != inp.baseline:
        lost = enrolled - seen
        out.append(
            f"People were lost to follow-up: of {fmt_int(enrolled)} enrolled, {fmt_int(lost)} "
            f"({fmt_num(100 * lost / enrolled, 0)}%) did not answer the questionnaire at "
            f"{inp.wave_label(last)}. The main models use everyone's available answers and "
            "assume that, given their earlier answers, those who left are like those who stayed "
            "(missing at random); the data cannot confirm this."
        )
    attrition = inp.table("attrition")
    if not attrition.empty and attrition["smd"].notna().any():
        sizes = attrition["smd"].abs().to_numpy(dtype=float, na_value=np.nan)
        r = attrition.iloc[int(np.nanargmax(sizes))]
        name = inp.title_of(str(r["variable"]))
        if not is_missing(r.get("level")):
            name = f"{name} ({r['level']})"
        size = abs(float(r["smd"]))
        if size >= 0.2:
            out.append(
                "Those who completed differed from those who did not at baseline: the largest "
                f"difference was in {name} (standardised difference {fmt_num(r['smd'])}), so "
                "the completers are not a random subset of those who started."
            )
        else:
            out.append(
                "At baseline, completers and non-completers were similar on the measures "
                f"compared (all standardised differences below 0.2; largest {name}, "
                f"{fmt_num(r['smd'])}), but they may differ in ways not measured."
            )
    differ = []
    for info in inp.outcomes:
        if not (status_of(inp, info.name)[0] and status_of(inp, info.name, COMPLETERS)[0]):
            continue
        last_wave = inp.last_wave
        verdicts = []
        for model in (ALL_DATA, COMPLETERS):
            frame = rows_of(inp.table("contrasts"), outcome=info.name, model=model)
            if "arm" in frame.columns and frame["arm"].notna().any():
                frame = frame[frame["arm"] == frame["arm"].dropna().iloc[0]]
            verdicts.append(_verdict(_contrast(frame, last_wave, inp.baseline), inp.alpha))
        if "none" not in verdicts and verdicts[0] != verdicts[1]:
            differ.append(info.title)
    if differ:
        out.append(
            "Analysing only the people who completed every wave changed the conclusion for: "
            + ", ".join(differ)
            + " (see the sensitivity analysis); treat these results with extra caution."
        )
    elif (
        not inp.table("contrasts").empty
        and (inp.table("contrasts")["model"].astype("string") == COMPLETERS).any()
    ):
        out.append(
            "Analysing only the people who completed every wave led to the same conclusions "
            "(see the sensitivity analysis)."
        )
    return out


def _correlation_item(inp: ReportInput, r: pd.Series, column: str, label: str) -> str:
    info = inp.outcome(str(r["outcome"]))
    sign = 1 if info.higher_is_better is not False else -1
    better = float(r["r"]) * sign > 0
    if r["target"] == "change":
        what = f"{'more' if better else 'less'} improvement in {info.title}"
    else:
        last = inp.wave_label(inp.last_wave) if inp.last_wave else "the last wave"
        what = f"{'better' if better else 'worse'} {info.title} scores at {last}"
    return (
        f"higher “{predictor_title(inp, str(r['predictor']))}” scores went with {what} "
        f"(r = {fmt_r(r['r'])}, 95% CI {fmt_r(r['conf_low'])} to "
        f"{fmt_r(r['conf_high'])}; {fmt_p_is(r[column], label)})"
    )


def _relationship_sentences(inp: ReportInput) -> list[str]:
    frame = rows_of(inp.table("correlations"), method="pearson")
    if frame.empty:
        return []
    total = len(frame)
    out = []
    for pwave in frame["predictor_wave"].drop_duplicates():
        part = frame[frame["predictor_wave"] == pwave].sort_values("p_value")
        lead = f"Relationship scores measured at {inp.wave_label(pwave)}: "
        holm = part[part["p_holm"] < inp.alpha]
        fdr = part[part["p_fdr"] < inp.alpha]
        if not holm.empty:
            items = [
                _correlation_item(inp, r, "p_holm", "p (Holm)") for _, r in holm.head(4).iterrows()
            ]
            more = f" and {len(holm) - 4} more" if len(holm) > 4 else ""
            out.append(
                lead + f"{len(holm)} of {len(part)} correlations were clear after Holm adjustment "
                f"over all {total} Pearson correlations: " + "; ".join(items) + more + "."
            )
        elif not fdr.empty:
            items = [
                _correlation_item(inp, r, "p_fdr", "p (FDR)") for _, r in fdr.head(4).iterrows()
            ]
            more = f" and {len(fdr) - 4} more" if len(fdr) > 4 else ""
            out.append(
                lead + f"none of the {len(part)} correlations was clear after the strict Holm "
                f"adjustment over all {total} Pearson correlations, but {len(fdr)} passed the "
                "less strict false-discovery-rate control, which allows a few false findings: "
                + "; ".join(items)
                + more
                + "."
            )
        else:
            biggest = float(part["r"].abs().max())
            raw = int((part["p_value"] < inp.alpha).sum())
            out.append(
                lead + f"no correlation with the outcomes was clear after adjustment for the "
                f"{total} Pearson correlations tested (largest |r| = {fmt_r(biggest)}). Before "
                f"adjustment, {raw} of {len(part)} had p below {fmt_num(inp.alpha)}"
                + ("; treat these as leads for further study, not findings." if raw else ".")
            )
    out.append("Correlations show associations between people's answers, not causes.")
    return out


def _groups_item(inp: ReportInput) -> SummaryItem | None:
    frame = inp.table("groups")
    summary = rows_of(frame, kind="summary")
    if summary.empty:
        return None
    medians = ", ".join(
        f"{fmt_num(r['median'], 1)} at {inp.wave_label(r['wave'])}" for _, r in summary.iterrows()
    )
    text = f"the median number of meaningful groups was {medians}."
    friedman = rows_of(frame, kind="friedman")
    if not friedman.empty:
        r = friedman.iloc[0]
        verdict = "changed clearly" if float(r["p_value"]) < inp.alpha else "showed no clear change"
        text += (
            f" Among the {fmt_int(r['n'])} people with every wave it {verdict} "
            f"(Friedman test, {fmt_p_is(r['p_value'])})."
        )
    return SummaryItem(inp.title_of("groups"), text)


def build_summary(inp: ReportInput) -> Summary:
    """The plain-language summary of the whole evaluation."""
    adjust = str(inp.get("adjust", default="holm")).capitalize()
    enrolled = _enrolled(inp)
    waves = ", ".join(inp.wave_label(w) for w in inp.waves)
    intro = [
        f"This report describes the {fmt_int(enrolled) + ' ' if enrolled else ''}people "
        f"enrolled, with questionnaires at {waves or 'the recorded waves'}. It shows how their "
        "answers changed over time and how sure we can be about those changes."
    ]
    changes = [_outcome_item(inp, info, adjust) for info in inp.outcomes]
    groups = _groups_item(inp)
    if groups is not None:
        changes.append(groups)
    cautions = []
    if len(inp.observed_waves) < 2:
        cautions.append(
            "Only one wave of questionnaires is available, so nothing can be said yet about "
            "change over time."
        )
    elif inp.arm is None:
        cautions.append(
            "There was no comparison group of similar people who did not take part, so these "
            "changes cannot be attributed to the programme: loneliness and distress often ease "
            "over time anyway (people are often referred at a low point and tend to recover "
            "towards their usual level)."
        )
    else:
        cautions.append(
            "Differences between the arms show the programme's effect only as far as the arms "
            "were comparable at the start; unless people were randomly allocated, they may "
            "reflect who was in each arm rather than the programme."
        )
    cautions += _attrition_sentences(inp)
    estimated = sum(status_of(inp, info.name)[0] for info in inp.outcomes)
    if estimated > 1:
        cautions.append(
            f"{estimated} outcomes were analysed; with several outcomes, a clear result "
            "for one of them can arise by chance, so look at the pattern, not a single result."
        )
    reading = [
        "Sizes of change are standardised differences d: the change in baseline standard "
        "deviations. By Cohen's conventions, d of 0.2 is small, 0.5 moderate and 0.8 large "
        "(below 0.2: very small); the sign gives the direction of the change in the score.",
        f"A change is called clear when its {adjust}-adjusted p value is below "
        f"{fmt_num(inp.alpha)} and its 95% confidence interval (CI) excludes zero. The CI is the "
        "range of true changes the data are compatible with.",
    ]
    return Summary(intro, changes, _relationship_sentences(inp), cautions, reading)
