#!/usr/bin/env python3
"""Independent reference implementation of four statutory-return metrics.

Usage:
    python3 statutory_expected.py RETURNS_ROOT > expected.csv

Reads a folder of local-authority statutory returns laid out as

    RETURNS_ROOT/<GSS code>/cin/<YYYY>/*.xml        Children in Need census
    RETURNS_ROOT/<GSS code>/ssda903/<YYYY>/*.csv    SSDA903 tables (only `missing`)
    RETURNS_ROOT/<GSS code>/<YYYY>Q<n>/episodes.csv the authority's CS return

and prints CSV with header
    metric,authority_code,period,breakdown,numerator,denominator
for the metrics cin_efh_assessments, lac_missing_episodes,
lac_children_missing and pct_efh_assessed_with_cs_episode, plus `ALL` rows
summing each (metric, period, breakdown) over the authorities that have it.

Written from the metric definitions only (standard library only), so that a
test can compare it with what the pipeline computes.  Resolutions of points
the definitions leave open are marked "Choice:" below.
"""

import csv
import datetime as dt
import io
import os
import re
import sys
import xml.etree.ElementTree as ET

GSS_RE = re.compile(r"^[A-Za-z][0-9]{8}$")
YEAR_RE = re.compile(r"^[0-9]{4}$")
# Choice: quarter folders are YYYYQn with n in 1..4; a lowercase q is accepted.
QUARTER_RE = re.compile(r"^[0-9]{4}[Qq][1-4]$")
ISO_RE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
# Choice: DD/MM/YYYY is strict (two-digit day and month, four-digit year).
UK_RE = re.compile(r"^([0-9]{2})/([0-9]{2})/([0-9]{4})$")

VALID_FACTORS = frozenset(
    "1A 1B 1C 2A 2B 2C 3A 3B 3C 4A 4B 4C 5A 5B 5C 6A 6B 6C 7A 8B 8C 8D 8E 8F "
    "9A 10A 11A 12A 13A 14A 15A 16A 17A 18A 18B 18C 19A 19B 19C 20 21 22A "
    "23A 24A".split()
)

EFH_FACTORS = {
    "10A": "MISSING",
    "11A": "CSE",
    "12A": "TRAFFICKING",
    "13A": "GANGS",
    "24A": "CCE",
    "18B": "CHILD_ON_CHILD_PHYSICAL",
    "19B": "CHILD_ON_CHILD_SEXUAL",
}

WINDOW_DAYS = 90

HEADER = ["metric", "authority_code", "period", "breakdown", "numerator", "denominator"]


# --------------------------------------------------------------------------
# small helpers


def parse_iso(text):
    """YYYY-MM-DD (surrounding whitespace allowed) -> date, else None."""
    if text is None:
        return None
    m = ISO_RE.match(text.strip())
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def parse_uk(text):
    """DD/MM/YYYY (surrounding whitespace allowed) -> date, else None."""
    if text is None:
        return None
    m = UK_RE.match(text.strip())
    if not m:
        return None
    try:
        return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        return None


def parse_any_date(text):
    return parse_iso(text) or parse_uk(text)


def year_bounds(year):
    """Reporting year YYYY: 1 April YYYY-1 .. 31 March YYYY inclusive."""
    return dt.date(year - 1, 4, 1), dt.date(year, 3, 31)


def local(tag):
    """Element tag without any {namespace} prefix.

    Choice: namespaces are ignored, so <ns:Message xmlns:ns=...> counts as Message.
    """
    if not isinstance(tag, str):  # comments / processing instructions
        return ""
    return tag.rsplit("}", 1)[-1]


def child_elems(elem, name):
    return [c for c in elem if local(c.tag) == name]


def first_text(elem, name):
    """Stripped text of the first direct child called `name`, or None."""
    for c in elem:
        if local(c.tag) == name:
            return (c.text or "").strip()
    return None


def sorted_subdirs(path):
    try:
        names = os.listdir(path)
    except OSError:
        return []
    return sorted(n for n in names if os.path.isdir(os.path.join(path, n)))


def sorted_files(path):
    try:
        names = os.listdir(path)
    except OSError:
        return []
    return sorted(n for n in names if os.path.isfile(os.path.join(path, n)))


def read_text(path):
    """File text, or None if it cannot be read.

    Choice: decoded as UTF-8 (a BOM is dropped); if that fails, as Latin-1.
    """
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError:
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def read_csv(path):
    """(header, rows) or None when the file is unreadable or has no header.

    Rows are lists of strings; short rows are padded with "".
    """
    text = read_text(path)
    if text is None:
        return None
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        return None
    # Choice: leading completely blank lines before the header are skipped.
    while rows and not any(cell.strip() for cell in rows[0]):
        rows.pop(0)
    if not rows:
        return None
    header = rows[0]
    body = []
    for r in rows[1:]:
        if not any(cell.strip() for cell in r):
            continue  # blank line
        if len(r) < len(header):
            r = r + [""] * (len(header) - len(r))
        body.append(r)
    return header, body


