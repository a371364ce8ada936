//! Statutory returns beside the CS return: the CIN census (XML), SSDA903 (CSV) and Annex A
//! (XLSX), read from synthetic returns and from public sample files
//! (`tests/fixtures/statutory/`, see its SOURCES.md).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{decoded_parquet, read_tree, rni, rni_ok, temp};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/statutory")
}

fn put(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
    std::fs::copy(from, to).expect("copy");
}

/// Synthetic CS and statutory returns for two authorities, with the public sample files added to
/// Hillingdon's: a CIN census for 2022 and 2024, SSDA903 for 2018, Annex A at 2024-01-31.
fn returns(dir: &Path) -> PathBuf {
    let returns = dir.join("returns");
    rni_ok(
        dir,
        &[
            "synth",
            "--out",
            "returns",
            "--authorities",
            "2",
            "--young-people",
            "120",
            "--periods",
            "2025Q1..2025Q4",
            "--statutory",
            "--seed",
            "7",
            "-q",
        ],
    );
    let f = fixtures();
    let h = returns.join("E09000017");
    put(&f.join("cin/fake_CIN_data.xml"), &h.join("cin/2022/fake_CIN_data.xml"));
    put(&f.join("cin/CIN_Census_2024.xml"), &h.join("cin/2024/CIN_Census_2024.xml"));
    for table in ["header", "episodes", "missing", "uasc", "reviews", "oc2"] {
        put(&f.join(format!("ssda903/{table}.csv")), &h.join(format!("ssda903/2018/{table}.csv")));
    }
    put(&f.join("annex_a/Annex_A_2024_Jan.xlsx"), &h.join("annex_a/2024-01-31/Annex_A_2024_Jan.xlsx"));
    returns
}

fn build(dir: &Path) -> (PathBuf, String) {
    std::fs::write(dir.join("k.key"), format!("{}\n", "ab".repeat(32))).expect("key");
    let out = Command::new(crate::util::rni_path())
        .current_dir(dir)
        .env("RNI_LOG", "rni=debug")
        .args(["build", "--returns", "returns", "--out", "wh", "--key-file", "k.key", "--log-format", "plain"])
        .output()
        .expect("run rni");
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    // The sample files hold rows that break rules (future dates, an invalid factor code): exit 1.
    assert!(out.status.code().is_some_and(|c| c <= 1), "{said}");
    (dir.join("wh"), said)
}

type Figures = BTreeMap<(String, String, String, String), (String, String)>;

const STATUTORY_METRICS: [&str; 4] =
    ["cin_efh_assessments", "lac_missing_episodes", "lac_children_missing", "pct_efh_assessed_with_cs_episode"];

fn figures(path: &Path, skip_withheld: bool) -> Figures {
    let mut reader = csv::Reader::from_path(path).expect("csv");
    let headers = reader.headers().expect("headers").clone();
    let at = |name: &str| headers.iter().position(|h| h == name).expect(name);
    let (m, a, p, b, n, d) =
        (at("metric"), at("authority_code"), at("period"), at("breakdown"), at("numerator"), at("denominator"));
    let status = headers.iter().position(|h| h == "status");
    reader
        .records()
        .map(|r| r.expect("row"))
        .filter(|r| STATUTORY_METRICS.contains(&&r[m]))
        .filter(|r| !skip_withheld || status.is_none_or(|s| &r[s] != "x"))
        .map(|r| ((r[m].into(), r[a].into(), r[p].into(), r[b].into()), (r[n].into(), r[d].into())))
        .collect()
}

