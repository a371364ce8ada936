"""Outsider attacks on rni's published metrics (`metrics/metric_values.csv`).

Black-box statistical-disclosure audit.  Everything here is derived from the
published data dictionary (`data-dictionary.md`, "Published metrics" and
"Disclosure control") and PRODUCT.md sections 6 and 7, never from rni's source.

Every attack is a function ``attack(rows) -> list[Finding]`` taking the
published rows of ONE build (dicts with the CSV's columns, strings or ints).
Ground truth (`restricted/metric_values_exact.csv`) is never an input of an
attack; ``check_finding`` and ``model_violations`` use it only to score and to
check that the attacker's assumptions hold (an interval that misses the true
value means the attack is wrong, not that it found something).

A finding is one of:

* ``subtraction``, ``rounding``, ``shared_denominator``, ``combined``: a
  suppressed authority-level cell whose tightest interval holds fewer than
  ``MIN_VALUES`` (3) integers;
* ``all_ratio``: an exact programme-wide (ALL) numerator or denominator
  recovered from an ALL percentage and its rounded numerator/denominator;
* ``complement``: an authority-level percentage published with
  1 <= denominator - numerator <= 5.

What the attacker assumes (all read in the dictionary / PRODUCT.md):

* authority-level counts of 0 are published, so a suppressed count is >= 1;
  a suppressed percentage may hide a numerator of 0 (it can be suppressed for
  its denominator), its denominator is >= 1 (a zero denominator is ``z``);
* ``ALL`` counts, numerators and denominators are the sum over authorities,
  rounded to the nearest 10 (halves up): exact sum in [R-5, R+4];
  an ``ALL`` percentage is suppressed when its rounded denominator is 0
  (exact denominator sum <= 4); an ``ALL`` median is suppressed over 1 to 5 gaps;
* contexts_identified / contexts_assessed (by context type) and
  panel_meetings (by panel type) have one type per record: the breakdown
  cells add up to the total;
* episodes_started by harm type is multi-valued (an episode with two harm
  types counts in each): every cell <= total, and, harm_types being
  required, the cells add up to at least the total;
* pct_contextual_assessment, pct_context_safety_plan,
  pct_child_protection_plan, pct_relocated, pct_rereferral_12m have
  "episodes started" (episodes_started total) as denominator;
  pct_parents_engaged's denominator is a subset of it; plan_type is one code,
  so the CONTEXT_SAFETY and CHILD_PROTECTION numerators add to <= it;
* pct_contexts_improved's denominator <= contexts_assessed total,
  contexts_with_intervention <= contexts_identified total,
  panel_meetings_contextual_lens <= panel_meetings total;
* numerator <= denominator for every percentage;
* median_days_between_reviews publishes the number of gaps as denominator
  (a count: summed into ALL, suppressed ones >= 1);
* an ``x`` figure is unknown (>= 0) and may or may not be in the ALL sum.

A suppressed ALL rate is read as "rounded denominator 0" and a suppressed ALL
median as "1 to 5 gaps" (the documented reasons); ``trust_all_c=False`` drops
that reading, for a tool that may also hide ALL figures as secondary
suppression (the test falls back to it when the exact figures show it).

``all_ratio_attack`` first tests whether the ALL percentages are worked out
from the rounded figures (as documented): when every published ALL value
equals 100 x rounded numerator / rounded denominator it assumes so and the
value tells nothing more; one value that does not match shows the tool uses
the exact figures, and then every ALL value pins (n, d).

``combined_attack(rows, policy_aware=True)`` is a stronger, optional attacker
who also trusts the OLD documented suppression rule (a suppressed figure is 1
to 5 unless the rule's one kind of secondary suppression can have hidden it;
a suppressed rate has a numerator or denominator of 1 to 5).  Its findings are
reported, not failed on, because a policy with wider secondary suppression
breaks its assumptions (``model_violations(..., policy_aware=True)`` says so).
"""

from __future__ import annotations

import csv
import math
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

MIN_VALUES = 3  # a suppressed cell must keep at least this many possible values
BIG = 10**6  # stands for "no upper bound" in the integer programs
# "0 stays 0": a suppressed count is at least this (override if a policy ever hides zeros)
SUPPRESSED_MIN = int(os.environ.get("RNI_ATTACK_SUPPRESSED_MIN", "1"))
# ALL figures are rounded to the nearest 10, halves up: exact in [R - 5, R + 4]
ROUND_BELOW, ROUND_ABOVE = 5, 4

COUNT_METRICS = {
    "young_people_reached",
    "episodes_started",
    "contexts_identified",
    "contexts_assessed",
    "contexts_with_intervention",
    "panel_meetings",
    "panel_meetings_contextual_lens",
    "practitioners_trained",
    "policy_documents_cs",
}
PCT_METRICS = {
    "pct_contextual_assessment",
    "pct_context_safety_plan",
    "pct_child_protection_plan",
    "pct_relocated",
    "pct_parents_engaged",
    "pct_rereferral_12m",
    "pct_risk_reduced",
    "pct_contexts_improved",
}
MEDIAN_METRICS = {"median_days_between_reviews"}
ATTACKED = COUNT_METRICS | PCT_METRICS | MEDIAN_METRICS

