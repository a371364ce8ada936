"""An outsider's attacks on rni's published metrics, over many seeded builds.

Builds ``RNI_ATTACK_BUILDS`` (default 50) synthetic warehouses of different
sizes with the binary ``RNI_BIN`` (default ``$CARGO_TARGET_DIR/debug/rni``,
``CARGO_TARGET_DIR`` defaulting to ``~/.cache/rni-target``), runs every attack
of ``disclosure_attacks`` on each build's ``metrics/metric_values.csv`` and
fails when any suppressed cell is narrowed to fewer than 3 values, an exact ALL
figure is recovered, or a small complement is published.  The exact figures in
``restricted/`` are used only to check that every attack is right (an interval
that misses the true value is a bug of the attack and fails the test too, as
does a published build whose exact figures break one of the attacker's
documented assumptions; the one exception is a suppressed ALL rate or median
that was not hidden for its documented reason, after which that build is
attacked again without reading anything into suppressed ALL rows).

    ~/.cache/rni-venv/bin/python -m pytest -q -s tests/python/test_disclosure_attacks.py

Other settings: ``RNI_ATTACK_JOBS`` (builds run at once, default 2),
``RNI_ATTACK_POLICY_AWARE=1`` (also fail on the policy-aware attack, which
assumes the documented suppression rule; by default it is only reported),
``RNI_ATTACK_KEEP=DIR`` (build there and keep the warehouses).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import disclosure_attacks as da  # noqa: E402

KINDS = ["subtraction", "all_ratio", "rounding", "complement", "shared_denominator", "combined"]
TABLES = ["episodes", "contexts", "panels", "practice", "reviews", "young_people"]
SIZES = [20, 30, 45, 70, 100, 150, 220, 300, 400]


def rni_bin() -> Path:
    if os.environ.get("RNI_BIN"):
        return Path(os.environ["RNI_BIN"])
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "rni-target")
    return Path(target) / "debug" / "rni"


@dataclass
class Plan:
    n: int
    authorities: int
    young_people: int
    periods: str
    seed: int
    delete: str | None = None  # "table" removed from one authority's quarter


def plans(count: int) -> list[Plan]:
    out = []
    for i in range(count):
        quarters = 2 + i % 3  # 2 to 4 quarters
        first = 1 + (i // 3) % (5 - quarters)
        p = Plan(
            n=i,
            authorities=1 + i % 6,
            young_people=SIZES[(i * 4 + i // 9) % len(SIZES)],
            periods=f"2025Q{first}..2025Q{first + quarters - 1}",
            seed=1000 + 37 * i,
        )
        if i % 4 == 3:
            p.delete = TABLES[(i // 4) % len(TABLES)]
        out.append(p)
    return out


@dataclass
class Outcome:
    plan: Plan
    exit_code: int
    published: bool
    deleted: str = ""
    x_rows: int = 0
    cells: int = 0
    findings: list = field(default_factory=list)
    policy: list = field(default_factory=list)
    policy_broken: list = field(default_factory=list)
    all_c_untrusted: bool = False  # a suppressed ALL rate/median was not suppressed for the documented reason
    wrong: list = field(default_factory=list)  # attack bugs: (finding, true value)
    model_bugs: list = field(default_factory=list)
    stderr: str = ""


def run(cmd, **kw):
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)


def make_build(binary: Path, key: Path, root: Path, plan: Plan) -> tuple[Plan, int, Path, str, str]:
    returns = root / f"returns-{plan.n:03d}"
    wh = root / f"warehouse-{plan.n:03d}"
    for d in (returns, wh):
        shutil.rmtree(d, ignore_errors=True)
    r = run([binary, "synth", "--out", returns, "--authorities", plan.authorities, "--young-people", plan.young_people, "--periods", plan.periods, "--seed", plan.seed, "-q"])
    if r.returncode != 0:
        return plan, 100 + r.returncode, wh, "", "rni synth failed: " + r.stderr[-2000:]  # not a refusal: a crash
    deleted = ""
    if plan.delete:
        auths = sorted(p for p in returns.iterdir() if p.is_dir())
        auth = auths[plan.n % len(auths)]
        quarters = sorted(p for p in auth.iterdir() if p.is_dir())
        quarter = quarters[len(quarters) // 2]
        for f in quarter.iterdir():
            if f.stem == plan.delete:
                f.unlink()
                deleted = f"{auth.name}/{quarter.name}/{f.name}"
    r = run([binary, "build", "--returns", returns, "--out", wh, "--key-file", key, "--log-format", "plain", "-q"])
    return plan, r.returncode, wh, deleted, r.stderr[-2000:]


def attack_build(plan: Plan, code: int, wh: Path, deleted: str, stderr: str, policy_aware: bool) -> Outcome:
    metrics = wh / "metrics" / "metric_values.csv"
    out = Outcome(plan, code, metrics.exists(), deleted, stderr=stderr)
    if not out.published:
        return out
    pub, exact = da.load_build(wh)
    out.x_rows = sum(1 for r in pub if r["status"] == "x" and r["metric"] in da.ATTACKED)
    # the documented reading: an ALL rate or median with no figures says nothing (secondary
    # suppression); one that is not shown keeps its rounded figures, which are used
    findings, out.cells, infeasible = da.run_all(pub, trust_all_c=False)
    out.model_bugs = list(infeasible) + da.model_violations(pub, exact, trust_all_c=False)
    for f in findings:
        ok, truth = da.check_finding(exact, f)
        (out.findings if ok else out.wrong).append(f if ok else (f, truth))
    # the policy-aware attacker: only meaningful when the documented rule holds for this build
    # the policy-aware attacker also guesses from the suppression pattern (reported only): a
    # suppressed figure is 1 to 5 unless it could be a secondary cell, and an ALL rate or median
    # with no figures was suppressed for the old documented reasons
    broken = da.model_violations(pub, exact, policy_aware=True, trust_all_c=True)
    if broken:
        out.policy_broken = broken
    else:
        for f in da.combined_attack(pub, policy_aware=True, trust_all_c=True).findings:
            ok, truth = da.check_finding(exact, f)
            if ok:
                out.policy.append(f)
            else:
                out.wrong.append((f, truth))
    return out


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    binary = rni_bin()
    if not binary.exists():
        if os.environ.get("RNI_BIN"):
            pytest.fail(f"RNI_BIN names no binary: {binary}")
        pytest.skip(f"no rni binary at {binary} (set RNI_BIN or build with cargo build)")
    keep = os.environ.get("RNI_ATTACK_KEEP")
    root = Path(keep) if keep else tmp_path_factory.mktemp("attack")
    root.mkdir(parents=True, exist_ok=True)
    key = root / "key"
    if not key.exists():
        r = run([binary, "keygen", "--out", key, "-q"])
        assert r.returncode == 0, r.stderr
    count = int(os.environ.get("RNI_ATTACK_BUILDS", "50"))
    jobs = int(os.environ.get("RNI_ATTACK_JOBS", "2"))
    policy_aware = os.environ.get("RNI_ATTACK_POLICY_AWARE", "") not in ("", "0")
    started = time.monotonic()
    results = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(make_build, binary, key, root, p) for p in plans(count)]
        for fut in as_completed(futures):
            plan, code, wh, deleted, stderr = fut.result()
            results.append(attack_build(plan, code, wh, deleted, stderr, policy_aware))
            if not keep:
                shutil.rmtree(wh, ignore_errors=True)
                shutil.rmtree(root / f"returns-{plan.n:03d}", ignore_errors=True)
    results.sort(key=lambda o: o.plan.n)
    return results, time.monotonic() - started, policy_aware


def summary(results, seconds, policy_aware) -> str:
    kinds = Counter(f.kind for o in results for f in o.findings)
    published = sum(o.published for o in results)
    parts = [
        f"attack: builds={len(results)}",
        f"published={published}",
        f"refused={len(results) - published}",
        f"exit1={sum(o.exit_code == 1 for o in results)}",
        f"with_deleted_table={sum(bool(o.deleted) for o in results)}",
        f"with_x_rows={sum(o.x_rows > 0 for o in results)}",
        f"suppressed_cells={sum(o.cells for o in results)}",
        "findings: " + " ".join(f"{k}={kinds.get(k, 0)}" for k in KINDS),
        f"total={sum(kinds.values())}",
        f"| policy_aware={sum(len(o.policy) for o in results)}" + ("" if policy_aware else " (reported only)"),
        f"policy_rule_not_met_in={sum(bool(o.policy_broken) for o in results)}",
        f"all_c_not_documented_reason_in={sum(o.all_c_untrusted for o in results)}",
        f"| {seconds:.0f}s",
    ]
    return " ".join(parts)


def test_attacks_recover_nothing(outcomes, capsys):
    results, seconds, policy_aware = outcomes
    line = summary(results, seconds, policy_aware)
    report = io.StringIO()
    for o in results:
        if not o.published:
            print(f"  build {o.plan.n} ({describe(o.plan)}) published nothing (exit {o.exit_code}): {o.stderr.strip()[-300:]}", file=report)
    examples = [(o, f) for o in results for f in o.findings + (o.policy if policy_aware else [])]
    for o, f in examples[:25]:
        print(f"  build {o.plan.n} ({describe(o.plan)}): {f}", file=report)
    if len(examples) > 25:
        print(f"  ... and {len(examples) - 25} more", file=report)
    if not policy_aware:
        for o, f in [(o, f) for o in results for f in o.policy][:5]:
            print(f"  (policy-aware, reported only) build {o.plan.n} ({describe(o.plan)}): {f}", file=report)
    for o in results:
        if o.policy_broken:
            print(f"  (policy-aware skipped) build {o.plan.n}: the documented rule does not hold: {o.policy_broken[0]}", file=report)
    with capsys.disabled():
        print("\n" + line)
        print(report.getvalue(), end="")

    crashed = [o for o in results if o.exit_code not in (0, 1)]
    if crashed:
        pytest.fail("rni could not run: " + "; ".join(f"build {o.plan.n}: exit {o.exit_code} {o.stderr.strip()[-300:]}" for o in crashed), pytrace=False)
    wrong = [(o, f, t) for o in results for f, t in o.wrong]
    if wrong:
        pytest.fail("attack bug, an interval misses the true value: " + "; ".join(f"build {o.plan.n}: {f} (true {t})" for o, f, t in wrong[:10]), pytrace=False)
    bugs = [(o, b) for o in results for b in o.model_bugs]
    if bugs:
        pytest.fail(
            "attack bug: the exact figures break an assumption of the attacker's model "
            "(the dictionary and the tool disagree, or the attack is wrong): " + "; ".join(f"build {o.plan.n}: {b}" for o, b in bugs[:10]),
            pytrace=False,
        )
    if examples:
        first = "\n".join(f"  build {o.plan.n} ({describe(o.plan)}): {f}" for o, f in examples[:10])
        pytest.fail(f"{len(examples)} disclosure finding(s)\n{line}\n{first}", pytrace=False)


def describe(p: Plan) -> str:
    d = f", without {p.delete}" if p.delete else ""
    return f"{p.authorities} authorities, {p.young_people} young people, {p.periods}, seed {p.seed}{d}"


# --------------------------------------------------------------------------- a table with known leaks

A, B = "E09000017", "E09000001"
HEADER = "metric,authority_code,authority_name,period,breakdown,numerator,denominator,value,status\n"


def _table(rows):
    out = []
    for metric, code, bd, num, den, value, status in rows:
        name = {"ALL": "All partner authorities", A: "Hillingdon", B: "City of London"}[code]
        out.append(f"{metric},{code},{name},2025Q1,{bd},{'' if num is None else num},{'' if den is None else den},{'' if value is None else value},{status}")
    return HEADER + "\n".join(out) + "\n"


TYPES = ["LOCATION", "PEER_GROUP", "SCHOOL", "ONLINE", "OTHER"]
# (metric, area, breakdown, exact numerator, exact denominator, published?)  -- the exact build
EXACT = [
    # A: 12 contexts = 10 + c + c + 0 + 0: both suppressed cells are 1 (all-ones subtraction)
    ("contexts_identified", A, "", 12, None),
    ("contexts_identified", A, "LOCATION", 10, None),
    ("contexts_identified", A, "PEER_GROUP", 1, None),
    ("contexts_identified", A, "SCHOOL", 1, None),
    ("contexts_identified", A, "ONLINE", 0, None),
    ("contexts_identified", A, "OTHER", 0, None),
    ("contexts_identified", B, "", 20, None),
    ("contexts_identified", B, "LOCATION", 20, None),
    *[("contexts_identified", B, t, 0, None) for t in TYPES[1:]],
    # contexts assessed: only the combination of breakdowns and the ALL total (0: at most 4) pins them
    ("contexts_assessed", A, "", 3, None),
    ("contexts_assessed", A, "LOCATION", 1, None),
    ("contexts_assessed", A, "PEER_GROUP", 2, None),
    ("contexts_assessed", A, "SCHOOL", 0, None),
    ("contexts_assessed", A, "ONLINE", 0, None),
    ("contexts_assessed", A, "OTHER", 0, None),
    ("contexts_assessed", B, "", 1, None),
    ("contexts_assessed", B, "LOCATION", 0, None),
    ("contexts_assessed", B, "PEER_GROUP", 0, None),
    ("contexts_assessed", B, "SCHOOL", 1, None),
    ("contexts_assessed", B, "ONLINE", 0, None),
    ("contexts_assessed", B, "OTHER", 0, None),
    # ALL 44 -> 40, B published 42: A in [1, 2]
    ("young_people_reached", A, "", 2, None),
    ("young_people_reached", B, "", 42, None),
    # A's episodes_started (4) is suppressed but is the published denominator of a percentage
    ("episodes_started", A, "", 4, None),
    ("episodes_started", B, "", 30, None),
    ("pct_contextual_assessment", A, "", 2, 4),
    # B: 25 of 30, a complement of 5
    ("pct_contextual_assessment", B, "", 25, 30),
]


def _exact_rows():
    rows = []
    sums = {}
    for metric, code, bd, num, den in EXACT:
        value = num if den is None else round(100 * num / den, 2)
        rows.append((metric, code, bd, num, den, value, ""))
        s = sums.setdefault((metric, bd), [0, 0 if den is not None else None])
        s[0] += num
        if den is not None:
            s[1] += den
    for (metric, bd), (n, d) in sums.items():
        # ALL: exact sums (the restricted file); the percentage from the exact figures
        rows.append((metric, "ALL", bd, n, d, n if d is None else round(100 * n / d, 2), ""))
    return rows


def _round10(x):
    return (x + 5) // 10 * 10


def _published_rows():
    """What a leaky tool publishes: counts 1 to 5 suppressed, rates over them suppressed,
    ALL rounded to 10, but the ALL percentage computed from the exact figures."""
    out = []
    for metric, code, bd, num, den, value, _ in _exact_rows():
        if code == "ALL":
            if den is None:
                out.append((metric, code, bd, _round10(num), None, _round10(num), ""))
            else:
                out.append((metric, code, bd, _round10(num), _round10(den), value, ""))
            continue
        if den is None:
            if 1 <= num <= 5:
                out.append((metric, code, bd, None, None, None, "c"))
            else:
                out.append((metric, code, bd, num, None, num, ""))
        else:
            # the leak: the rate is published although its denominator (episodes_started) is suppressed
            out.append((metric, code, bd, num, den, value, ""))
    return out


def _csv_rows(text):
    import csv

    return list(csv.DictReader(io.StringIO(text)))


def test_attacks_find_known_leaks():
    published = _csv_rows(_table(_published_rows()))
    exact = _csv_rows(_table(_exact_rows()))
    assert da.model_violations(published, exact) == []
    assert da.model_violations(published, exact, policy_aware=True) == []
    findings, cells, infeasible = da.run_all(published)
    assert infeasible == []
    for f in findings:
        ok, truth = da.check_finding(exact, f)
        assert ok, f"{f} misses the true value {truth}"
    got = {(f.kind, f.metric, f.authority, f.breakdown, f.field, f.lo, f.hi) for f in findings}

    # subtraction, all-ones: 12 = 10 + c + c + 0 + 0
    assert ("subtraction", "contexts_identified", A, "PEER_GROUP", "count", 1, 1) in got
    assert ("subtraction", "contexts_identified", A, "SCHOOL", "count", 1, 1) in got
    # rounding: ALL 40 (exact 35 to 44), B 42 -> A in [1, 2]
    assert ("rounding", "young_people_reached", A, "", "count", 1, 2) in got
    # ALL ratio inversion: 79.41 with rounded 30/30 -> exactly 27 / 34
    assert ("all_ratio", "pct_contextual_assessment", "ALL", "", "num", 27, 27) in got
    assert ("all_ratio", "pct_contextual_assessment", "ALL", "", "den", 34, 34) in got
    # complement: 25 of 30
    assert ("complement", "pct_contextual_assessment", B, "", "complement", 5, 5) in got
    # shared denominator: A's suppressed episodes_started is the rate's published denominator
    assert ("shared_denominator", "episodes_started", A, "", "count", 4, 4) in got
    assert ("combined", "episodes_started", A, "", "count", 4, 4) in got
    # combined only: A's assessed contexts (c = c + c) and B's (c = c) with an ALL total of 0
    assert ("combined", "contexts_assessed", A, "", "count", 2, 3) in got
    assert ("combined", "contexts_assessed", B, "", "count", 1, 2) in got
    assert not any(f.kind in ("rounding", "subtraction") and f.metric == "contexts_assessed" and f.breakdown == "" for f in findings)
    # and the combined attack sees every single-attack interval too
    assert ("combined", "young_people_reached", A, "", "count", 1, 2) in got
    assert ("combined", "contexts_identified", A, "SCHOOL", "count", 1, 1) in got


def test_attacks_find_nothing_in_a_safe_table():
    """Wide suppressed cells, ALL percentages from the rounded figures, no small complements, an `x` row."""
    rows = [
        ("contexts_identified", A, "", None, None, None, "c"),
        *[("contexts_identified", A, t, None, None, None, "c") for t in TYPES[:3]],
        *[("contexts_identified", A, t, 0, None, 0, "") for t in TYPES[3:]],
        ("contexts_identified", B, "", 40, None, 40, ""),
        *[("contexts_identified", B, t, n, None, n, "") for t, n in zip(TYPES, [20, 10, 10, 0, 0])],
        ("contexts_identified", "ALL", "", 50, None, 50, ""),
        *[("contexts_identified", "ALL", t, n, None, n, "") for t, n in zip(TYPES, [20, 20, 10, 0, 0])],
        ("episodes_started", A, "", 30, None, 30, ""),
        ("episodes_started", B, "", 40, None, 40, ""),
        ("episodes_started", "ALL", "", 70, None, 70, ""),
        ("pct_relocated", A, "", None, None, None, "c"),
        ("pct_relocated", B, "", 10, 40, 25, ""),
        ("pct_relocated", "ALL", "", 10, 70, 14.29, ""),
        # not available for A: an unknown, not a suppressed cell
        ("young_people_reached", A, "", None, None, None, "x"),
        ("young_people_reached", B, "", 41, None, 41, ""),
        ("young_people_reached", "ALL", "", 40, None, 40, ""),
    ]
    findings, cells, infeasible = da.run_all(_csv_rows(_table(rows)))
    assert infeasible == []
    assert cells == 5
    assert findings == [], [str(f) for f in findings]