/// Each statutory metric, computed again from the input files by a separate program written
/// from the metric definitions alone (tests/python/statutory_expected.py), agrees with the build.
#[test]
fn statutory_metrics_agree_with_an_independent_computation() {
    let dir = temp();
    let returns = returns(dir.path());
    let (wh, _) = build(dir.path());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/statutory_expected.py");
    let out = Command::new("python3").arg(&script).arg(&returns).output().expect("python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let expected_path = dir.path().join("expected.csv");
    std::fs::write(&expected_path, &out.stdout).expect("write");
    let expected = figures(&expected_path, false);
    let built = figures(&wh.join("restricted/metric_values_exact.csv"), true);
    let differ: Vec<String> = expected
        .keys()
        .chain(built.keys())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter(|k| expected.get(*k) != built.get(*k))
        .map(|k| format!("{k:?}: independent {:?}, rni {:?}", expected.get(k), built.get(k)))
        .collect();
    assert!(differ.is_empty(), "{} of {} figures differ:\n{}", differ.len(), expected.len(), differ.join("\n"));
    // The comparison is not empty: every metric has figures, and some are not zero.
    for metric in STATUTORY_METRICS {
        let nonzero = built.iter().filter(|(k, (n, _))| k.0 == metric && !n.is_empty() && n != "0").count();
        assert!(nonzero > 0, "{metric} has no figure above zero");
    }
    let linked = &built
        [&("pct_efh_assessed_with_cs_episode".to_string(), "E09000017".to_string(), "2026".to_string(), String::new())];
    let (n, d): (u32, u32) = (linked.0.parse().expect("n"), linked.1.parse().expect("d"));
    assert!(0 < n && n < d, "the linked question has a non-trivial answer: {n} of {d}");
}

/// Every table of every source is written, and a child links across the CS return and the
/// CIN census by the person pseudonym alone.
#[test]
fn statutory_tables_are_written_and_children_link_across_sources() {
    let dir = temp();
    returns(dir.path());
    let (wh, _) = build(dir.path());
    for (table, period) in [
        ("cin_children", "2024"),
        ("cin_referrals", "2022"),
        ("cin_assessments", "2026"),
        ("lac_children", "2018"),
        ("lac_episodes", "2025"),
        ("lac_missing", "2018"),
        ("lac_reviews", "2018"),
        ("annex_a_list_1", "2024-01-31"),
        ("annex_a_list_11", "2024-01-31"),
    ] {
        let file = wh.join(format!("tables/{table}/authority_code=E09000017/period={period}/part-0.parquet"));
        assert!(file.is_file(), "{} missing", file.display());
    }
    // No metric is computed per Annex A date: no row, not even an `x`, has one as its period.
    let published = std::fs::read_to_string(wh.join("metrics/metric_values.csv")).expect("metrics");
    assert!(!published.contains(",2024-01-31,"), "a metric row for an Annex A date");
    let sql = dir.path().join("linked.sql");
    std::fs::write(
        &sql,
        "select count(distinct a.person_id) as numerator from cin_assessments a \
         join episodes e on e.person_id = a.person_id and e.authority_code = a.authority_code",
    )
    .expect("sql");
    let out =
        rni_ok(dir.path(), &["query", wh.to_str().expect("utf-8"), sql.to_str().expect("utf-8"), "--format", "csv"]);
    let linked: u32 = out.lines().nth(1).and_then(|l| l.trim().parse().ok()).expect("a count");
    assert!(linked > 10, "children assessed under the CIN census are found in the CS return: {linked}");
}

fn tokens(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).map(str::to_uppercase).collect()
}

fn between<'a>(text: &'a str, tag: &str) -> Vec<&'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    text.split(&open).skip(1).filter_map(|rest| rest.split(&close).next()).map(str::trim).collect()
}

/// Every date in a text, as `YYYY-MM-DD` (written so, or `DD/MM/YYYY`).
fn dates_in(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let b = text.as_bytes();
    let digits = |w: &[u8]| w.iter().all(u8::is_ascii_digit);
    let s = |w: &[u8]| String::from_utf8_lossy(w).into_owned();
    for w in b.windows(10) {
        if digits(&w[0..4]) && w[4] == b'-' && digits(&w[5..7]) && w[7] == b'-' && digits(&w[8..10]) {
            out.insert(s(w));
        } else if digits(&w[0..2]) && w[2] == b'/' && digits(&w[3..5]) && w[5] == b'/' && digits(&w[6..10]) {
            out.insert(format!("{}-{}-{}", s(&w[6..10]), s(&w[3..5]), s(&w[0..2])));
        }
    }
    out
}