# breakdowns with one code per record: cells add up to the total
SINGLE_BREAKDOWNS = {
    "contexts_identified": {"LOCATION", "PEER_GROUP", "SCHOOL", "ONLINE", "OTHER"},
    "contexts_assessed": {"LOCATION", "PEER_GROUP", "SCHOOL", "ONLINE", "OTHER"},
    "panel_meetings": {"STRATEGIC", "OPERATIONAL", "MACE", "OTHER"},
}
# breakdowns where a record may count in several cells: cells >= total in sum
MULTI_BREAKDOWNS = {"episodes_started"}
# percentages whose denominator is exactly episodes_started (total)
EPS_DEN = {
    "pct_contextual_assessment",
    "pct_context_safety_plan",
    "pct_child_protection_plan",
    "pct_relocated",
    "pct_rereferral_12m",
}
# (smaller, larger): the first is a subset of the second
SUBSETS = [
    (("den", "pct_parents_engaged", ""), ("count", "episodes_started", "")),
    (("den", "pct_contexts_improved", ""), ("count", "contexts_assessed", "")),
    (("count", "contexts_with_intervention", ""), ("count", "contexts_identified", "")),
    (("count", "panel_meetings_contextual_lens", ""), ("count", "panel_meetings", "")),
]
# numerators of exclusive categories over the same episodes
EXCLUSIVE = [(("num", "pct_context_safety_plan", ""), ("num", "pct_child_protection_plan", ""), ("count", "episodes_started", ""))]


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class Row:
    metric: str
    authority: str
    period: str
    breakdown: str
    numerator: int | None
    denominator: int | None
    value: float | None
    value_text: str
    status: str


def _int(v):
    if v is None or v == "":
        return None
    return int(float(v))


def normalise(rows) -> list[Row]:
    """Rows of the published CSV (dicts of strings, or Row) -> Row, attacked metrics only."""
    out = []
    for r in rows:
        if isinstance(r, Row):
            out.append(r)
            continue
        metric = r["metric"]
        code = r["authority_code"]
        if metric not in ATTACKED or code.startswith("SN:") or code.startswith("E92"):
            continue
        v = r.get("value", "")
        out.append(
            Row(
                metric,
                code,
                str(r["period"]),
                r.get("breakdown") or "",
                _int(r.get("numerator")),
                _int(r.get("denominator")),
                None if v in (None, "") else float(v),
                "" if v is None else str(v),
                r.get("status") or "",
            )
        )
    return out