def column_index(header, wanted, normalise):
    """Index of the first header cell whose normalised form equals `wanted`."""
    for i, h in enumerate(header):
        if normalise(h) == wanted:
            return i
    return None


# --------------------------------------------------------------------------
# CIN census


def cin_file_assessments(path, year):
    """Valid assessments of one CIN XML file, or None if the file is unreadable.

    Returns a list of (identity, authorisation_date, factor_codes) where
    identity = (LAchildID, CINreferralDate, AssessmentActualStartDate,
    AssessmentAuthorisationDate) as stripped text.
    """
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError, ValueError):
        return None
    if local(root.tag) != "Message":
        return None

    _, year_end = year_bounds(year)
    out = []
    seen_ids = set()
    for children in child_elems(root, "Children"):
        for child in child_elems(children, "Child"):
            child_id = None
            for ids in child_elems(child, "ChildIdentifiers"):
                child_id = first_text(ids, "LAchildID")
                if child_id is not None:
                    break
            child_id = (child_id or "").strip()
            if not child_id:
                continue  # no LAchildID: every assessment of this child fails
            if child_id in seen_ids:
                continue  # duplicate child within the file: all left out
            seen_ids.add(child_id)

            for cin in child_elems(child, "CINdetails"):
                referral = first_text(cin, "CINreferralDate") or ""
                for asmt in child_elems(cin, "Assessments"):
                    start_txt = first_text(asmt, "AssessmentActualStartDate") or ""
                    auth_txt = first_text(asmt, "AssessmentAuthorisationDate") or ""
                    auth = parse_iso(auth_txt)
                    if auth is None:
                        continue
                    if auth > year_end:
                        continue
                    # Choice: a missing or unparseable start date does not by
                    # itself exclude the assessment (only the stated date
                    # comparisons do, and they need a date).
                    start = parse_iso(start_txt)
                    if start is not None:
                        if start > year_end:
                            continue
                        if auth < start:
                            continue

                    codes = set()
                    ok = True
                    for el in asmt.iter():
                        if el is asmt:
                            continue
                        if local(el.tag) not in ("AssessmentFactors", "AssessmentFactor"):
                            continue
                        if any(isinstance(c.tag, str) for c in el):
                            continue  # a wrapper, not a code
                        code = (el.text or "").strip()
                        if code == "":
                            # Choice: an empty leaf (e.g. <AssessmentFactors/>)
                            # means "no factor", not an invalid code.
                            continue
                        if code not in VALID_FACTORS:
                            ok = False
                            break
                        codes.add(code)
                    if not ok:
                        continue

                    identity = (child_id, referral, start_txt, auth_txt)
                    out.append((identity, auth, codes))
    return out


def cin_year(folder, year):
    """Deduplicated valid assessments authorised in the reporting year.

    Returns None if no XML file in the folder is readable (return not sent),
    else a dict identity -> (child_id, auth_date, set(codes)).
    """
    year_start, year_end = year_bounds(year)
    sent = False
    assessments = {}
    for name in sorted_files(folder):
        # Choice: the .xml extension is matched case-insensitively.
        if not name.lower().endswith(".xml"):
            continue
        got = cin_file_assessments(os.path.join(folder, name), year)
        if got is None:
            continue
        sent = True
        for identity, auth, codes in got:
            if not (year_start <= auth <= year_end):
                continue
            if identity in assessments:
                assessments[identity][2].update(codes)
            else:
                assessments[identity] = (identity[0], auth, set(codes))
    return assessments if sent else None


# --------------------------------------------------------------------------
# SSDA903 missing table


def norm903(h):
    return h.strip().upper()