/// No child id, UPN or date of birth of a statutory file reaches the warehouse (tables decoded,
/// every other file as text) or the build's log, and the audit passed.
#[test]
fn no_statutory_identifier_or_birth_date_reaches_any_output() {
    let dir = temp();
    let returns = returns(dir.path());
    let (wh, said) = build(dir.path());
    let (mut ids, mut births, mut events) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for (path, bytes) in read_tree(&returns) {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let name = path.to_string_lossy().to_lowercase();
        if name.ends_with(".xml") {
            for tag in ["LAchildID", "UPN", "FormerUPN"] {
                ids.extend(between(&text, tag).into_iter().map(str::to_uppercase));
            }
            for tag in ["PersonBirthDate", "ExpectedPersonBirthDate"] {
                births.extend(between(&text, tag).into_iter().flat_map(dates_in));
            }
            let mut rest = text.clone();
            for tag in ["PersonBirthDate", "ExpectedPersonBirthDate", "PersonDeathDate"] {
                for v in between(&text, tag) {
                    rest = rest.replace(&format!("<{tag}>{v}</{tag}>"), "");
                }
            }
            events.extend(dates_in(&rest));
        } else if name.ends_with(".xlsx") && name.contains("annex_a") {
            use calamine::Reader;
            let mut book = calamine::open_workbook_auto(returns.join(&path)).expect("workbook");
            for sheet in book.sheet_names() {
                let range = book.worksheet_range(&sheet).expect("sheet");
                let mut rows = range.rows();
                let headers: Vec<String> =
                    rows.next().map(|r| r.iter().map(|c| c.to_string().to_lowercase()).collect()).unwrap_or_default();
                for row in rows {
                    for (h, cell) in headers.iter().zip(row) {
                        let text = match cell {
                            calamine::Data::DateTime(d) => {
                                d.as_datetime().map(|t| t.date().to_string()).unwrap_or_default()
                            }
                            other => other.to_string(),
                        };
                        if h.contains("birth") {
                            births.extend(dates_in(&text));
                        } else {
                            events.extend(dates_in(&text));
                        }
                    }
                }
            }
        } else if name.contains("ssda903") && name.ends_with(".csv") {
            let mut reader = csv::Reader::from_reader(bytes.as_slice());
            let headers: Vec<String> = reader.headers().expect("headers").iter().map(str::to_uppercase).collect();
            for row in reader.records().flatten() {
                for (h, v) in headers.iter().zip(row.iter()) {
                    match h.as_str() {
                        "CHILD" | "UPN" => {
                            ids.insert(v.trim().to_uppercase());
                        }
                        "DOB" | "MC_DOB" | "DUC" => births.extend(dates_in(v)),
                        _ => events.extend(dates_in(v)),
                    }
                }
            }
        } else if name.ends_with(".csv") {
            // The CS return: its event dates (episodes, reviews, panels) are events too.
            let mut reader = csv::Reader::from_reader(bytes.as_slice());
            let headers: Vec<String> = reader.headers().expect("headers").iter().map(str::to_lowercase).collect();
            for row in reader.records().flatten() {
                for (h, v) in headers.iter().zip(row.iter()) {
                    if !h.contains("birth") {
                        events.extend(dates_in(v));
                    }
                }
            }
        }
    }
    // Ids of five digits or fewer are left out: row counts and days in outputs meet them by chance.
    ids.retain(|id| id.len() >= 6 || id.chars().any(|c| c.is_ascii_alphabetic()));
    assert!(ids.len() > 500 && births.len() > 500, "ids {} births {}", ids.len(), births.len());
    let mut text = decoded_parquet(&wh);
    for (path, bytes) in read_tree(&wh) {
        if path.extension().is_none_or(|e| e != "parquet") {
            text.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    text.push_str(&said);
    let seen = tokens(&text);
    let leaked: Vec<&String> = ids.iter().filter(|id| seen.contains(*id)).collect();
    assert!(
        leaked.is_empty(),
        "{} statutory ids or UPNs in the outputs, e.g. {:?}",
        leaked.len(),
        &leaked[..leaked.len().min(5)]
    );
    // A date of birth may be kept only where it is also the date of an event of some return (a
    // referral on the day a baby is born): no birth date reaches the outputs otherwise.
    let out_dates = dates_in(&text);
    let leaked: Vec<&String> = births.iter().filter(|d| out_dates.contains(*d) && !events.contains(*d)).collect();
    assert!(
        leaked.is_empty(),
        "{} dates of birth in the outputs, e.g. {:?}",
        leaked.len(),
        &leaked[..leaked.len().min(5)]
    );
    assert!(!said.contains("raw identifier found"), "{said}");
}

/// Hostile statutory files: each fault is reported by file, row (or line), column and rule, never
/// a value, and the rest of the returns goes on.
#[test]
fn hostile_statutory_files_are_reported_and_isolated() {
    let dir = temp();
    let d = dir.path();
    let h = d.join("returns/E09000017");
    let write = |rel: &str, text: &str| {
        let path = h.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    let child = |id: &str, factor: &str| {
        format!(
            "<Child><ChildIdentifiers><LAchildID>{id}</LAchildID><PersonBirthDate>2012-05-06</PersonBirthDate>\
             <Sex>1</Sex></ChildIdentifiers><CINdetails><CINreferralDate>2024-06-01</CINreferralDate>\
             <Assessments><AssessmentActualStartDate>2024-06-02</AssessmentActualStartDate>\
             <AssessmentAuthorisationDate>2024-06-20</AssessmentAuthorisationDate><FactorsIdentifiedAtAssessment>\
             <AssessmentFactors>{factor}</AssessmentFactors></FactorsIdentifiedAtAssessment></Assessments>\
             </CINdetails></Child>\n"
        )
    };
    // 2025: a good child, a duplicate child, a placeholder child and an invalid factor code.
    write(
        "cin/2025/census.xml",
        &format!(
            "<Message>\n<Children>\n{}{}{}{}</Children>\n</Message>\n",
            child("ZQK8812", "24A"),
            child("ZQK8812", "24A"),
            child("*DUMMY*", "10A"),
            child("ZQK8813", "RB")
        ),
    );
    // 2024: cut short; 2023: the wrong root element.
    write(
        "cin/2024/census.xml",
        &format!("<Message>\n<Children>\n{}<Child><ChildIdentifiers>", child("ZQK9901", "11A")),
    );
    write("cin/2023/census.xml", &format!("<EXPSSDA903>\n{}</EXPSSDA903>\n", child("ZQK9902", "11A")));
    // SSDA903 with shuffled, lowercase headers and a dummy row.
    write(
        "ssda903/2025/MISSING.csv",
        "mis_end,missing,child,mis_start,dob\n,M,ZQK8812,03/05/2024,06/05/2012\n,M,DUMMY9,04/05/2024,\n",
    );
    write("2025Q1/young_people.csv", "child_id,date_of_birth,gender\nZQK8812,2012-05-06,M\n");
    let out = rni(d, &["validate", "returns", "--report", "problems.csv", "--log-format", "plain"]);
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("is not a well-formed XML file") && said.contains("cut short"), "{said}");
    assert!(said.contains("root element is not `Message`"), "{said}");
    let problems = std::fs::read_to_string(d.join("problems.csv")).expect("report");
    let has = |table: &str, column: &str, rule: &str| {
        problems.lines().any(|l| l.contains(&format!(",{table},")) && l.contains(&format!(",{column},{rule},")))
    };
    assert!(has("cin_children", "child_id", "unique"), "{problems}");
    assert!(has("cin_children", "child_id", "dummy"), "{problems}");
    assert!(has("cin_assessments", "factors", "code"), "{problems}");
    assert!(has("lac_missing", "child_id", "dummy"), "{problems}");
    // The good rows went on: the CS return and the 903 row of the good child.
    assert!(said.contains("lac_missing") && said.contains("young_people"), "{said}");
    for secret in ["ZQK8812", "ZQK8813", "ZQK9901", "ZQK9902", "2012-05-06", "06/05/2012"] {
        assert!(!said.contains(secret) && !problems.contains(secret), "{secret} was shown");
    }
}

/// An Annex A workbook without some of its lists: they are named as missing, the rest is read.
#[test]
fn an_annex_a_workbook_missing_a_list_is_read_and_the_list_reported() {
    let dir = temp();
    let d = dir.path();
    let to = d.join("returns/E09000017/annex_a/2024-01-31/annex_a.xlsx");
    std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
    // A workbook with List 1 only, written with the sample's header row.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet().set_name("List 1").expect("name");
    for (c, h) in ["Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Date of Contact", "Contact Source"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).expect("header");
    }
    for (c, v) in ["QX77120", "a) Male", "a) WBRI", "05/06/2012", "01/12/2023", "Police"].iter().enumerate() {
        sheet.write_string(1, c as u16, *v).expect("cell");
    }
    book.save(&to).expect("save");
    let out = rni(d, &["validate", "returns", "--report", "problems.csv", "--log-format", "plain"]);
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(said.contains("annex_a_list_1 ") && said.contains("annex_a_list_2"), "{said}");
    assert!(said.lines().any(|l| l.contains("annex_a_list_9") && l.contains("no file or sheet")), "{said}");
    assert!(!said.contains("QX77120"), "{said}");
}

/// A statutory return can be given on its own, or with the other years of its source.
#[test]
fn one_statutory_return_or_one_source_can_be_given_alone() {
    let dir = temp();
    returns(dir.path());
    for (root, labels) in [
        ("returns/E09000017/cin", vec!["cin/2022", "cin/2024", "cin/2025", "cin/2026"]),
        ("returns/E09000017/ssda903/2018", vec!["ssda903/2018"]),
        ("returns/E09000017/annex_a/2024-01-31", vec!["annex_a/2024-01-31"]),
    ] {
        let out = rni(dir.path(), &["validate", root, "--report", "problems.csv", "--log-format", "plain"]);
        let said = String::from_utf8_lossy(&out.stdout).into_owned();
        let seen: BTreeSet<&str> =
            said.lines().filter_map(|l| l.split_whitespace().nth(1)).filter(|l| l.contains('/')).collect();
        assert_eq!(seen, labels.into_iter().collect(), "{root}: {said}");
    }
}
