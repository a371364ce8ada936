"""The report's funnel plots, checked with an independent implementation (scipy's binomial):
every authority the page names above or below the 95% or 99.8% control limits is there, and
no other. Run on the demo warehouse and on a 30-authority build made here."""

import html
import os
import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from scipy.stats import binom, norm

DEMO = Path(os.environ.get("RNI_WAREHOUSE", "rni-demo/warehouse")).resolve()
RNI = os.environ.get("RNI_BIN", str(Path(__file__).resolve().parents[2] / "target" / "debug" / "rni"))


def limit(target: float, n: int, q: float) -> float:
    """Spiegelhalter's interpolated binomial quantile, in percent (normal above n = 20,000)."""
    p = target / 100.0
    if p <= 0.0 or p >= 1.0:
        return 100.0 * p
    if n > 20_000:
        return min(100.0, max(0.0, 100.0 * (p + norm.ppf(q) * (p * (1 - p) / n) ** 0.5)))
    r = binom.ppf(q, n, p)
    f_r, f_before = binom.cdf(r, n, p), binom.cdf(r - 1, n, p)
    alpha = (f_r - q) / (f_r - f_before) if f_r > f_before else 0.0
    return min(100.0, max(0.0, 100.0 * (r - alpha) / n))


def position(value: float, n: int, target: float) -> str:
    lo998, lo95, hi95, hi998 = (limit(target, n, q) for q in (0.001, 0.025, 0.975, 0.999))
    if value > hi998:
        return "above the 99.8% limits"
    if value < lo998:
        return "below the 99.8% limits"
    if value > hi95:
        return "above the 95% limits (within 99.8%)"
    if value < lo95:
        return "below the 95% limits (within 99.8%)"
    return "within"


def listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def captions(warehouse: Path) -> dict[str, str]:
    page = (warehouse / "report" / "index.html").read_text()
    found = re.findall(r'<svg class="chart funnel".*?<title>(.*?)</title>.*?</svg><figcaption>(.*?)</figcaption>', page, re.S)
    return {html.unescape(title): html.unescape(caption) for title, caption in found}


@pytest.fixture(scope="module")
def thirty(tmp_path_factory):
    d = tmp_path_factory.mktemp("thirty")
    run = lambda *args: subprocess.run([RNI, "--quiet", *args], cwd=d, check=True, capture_output=True)
    run("synth", "--out", "returns", "--seed", "30", "--authorities", "30", "--young-people", "60")
    run("keygen", "--out", "k.key")
    run("build", "--key-file", "k.key", "--returns", "returns", "--out", "wh")
    return d / "wh"


def check(warehouse: Path) -> int:
    rows = pd.read_csv(warehouse / "metrics" / "metric_values.csv", dtype=str, keep_default_na=False)
    labels = dict(re.findall(r'id = "(\w+)"\s*\n(?:.*\n)*?label = "(.*)"', (Path(__file__).resolve().parents[2] / "queries" / "metrics.toml").read_text()))
    latest = max(rows.loc[rows["metric"] == "young_people_reached", "period"])
    shown = captions(warehouse)
    named = 0
    for metric in sorted(m for m in rows["metric"].unique() if m.startswith("pct_")):
        mine = rows[(rows["metric"] == metric) & (rows["period"] == latest) & (rows["breakdown"] == "")]
        everyone = mine[(mine["authority_code"] == "ALL") & (mine["status"] == "")]
        points = mine[mine["authority_code"].str.fullmatch(r"E0\d{7}|E1\d{7}") & (mine["status"] == "") & (mine["denominator"] != "")]
        points = points[points["denominator"].astype(int) > 0]
        title = f"{labels[metric]}, {latest}"
        if everyone.empty or points.empty:
            assert title not in shown, f"{title}: a funnel without figures"
            continue
        caption = shown[title]
        target = float(everyone["value"].iloc[0])
        by_place: dict[str, list[str]] = {}
        for row in points.sort_values(["authority_name", "authority_code"]).itertuples():
            where = position(float(row.value), int(row.denominator), target)
            by_place.setdefault(where, []).append(f"{row.authority_name} ({float(row.value):.1f}%)")
        for where in ["above the 99.8% limits", "below the 99.8% limits", "above the 95% limits (within 99.8%)", "below the 95% limits (within 99.8%)"]:
            phrase = where[0].upper() + where[1:] + ": "
            if where in by_place:
                assert phrase + listed(by_place[where]) in caption, f"{title}: expected {where}: {by_place[where]}\n{caption}"
                named += len(by_place[where])
            else:
                assert phrase not in caption, f"{title}: names someone {where} that scipy does not\n{caption}"
    return named


def test_the_demo_report_names_exactly_the_authorities_outside_the_limits():
    check(DEMO)


def test_thirty_authorities_name_exactly_those_outside_the_limits(thirty):
    assert check(thirty) > 0, "a 30-authority build has someone outside the limits to check"