def ssda903_year(folder, year):
    """Set of valid (child, mis_start_date) with MISSING = M in the reporting
    year, or None if the folder holds no readable CSV file.

    Choice: the return counts as sent when any *.csv file in the folder is
    readable (decodes and has a header row), even if there is no `missing`
    table -- the metrics are then 0.  Several files whose stem is `missing`
    (e.g. missing.csv and MISSING.CSV) are all read.
    """
    year_start, year_end = year_bounds(year)
    sent = False
    episodes = set()
    for name in sorted_files(folder):
        stem, ext = os.path.splitext(name)
        if ext.lower() != ".csv":
            continue
        table = read_csv(os.path.join(folder, name))
        if table is None:
            continue
        sent = True
        if stem.lower() != "missing":
            continue
        header, rows = table
        i_child = column_index(header, "CHILD", norm903)
        i_missing = column_index(header, "MISSING", norm903)
        i_start = column_index(header, "MIS_START", norm903)
        i_end = column_index(header, "MIS_END", norm903)
        if i_child is None or i_missing is None or i_start is None:
            continue  # no row can be valid

        for r in rows:
            child = r[i_child].strip()
            if not child:
                continue
            if "DUMMY" in child.upper():
                continue
            kind = r[i_missing].strip().upper()
            if kind not in ("M", "A"):
                continue
            start = parse_uk(r[i_start])
            if start is None or start > year_end:
                continue
            end_txt = r[i_end].strip() if i_end is not None else ""
            if end_txt:
                end = parse_uk(end_txt)
                if end is None or end < start:
                    continue
            if kind != "M":
                continue
            if start < year_start:
                continue
            episodes.add((child, start))
    return episodes if sent else None


# --------------------------------------------------------------------------
# CS return episodes


def normcs(h):
    return re.sub(r"[^a-z0-9]", "", h.lower())


def cs_episodes(authority_dir):
    """dict child_id -> list of start dates over all quarter folders."""
    out = {}
    for q in sorted_subdirs(authority_dir):
        if not QUARTER_RE.match(q):
            continue
        qdir = os.path.join(authority_dir, q)
        for name in sorted_files(qdir):
            # Choice: episodes.csv is matched case-insensitively.
            if name.lower() != "episodes.csv":
                continue
            table = read_csv(os.path.join(qdir, name))
            if table is None:
                continue
            header, rows = table
            i_id = column_index(header, "childid", normcs)
            i_start = column_index(header, "startdate", normcs)
            if i_id is None or i_start is None:
                continue
            for r in rows:
                cid = r[i_id].strip()
                start = parse_any_date(r[i_start])
                if not cid or start is None:
                    continue
                out.setdefault(cid, []).append(start)
    return out


# --------------------------------------------------------------------------
# metrics


def compute(root):
    rows = []  # (metric, authority, period, breakdown, numerator, denominator|None)
    for code in sorted_subdirs(root):
        if not GSS_RE.match(code):
            continue
        adir = os.path.join(root, code)
        episodes = None  # loaded lazily

        cin_dir = os.path.join(adir, "cin")
        for y in sorted_subdirs(cin_dir):
            if not YEAR_RE.match(y):
                continue
            assessments = cin_year(os.path.join(cin_dir, y), int(y))
            if assessments is None:
                continue
            efh = [a for a in assessments.values() if a[2] & set(EFH_FACTORS)]
            rows.append(("cin_efh_assessments", code, y, "", len(efh), None))
            for fcode, label in EFH_FACTORS.items():
                n = sum(1 for a in assessments.values() if fcode in a[2])
                rows.append(("cin_efh_assessments", code, y, label, n, None))

            if episodes is None:
                episodes = cs_episodes(adir)
            auth_by_child = {}
            for child_id, auth, _codes in efh:
                auth_by_child.setdefault(child_id, set()).add(auth)
            matched = 0
            for child_id, auths in auth_by_child.items():
                starts = episodes.get(child_id, [])
                if any(abs((s - a).days) <= WINDOW_DAYS for s in starts for a in auths):
                    matched += 1
            rows.append(
                ("pct_efh_assessed_with_cs_episode", code, y, "", matched, len(auth_by_child))
            )

        ssda_dir = os.path.join(adir, "ssda903")
        for y in sorted_subdirs(ssda_dir):
            if not YEAR_RE.match(y):
                continue
            missing = ssda903_year(os.path.join(ssda_dir, y), int(y))
            if missing is None:
                continue
            rows.append(("lac_missing_episodes", code, y, "", len(missing), None))
            rows.append(
                ("lac_children_missing", code, y, "", len({c for c, _ in missing}), None)
            )

    totals = {}
    for metric, _code, period, breakdown, num, den in rows:
        key = (metric, period, breakdown)
        t_num, t_den = totals.get(key, (0, None))
        t_num += num
        if den is not None:
            t_den = (t_den or 0) + den
        totals[key] = (t_num, t_den)
    for (metric, period, breakdown), (num, den) in totals.items():
        rows.append((metric, "ALL", period, breakdown, num, den))

    rows.sort(key=lambda r: (r[0], r[1], r[2], r[3]))
    return rows


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: python3 statutory_expected.py RETURNS_ROOT\n")
        return 2
    root = argv[1]
    if not os.path.isdir(root):
        sys.stderr.write("not a folder: %s\n" % root)
        return 2
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(HEADER)
    for metric, code, period, breakdown, num, den in compute(root):
        w.writerow([metric, code, period, breakdown, num, "" if den is None else den])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