def read_metrics(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _index(rows: list[Row]):
    return {(r.metric, r.authority, r.period, r.breakdown): r for r in rows}


def _kind(metric):
    return "pct" if metric in PCT_METRICS else "median" if metric in MEDIAN_METRICS else "count"


def _cell_value(r: Row, fld: str):
    """The published integer of one field of a row, or None when hidden."""
    k = _kind(r.metric)
    if k == "count":
        if r.numerator is not None:
            return r.numerator
        return None if r.value is None else int(round(r.value))
    if k == "median":
        return r.denominator if fld in ("den", "gaps") else None
    return r.numerator if fld == "num" else r.denominator


def _value_tolerance(text: str) -> float:
    decimals = len(text.split(".")[1]) if "." in text else 0
    return 0.5 * 10.0 ** -max(2, decimals) + 1e-9


@dataclass
class Finding:
    kind: str
    metric: str
    authority: str
    period: str
    breakdown: str
    field: str  # "count", "num", "den", "gaps"
    lo: int | None = None
    hi: int | None = None
    detail: str = ""

    @property
    def key(self):
        return (self.metric, self.authority, self.period, self.breakdown, self.field)

    def __str__(self):
        where = f"{self.metric}[{self.breakdown}]" if self.breakdown else self.metric
        iv = f" in [{self.lo}, {self.hi}]" if self.lo is not None else ""
        return f"{self.kind}: {where} {self.authority} {self.period} {self.field}{iv} {self.detail}".rstrip()


def _narrow(lo, hi):
    return lo is not None and hi is not None and hi - lo + 1 < MIN_VALUES


def _hidden_fields(r: Row):
    """Suppressed cells of a row an attacker would like to know (authority level, status c)."""
    k = _kind(r.metric)
    if k == "count":
        return [("count", SUPPRESSED_MIN)] if _cell_value(r, "count") is None else []
    if k == "median":
        return [("gaps", SUPPRESSED_MIN)] if r.denominator is None else []
    out = []
    if r.numerator is None:
        out.append(("num", 0))
    # the denominator of an EPS_DEN percentage is episodes_started itself: its own cell there
    if r.denominator is None and r.metric not in EPS_DEN:
        out.append(("den", 1))
    return out


# --------------------------------------------------------------------------- attack 1: subtraction


def subtraction_attack(rows) -> list[Finding]:
    """Total minus published cells, all-ones (suppressed >= 1), within one authority's breakdown."""
    rows = normalise(rows)
    idx = _index(rows)
    groups = defaultdict(list)
    for r in rows:
        if r.authority != "ALL" and (r.metric in SINGLE_BREAKDOWNS or r.metric in MULTI_BREAKDOWNS) and r.breakdown:
            groups[(r.metric, r.authority, r.period)].append(r)
    findings = []
    for (metric, auth, period), cells in groups.items():
        total_row = idx.get((metric, auth, period, ""))
        if total_row is None:
            continue
        total = _cell_value(total_row, "count")
        pub = [c for c in cells if _cell_value(c, "count") is not None]
        hid = [c for c in cells if _cell_value(c, "count") is None and c.status == "c"]
        unknown = [c for c in cells if _cell_value(c, "count") is None and c.status != "c"]
        s = sum(_cell_value(c, "count") for c in pub)
        single = metric in SINGLE_BREAKDOWNS
        complete = single and {c.breakdown for c in cells} >= SINGLE_BREAKDOWNS[metric]
        k = len(hid)
        if total is not None and k:
            rest = total - s
            for c in hid:
                if single:
                    # hidden cells (>= 1 each; unknown `x` cells >= 0) add up to total - s
                    # (at most that, if some category has no row)
                    lo = rest if (k == 1 and not unknown and complete) else SUPPRESSED_MIN
                    hi = rest - (k - 1) * SUPPRESSED_MIN
                    why = f"total {total}, published cells {s}, {k} suppressed"
                else:
                    # multi-valued: each cell <= total, the cells add up to >= total
                    lo = max(SUPPRESSED_MIN, rest) if (k == 1 and not unknown) else SUPPRESSED_MIN
                    hi = total
                    why = f"multi-valued: total {total}, published cells {s}"
                if _narrow(lo, hi):
                    findings.append(Finding("subtraction", metric, auth, period, c.breakdown, "count", lo, hi, why))
        if total is None and total_row.status == "c" and not hid and not unknown:
            if complete:
                lo = hi = s
            elif single:
                lo, hi = max(SUPPRESSED_MIN, s), None
            else:
                lo, hi = max([SUPPRESSED_MIN] + [_cell_value(c, "count") for c in pub]), s
            if _narrow(lo, hi):
                findings.append(Finding("subtraction", metric, auth, period, "", "count", lo, hi, "suppressed total, every cell published"))
    return findings


# --------------------------------------------------------------------------- attack 2: ALL ratio inversion


def _pairs(r: Row, exact_hypothesis: bool):
    """(n, d) exact ALL pairs consistent with a published ALL percentage."""
    rn, rd = r.numerator, r.denominator
    ns = range(max(0, rn - ROUND_BELOW), rn + ROUND_ABOVE + 1)
    ds = range(max(1, rd - ROUND_BELOW), rd + ROUND_ABOVE + 1)
    if not exact_hypothesis:
        return {(n, d) for n in ns for d in ds if n <= d}
    tol = _value_tolerance(r.value_text)
    return {(n, d) for n in ns for d in ds if n <= d and abs(100.0 * n / d - r.value) <= tol}


def all_values_from_exact(rows) -> bool:
    """Does some published ALL percentage contradict "computed from the rounded figures"?

    If one does, the tool computes ALL percentages from the exact figures (and
    every ALL value then carries information beyond its rounded parts)."""
    for r in normalise(rows):
        if r.authority == "ALL" and r.metric in PCT_METRICS and r.value is not None and r.numerator is not None and r.denominator:
            if abs(100.0 * r.numerator / r.denominator - r.value) > _value_tolerance(r.value_text):
                return True
    return False


def all_ratio_attack(rows) -> list[Finding]:
    """Exact ALL numerator/denominator from the value and the rounded numerator/denominator.

    Percentages over episodes started share one exact ALL denominator (and the
    ALL episodes_started total rounds from it): their candidate sets are intersected."""
    rows = normalise(rows)
    exact = all_values_from_exact(rows)
    if not exact:
        return []
    cands = {}
    for r in rows:
        if r.authority == "ALL" and r.metric in PCT_METRICS and r.value is not None and r.numerator is not None and r.denominator:
            cands[(r.metric, r.period)] = _pairs(r, True)
    idx = _index(rows)
    for period in {p for (_, p) in cands}:
        shared = [m for m in EPS_DEN if (m, period) in cands]
        ds = None
        for m in shared:
            d_m = {d for _, d in cands[(m, period)]}
            ds = d_m if ds is None else ds & d_m
        eps = idx.get(("episodes_started", "ALL", period, ""))
        if eps is not None and eps.numerator is not None and ds is not None:
            ds = {d for d in ds if eps.numerator - ROUND_BELOW <= d <= eps.numerator + ROUND_ABOVE}
        for m in shared:
            cands[(m, period)] = {(n, d) for n, d in cands[(m, period)] if d in ds}
    findings = []
    for (m, period), pairs in cands.items():
        ns = {n for n, _ in pairs}
        ds = {d for _, d in pairs}
        r = idx[(m, "ALL", period, "")]
        for fld, vals in (("num", ns), ("den", ds)):
            if len(vals) == 1:
                (v,) = vals
                findings.append(Finding("all_ratio", m, "ALL", period, "", fld, v, v, f"value {r.value_text} with rounded {r.numerator}/{r.denominator}: {len(pairs)} pair(s) {sorted(pairs)[:3]}"))
    return findings


# --------------------------------------------------------------------------- attack 3: rounding pinning


def _all_cells(rows: list[Row]):
    """(metric, period, breakdown, field) -> (ALL row, [(authority row, field)]) for additive figures."""
    idx = _index(rows)
    auths = sorted({r.authority for r in rows if r.authority != "ALL"})
    out = {}
    for r in rows:
        if r.authority != "ALL":
            continue
        k = _kind(r.metric)
        fields = ["count"] if k == "count" else ["gaps"] if k == "median" else ["num", "den"]
        for fld in fields:
            members = []
            for a in auths:
                ar = idx.get((r.metric, a, r.period, r.breakdown))
                members.append((a, ar))
            out[(r.metric, r.period, r.breakdown, fld)] = (r, members)
    return out


def _all_bounds(r: Row, fld: str, idx=None, trust_all_c: bool = True):
    """Bounds of the exact ALL sum behind one published ALL field (None if nothing known).

    An ALL rate or median that is not shown keeps its rounded figures (the data
    dictionary, Disclosure control, step 3), and those are used like any other.
    With ``trust_all_c``, a suppressed ALL rate or median with no figures at all
    (which the dictionary documents only as secondary suppression) is still
    taken to be suppressed for the old documented reasons (rounded denominator
    0; 1 to 5 gaps): this is an attacker guessing from the pattern, and is
    reported, not failed, by the test."""
    k = _kind(r.metric)
    v = _cell_value(r, fld)
    if v is not None:
        return max(0, v - ROUND_BELOW), v + ROUND_ABOVE
    if r.status == "c" and trust_all_c:
        if k == "pct":
            if r.metric in EPS_DEN and idx is not None:
                eps = idx.get(("episodes_started", "ALL", r.period, ""))
                if eps is not None and _cell_value(eps, "count"):
                    return None  # its rounded denominator is not 0: suppressed for another reason
            return 0, ROUND_ABOVE  # suppressed when the rounded denominator is 0 (numerator <= denominator)
        if k == "median":
            return 1, 5  # an ALL median over 1 to 5 gaps is suppressed
    return None


def rounding_attack(rows, trust_all_c: bool = True) -> list[Finding]:
    """ALL = round10(sum of authorities): bound a suppressed authority cell by the others."""
    rows = normalise(rows)
    idx = _index(rows)
    findings = []
    for (metric, period, bd, fld), (allrow, members) in _all_cells(rows).items():
        b = _all_bounds(allrow, fld, idx, trust_all_c)
        if b is None:
            continue
        lo_all, hi_all = b
        s = 0
        hidden = []  # (authority, lower bound, is a suppressed cell)
        for a, ar in members:
            if ar is None:  # no row for this authority: unknown contribution
                hidden.append((a, 0, False))
                continue
            v = _cell_value(ar, fld)
            if v is not None:
                s += v
                continue
            lb = (SUPPRESSED_MIN if fld in ("count", "gaps") else 1) if ar.status == "c" and fld != "num" else 0
            hidden.append((a, lb, ar.status == "c" and any(f == fld for f, _ in _hidden_fields(ar))))
        sum_lb = sum(h[1] for h in hidden)
        ubs = [hi_all - s - (sum_lb - h[1]) for h in hidden]
        for i, (a, lb, is_cell) in enumerate(hidden):
            if not is_cell:
                continue
            hi = ubs[i]
            lo = max(lb, lo_all - s - sum(u for j, u in enumerate(ubs) if j != i))
            if _narrow(lo, hi):
                shown = _cell_value(allrow, fld)
                findings.append(Finding("rounding", metric, a, period, bd, fld, lo, hi, f"ALL {shown if shown is not None else allrow.status} -> sum in [{lo_all}, {hi_all}], published others {s}, {len(hidden)} hidden"))
    return findings


# --------------------------------------------------------------------------- attack 4: complements


def complement_attack(rows) -> list[Finding]:
    """A published authority percentage whose denominator - numerator is 1 to 5."""
    findings = []
    for r in normalise(rows):
        if r.authority != "ALL" and r.metric in PCT_METRICS and r.numerator is not None and r.denominator is not None:
            c = r.denominator - r.numerator
            if 1 <= c <= 5:
                findings.append(Finding("complement", r.metric, r.authority, r.period, "", "complement", c, c, f"{r.numerator}/{r.denominator}"))
    return findings


# --------------------------------------------------------------------------- attack 5: shared denominators


def shared_denominator_attack(rows) -> list[Finding]:
    """A suppressed episodes_started total published as a percentage's denominator, and
    suppressed percentages whose (shared) denominator is known and leaves < 3 numerators."""
    rows = normalise(rows)
    idx = _index(rows)
    findings = []
    ap = {(r.authority, r.period) for r in rows if r.authority != "ALL"}
    for a, p in sorted(ap):
        eps = idx.get(("episodes_started", a, p, ""))
        known = {}
        for m in EPS_DEN:
            r = idx.get((m, a, p, ""))
            if r is not None and r.denominator is not None:
                known[m] = r.denominator
        eps_val = None if eps is None else _cell_value(eps, "count")
        dens = set(known.values())
        if eps is not None and eps_val is None and eps.status == "c" and dens:
            findings.append(Finding("shared_denominator", "episodes_started", a, p, "", "count", min(dens), max(dens), f"published as denominator of {sorted(known)}"))
        d = eps_val if eps_val is not None else (min(dens) if len(dens) == 1 else None)
        if d is None:
            continue
        for m in EPS_DEN:
            r = idx.get((m, a, p, ""))
            if r is not None and r.status == "c" and r.numerator is None and _narrow(0, d):
                findings.append(Finding("shared_denominator", m, a, p, "", "num", 0, d, f"denominator {d} known from a shared figure"))
    return findings


# --------------------------------------------------------------------------- attack 6: combined (integer programming)


@dataclass
class Var:
    key: tuple  # (field, metric, authority, period, breakdown)
    lb: int = 0
    ub: int = BIG
    fixed: int | None = None
    cell: bool = False  # a suppressed authority-level cell


@dataclass
class Model:
    vars: dict = field(default_factory=dict)
    cons: list = field(default_factory=list)  # (coeffs {key: a}, lo, hi, label)
    conflicts: list = field(default_factory=list)  # published figures that contradict the assumptions

    def var(self, key):
        if key not in self.vars:
            self.vars[key] = Var(key)
        return self.vars[key]

    def add(self, coeffs, lo, hi, label):
        self.cons.append((coeffs, lo, hi, label))


def _var_key(fld, metric, auth, period, bd):
    if fld == "den" and metric in EPS_DEN:
        return ("count", "episodes_started", auth, period, "")
    return (fld, metric, auth, period, bd)


def build_model(rows, exact_all_values: bool | None = None, policy_aware: bool = False, trust_all_c: bool = True) -> Model:
    """Every published figure of a build and every relation the dictionary gives, as a linear model.

    ``policy_aware`` adds what the documented suppression rule itself tells: a
    suppressed figure that only primary suppression can have hidden is 1 to 5
    (totals, counts without breakdown, medians' gaps; breakdown cells unless
    the breakdown has exactly two suppressed cells and a published total, where
    one of the two may be the secondary); a suppressed percentage has a
    numerator or a denominator of 1 to 5."""
    rows = normalise(rows)
    if exact_all_values is None:
        exact_all_values = all_values_from_exact(rows)
    m = Model()
    idx = _index(rows)
    ap = sorted({(r.authority, r.period) for r in rows if r.authority != "ALL"})

    # variables of authority rows
    for r in rows:
        if r.authority == "ALL":
            continue
        k = _kind(r.metric)
        fields = ["count"] if k == "count" else ["gaps"] if k == "median" else ["num", "den"]
        for fld in fields:
            v = m.var(_var_key(fld, r.metric, r.authority, r.period, r.breakdown))
            pub = _cell_value(r, fld)
            if pub is not None:
                if v.fixed is not None and v.fixed != pub:
                    m.conflicts.append(f"{v.key}: published {v.fixed} and {pub}")
                v.fixed = pub
            elif r.status == "c":
                v.lb = max(v.lb, 0 if fld == "num" else SUPPRESSED_MIN if fld in ("count", "gaps") else 1)
                if any(f == fld for f, _ in _hidden_fields(r)):
                    v.cell = True
        if k == "pct":
            m.add({_var_key("num", r.metric, r.authority, r.period, ""): 1, _var_key("den", r.metric, r.authority, r.period, ""): -1}, -BIG, 0, f"num<=den {r.metric} {r.authority} {r.period}")

    # breakdowns
    for a, p in ap:
        for metric in list(SINGLE_BREAKDOWNS) + list(MULTI_BREAKDOWNS):
            tot = idx.get((metric, a, p, ""))
            cells = [r for r in rows if r.metric == metric and r.authority == a and r.period == p and r.breakdown]
            if tot is None or not cells:
                continue
            tkey = ("count", metric, a, p, "")
            ckeys = [("count", metric, a, p, c.breakdown) for c in cells]
            if metric in SINGLE_BREAKDOWNS:
                coeffs = {k: 1 for k in ckeys}
                coeffs[tkey] = -1
                complete = {c.breakdown for c in cells} >= SINGLE_BREAKDOWNS[metric]
                m.add(coeffs, 0 if complete else -BIG * len(ckeys), 0, f"breakdown sum {metric} {a} {p}")
            else:
                coeffs = {k: 1 for k in ckeys}
                coeffs[tkey] = -1
                m.add(coeffs, 0, BIG * len(ckeys), f"multi breakdown sum>=total {metric} {a} {p}")
                for k in ckeys:
                    m.add({k: 1, tkey: -1}, -BIG, 0, f"cell<=total {k}")
        # subsets and exclusive categories
        for (f1, m1, b1), (f2, m2, b2) in SUBSETS:
            if idx.get((m1, a, p, b1)) and idx.get((m2, a, p, b2)):
                m.add({_var_key(f1, m1, a, p, b1): 1, _var_key(f2, m2, a, p, b2): -1}, -BIG, 0, f"subset {m1}<={m2} {a} {p}")
        for (f1, m1, b1), (f2, m2, b2), (f3, m3, b3) in EXCLUSIVE:
            if idx.get((m1, a, p, b1)) and idx.get((m2, a, p, b2)) and idx.get((m3, a, p, b3)):
                m.add({_var_key(f1, m1, a, p, b1): 1, _var_key(f2, m2, a, p, b2): 1, _var_key(f3, m3, a, p, b3): -1}, -BIG, 0, f"exclusive plans {a} {p}")

    # programme-wide rows: sums within rounding
    for (metric, period, bd, fld), (allrow, members) in _all_cells(rows).items():
        b = _all_bounds(allrow, fld, idx, trust_all_c)
        keys = []
        for a, ar in members:
            if ar is None:
                slack = m.var(("slack", metric, a, period, bd, fld))
                keys.append(slack.key)
            else:
                keys.append(_var_key(fld, metric, a, period, bd))
        coeffs = defaultdict(int)
        for k in keys:
            coeffs[k] += 1
        if b is not None:
            label = "ALL suppressed" if _cell_value(allrow, fld) is None else "ALL rounding"
            m.add(dict(coeffs), b[0], b[1], f"{label} {metric}[{bd}] {period} {fld}")
        if exact_all_values and fld == "num" and allrow.value is not None and allrow.denominator:
            # 100 * n / d within the published value's rounding (n, d the exact ALL sums)
            tol = _value_tolerance(allrow.value_text)
            dkeys = [k for k in (_all_key(members, "den", metric, period, bd, m))]
            c = defaultdict(float)
            for k in keys:
                c[k] += 100.0
            for k in dkeys:
                c[k] -= allrow.value + tol
            m.add(dict(c), -BIG * 1000, 0, f"ALL value upper {metric} {period}")
            c = defaultdict(float)
            for k in keys:
                c[k] += 100.0
            for k in dkeys:
                c[k] -= allrow.value - tol
            m.add(dict(c), 0, BIG * 1000, f"ALL value lower {metric} {period}")
    if policy_aware:
        _add_policy(m, rows, idx)
    return m


PRIMARY_MAX = 5  # authority-level counts of 1 to 5 are suppressed


def _add_policy(m: Model, rows: list[Row], idx):
    big = 2 * max([abs(x) for r in rows for x in (r.numerator, r.denominator) if x is not None] + [0]) + 100
    groups = defaultdict(list)
    for r in rows:
        if r.authority != "ALL" and r.breakdown and (r.metric in SINGLE_BREAKDOWNS or r.metric in MULTI_BREAKDOWNS):
            groups[(r.metric, r.authority, r.period)].append(r)
    maybe_secondary = set()
    for (metric, a, p), cells in groups.items():
        hid = [c for c in cells if c.status == "c"]
        tot = idx.get((metric, a, p, ""))
        if len(hid) == 2 and tot is not None and _cell_value(tot, "count") is not None:
            k1, k2 = (("count", metric, a, p, c.breakdown) for c in hid)
            maybe_secondary |= {k1, k2}
            y = m.var(("bin", metric, a, p, "secondary"))
            y.ub = 1
            m.add({k1: 1, y.key: -big}, -big, PRIMARY_MAX, f"policy: one of two suppressed is primary {metric} {a} {p}")
            m.add({k2: 1, y.key: big}, -big, PRIMARY_MAX + big, f"policy: one of two suppressed is primary {metric} {a} {p}")
    for r in rows:
        if r.authority == "ALL" or r.status != "c":
            continue
        k = _kind(r.metric)
        if k in ("count", "median"):
            fld = "count" if k == "count" else "gaps"
            key = _var_key(fld, r.metric, r.authority, r.period, r.breakdown)
            if key not in maybe_secondary and _cell_value(r, fld) is None:
                m.add({key: 1}, 1, PRIMARY_MAX, f"policy: primary suppression {key}")
        elif r.numerator is None and r.denominator is None:
            n = _var_key("num", r.metric, r.authority, r.period, "")
            d = _var_key("den", r.metric, r.authority, r.period, "")
            y = m.var(("bin", r.metric, r.authority, r.period, "rate"))
            y.ub = 1
            # y = 0: 1 <= num <= 5; y = 1: 1 <= den <= 5
            m.add({n: 1, y.key: -big}, -big, PRIMARY_MAX, f"policy: rate suppressed {n}")
            m.add({n: 1, y.key: big}, 1, 2 * big, f"policy: rate suppressed {n}")
            m.add({d: 1, y.key: big}, -big, PRIMARY_MAX + big, f"policy: rate suppressed {d}")


def _all_key(members, fld, metric, period, bd, m):
    out = []
    for a, ar in members:
        if ar is None:
            out.append(m.var(("slack", metric, a, period, bd, fld)).key)
        else:
            out.append(_var_key(fld, metric, a, period, bd))
    return out


def _components(m: Model):
    """Free variables grouped by the constraints that link them; constraints reduced by fixed values."""
    parent = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    reduced = []
    bad = []
    for coeffs, lo, hi, label in m.cons:
        free = {}
        const = 0.0
        for k, a in coeffs.items():
            v = m.vars[k]
            if v.fixed is not None:
                const += a * v.fixed
            else:
                free[k] = a
        if not free:
            if const < lo - 1e-6 or const > hi + 1e-6:
                bad.append(label)
            continue
        reduced.append((free, lo - const, hi - const, label))
        ks = list(free)
        for k in ks[1:]:
            parent[find(k)] = find(ks[0])
    groups = defaultdict(lambda: ([], []))
    for k, v in m.vars.items():
        if v.fixed is None:
            groups[find(k)][0].append(k)
    for c in reduced:
        groups[find(next(iter(c[0])))][1].append(c)
    return list(groups.values()), bad


def _solve(keys, cons, m: Model, objective):
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp

    pos = {k: i for i, k in enumerate(keys)}
    n = len(keys)
    c = np.zeros(n)
    for k, a in objective.items():
        c[pos[k]] = a
    lb = np.array([m.vars[k].lb for k in keys], dtype=float)
    ub = np.array([m.vars[k].ub for k in keys], dtype=float)
    constraints = []
    if cons:
        A = np.zeros((len(cons), n))
        lo = np.zeros(len(cons))
        hi = np.zeros(len(cons))
        for i, (coeffs, l, h, _) in enumerate(cons):
            for k, a in coeffs.items():
                A[i, pos[k]] = a
            lo[i], hi[i] = l, h
        constraints = [LinearConstraint(A, lo, hi)]
    res = milp(c, constraints=constraints, integrality=np.ones(n), bounds=Bounds(lb, ub), options={"presolve": True, "mip_rel_gap": 0})
    if res.status != 0 or res.x is None:
        return None
    return {k: int(round(res.x[pos[k]])) for k in keys}


@dataclass
class CombinedResult:
    findings: list
    cells: int  # suppressed authority-level cells examined
    intervals: dict  # cell key -> (lo, hi) for the cells solved to the end (hi None = unbounded)
    infeasible: list  # labels of constraints the published figures violate (attacker assumption wrong)


def combined_attack(rows, exact_all_values: bool | None = None, policy_aware: bool = False, trust_all_c: bool = True) -> CombinedResult:
    """Tightest integer interval of every suppressed authority cell given everything published at once."""
    m = build_model(rows, exact_all_values, policy_aware, trust_all_c)
    kind = "policy_aware" if policy_aware else "combined"
    comps, bad = _components(m)
    infeasible = list(bad) + list(m.conflicts)
    findings = []
    intervals = {}
    ncells = sum(1 for v in m.vars.values() if v.cell and v.fixed is None)
    # a suppressed cell fixed by a published figure elsewhere
    for v in m.vars.values():
        if v.cell and v.fixed is not None:
            ncells += 1
            intervals[v.key] = (v.fixed, v.fixed)
            findings.append(_finding_from_key(kind, v.key, v.fixed, v.fixed, "published elsewhere"))
    for keys, cons in comps:
        cells = [k for k in keys if m.vars[k].cell]
        if not cells:
            continue
        seen_lo = {}
        seen_hi = {}

        def observe(sol):
            for k, x in sol.items():
                seen_lo[k] = min(seen_lo.get(k, x), x)
                seen_hi[k] = max(seen_hi.get(k, x), x)

        first = _solve(keys, cons, m, {})
        if first is None:
            infeasible.append(f"component of {cells[0]} infeasible")
            continue
        observe(first)
        # spread: push all cells up, then down, to see many values quickly
        for sign in (1, -1):
            sol = _solve(keys, cons, m, {k: sign for k in cells})
            if sol:
                observe(sol)
        for k in cells:
            if seen_hi[k] - seen_lo[k] + 1 >= MIN_VALUES:
                continue
            lo_sol = _solve(keys, cons, m, {k: 1})
            if lo_sol is None:
                infeasible.append(f"solver failed minimising {k}")
                continue
            observe(lo_sol)
            lo = lo_sol[k]
            if seen_hi[k] - lo + 1 >= MIN_VALUES:
                continue
            hi_sol = _solve(keys, cons, m, {k: -1})
            if hi_sol is None:
                infeasible.append(f"solver failed maximising {k}")
                continue
            observe(hi_sol)
            hi = hi_sol[k]
            intervals[k] = (lo, None if hi >= BIG - 1 else hi)
            if hi - lo + 1 < MIN_VALUES:
                findings.append(_finding_from_key(kind, k, lo, hi, f"{len(keys)} unknowns, {len(cons)} relations"))
    return CombinedResult(findings, ncells, intervals, infeasible)


def _finding_from_key(kind, key, lo, hi, detail):
    fld, metric, auth, period, bd = key[:5]
    return Finding(kind, metric, auth, period, bd, fld, lo, hi, detail)


# --------------------------------------------------------------------------- all together


ATTACKS = {
    "subtraction": subtraction_attack,
    "all_ratio": all_ratio_attack,
    "rounding": rounding_attack,
    "complement": complement_attack,
    "shared_denominator": shared_denominator_attack,
}


def run_all(rows, trust_all_c: bool = True):
    """Every attack on one build's published rows: (findings, suppressed cells examined, infeasible labels)."""
    rows = normalise(rows)
    findings = []
    for name, fn in ATTACKS.items():
        findings.extend(fn(rows, trust_all_c) if name == "rounding" else fn(rows))
    comb = combined_attack(rows, trust_all_c=trust_all_c)
    findings.extend(comb.findings)
    return findings, comb.cells, comb.infeasible


# --------------------------------------------------------------------------- scoring (ground truth)


def exact_value(exact_rows, f: Finding):
    """The true figure behind a finding, from restricted/metric_values_exact.csv."""
    if f.kind == "complement":
        return f.lo
    r = _index(normalise(exact_rows)).get((f.metric, f.authority, f.period, f.breakdown))
    if r is None:
        return None
    return _cell_value(r, f.field)


def check_finding(exact_rows, f: Finding):
    """True when the finding's interval holds the true value (the attack is right)."""
    t = exact_value(exact_rows, f)
    if t is None or f.lo is None:
        return t is not None or f.kind == "complement", t
    return f.lo <= t <= (f.hi if f.hi is not None else math.inf), t


def model_violations(rows, exact_rows, policy_aware: bool = False, trust_all_c: bool = True) -> list[str]:
    """Constraints of the attacker's model that the TRUE figures break (each one is an attack bug)."""
    m = build_model(rows, policy_aware=policy_aware, trust_all_c=trust_all_c)
    ex = _index(normalise(exact_rows))
    truth = {}
    aliased = []
    for r in ex.values():
        if r.authority == "ALL":
            continue
        k = _kind(r.metric)
        for fld in (["count"] if k == "count" else ["gaps"] if k == "median" else ["num", "den"]):
            v = _cell_value(r, fld)
            key = _var_key(fld, r.metric, r.authority, r.period, r.breakdown)
            if v is not None:
                if key in truth and truth[key] != v:
                    aliased.append(f"{r.metric} {r.authority} {r.period} {fld}: exact {v}, but {key} is {truth[key]}")
                truth[key] = v
    # an `x` figure is unknown to the attacker, and ALL may leave it out: its exact value proves nothing
    pub = _index(normalise(rows))
    for r in pub.values():
        if r.authority != "ALL" and r.status == "x":
            k = _kind(r.metric)
            for fld in (["count"] if k == "count" else ["gaps"] if k == "median" else ["num", "den"]):
                key = _var_key(fld, r.metric, r.authority, r.period, r.breakdown)
                owner = pub.get(key[1:]) if key[0] == "count" else r
                if owner is None or owner.status == "x":
                    truth.pop(key, None)
    out = list(aliased)
    for k, v in m.vars.items():
        t = truth.get(k)
        if t is None:
            continue
        if v.fixed is not None and v.fixed != t:
            out.append(f"published {k} = {v.fixed}, exact {t}")
        if t < v.lb or t > v.ub:
            out.append(f"bounds of {k}: exact {t} outside [{v.lb}, {v.ub}]")
    def holds(coeffs, lo, hi, t):
        s = sum(a * t.get(k, 0) for k, a in coeffs.items())
        return lo - 1e-6 <= s <= hi + 1e-6, s

    disjunctions = defaultdict(list)  # a binary variable -> its constraints
    for coeffs, lo, hi, label in m.cons:
        bins = [k for k in coeffs if k[0] == "bin"]
        if any(k not in truth and k[0] not in ("slack", "bin") for k in coeffs):
            continue
        if bins:
            disjunctions[bins[0]].append((coeffs, lo, hi, label))
            continue
        ok, s = holds(coeffs, lo, hi, truth)
        if not ok:
            out.append(f"{label}: exact {s} outside [{lo}, {hi}]")
    for b, cons in disjunctions.items():
        if not any(all(holds(c, lo, hi, {**truth, b: y})[0] for c, lo, hi, _ in cons) for y in (0, 1)):
            out.append(f"{cons[0][3]}: no case of the disjunction holds for the exact figures")
    return out


def load_build(warehouse) -> tuple[list[dict], list[dict]]:
    w = Path(warehouse)
    return read_metrics(w / "metrics" / "metric_values.csv"), read_metrics(w / "restricted" / "metric_values_exact.csv")
