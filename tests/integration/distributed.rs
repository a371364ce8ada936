//! The `distributed` feature: every query gives the same rows on Ballista as on the local
//! engine, and a cluster that cannot see the warehouse stops with an error instead of
//! answering with no rows.

use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use rni::engine::session::{self, Engine};

use crate::metrics::write_example_key;
use crate::util::{rni, rni_ok, temp};

/// A small warehouse from synthetic CS and statutory returns: two quarters, three authorities.
fn warehouse(dir: &Path) -> PathBuf {
    rni_ok(
        dir,
        &[
            "synth",
            "--out",
            "returns",
            "--seed",
            "5",
            "--authorities",
            "3",
            "--young-people",
            "60",
            "--periods",
            "2025Q3..2025Q4",
            "--statutory",
        ],
    );
    write_example_key(dir);
    rni_ok(dir, &["build", "--key-file", "example.key", "--returns", "returns", "--out", "wh"]);
    dir.join("wh")
}

fn standalone() -> Engine {
    Engine::Ballista { scheduler: None, query_timeout: std::time::Duration::from_secs(120) }
}

/// Rows as sorted CSV lines, floats to 12 significant digits (the engines may add a column
/// in another order).
fn lines(batches: &[RecordBatch]) -> Vec<String> {
    let mut out = Vec::new();
    for batch in batches {
        for row in 0..batch.num_rows() {
            let cells: Vec<String> = batch
                .columns()
                .iter()
                .map(|c| {
                    let text = arrow::util::display::array_value_to_string(c, row).unwrap_or_default();
                    match (c.data_type().is_floating(), text.parse::<f64>()) {
                        (true, Ok(v)) => format!("{v:.12e}"),
                        _ => text,
                    }
                })
                .collect();
            out.push(cells.join(","));
        }
    }
    out.sort();
    out
}

async fn every_query(warehouse: &Path, engine: &Engine) -> Vec<(String, Vec<String>)> {
    let schemas = rni::config::schema::Schemas::builtin().expect("schemas");
    let ctx = session::open_on(warehouse, &schemas, engine).await.expect("session");
    let mut out = Vec::new();
    for (id, sql) in rni::config::queries::QUERIES {
        let batches = rni::engine::metrics::run_sql(&ctx, sql, id).await.expect("query runs");
        out.push((id.to_string(), lines(&batches)));
    }
    for view in ["episodes_latest", "young_people_latest", "contexts_latest", "scoped_periods"] {
        let batches = rni::engine::metrics::run_sql(&ctx, &format!("select * from {view}"), view).await.expect("view");
        out.push((view.to_string(), lines(&batches)));
    }
    out
}

#[test]
fn every_query_gives_the_same_rows_on_standalone_ballista_as_on_the_local_engine() {
    let dir = temp();
    let wh = warehouse(dir.path());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let local = runtime.block_on(every_query(&wh, &Engine::Local));
    let ballista = runtime.block_on(every_query(&wh, &standalone()));
    assert_eq!(local.len(), ballista.len());
    let mut with_rows = 0;
    for ((id, l), (_, b)) in local.iter().zip(&ballista) {
        assert_eq!(l, b, "{id}: the engines disagree");
        with_rows += usize::from(!l.is_empty());
    }
    // The comparison means something only if most queries return rows.
    assert!(with_rows * 10 >= local.len() * 8, "{with_rows} of {} queries return rows", local.len());
}

#[test]
fn build_query_and_case_study_run_on_standalone_ballista_with_the_local_figures() {
    let dir = temp();
    let wh = warehouse(dir.path());
    let d = dir.path();
    rni_ok(
        d,
        &["build", "--key-file", "example.key", "--returns", "returns", "--out", "wh-b", "--engine", "standalone"],
    );
    let figures = |w: &str| std::fs::read_to_string(d.join(w).join("metrics/metric_values.csv")).expect("metrics");
    assert_eq!(figures("wh"), figures("wh-b"));
    let w = wh.to_str().expect("utf-8");
    let sql = "select authority_code, count(*) as n from episodes_scoped group by 1 order by 1";
    assert_eq!(
        rni_ok(d, &["query", w, sql, "--format", "csv"]),
        rni_ok(d, &["query", w, sql, "--format", "csv", "--engine", "standalone"])
    );
    for (out, engine) in [("cs-local", "local"), ("cs-ballista", "standalone")] {
        rni_ok(d, &["case-study", "--warehouse", w, "--authority", "E09000017", "--out", out, "--engine", engine]);
    }
    // Display names and record numbers are drawn afresh for every export, so two exports are
    // compared by what disclosure control did and by their sizes.
    for file in ["disclosure-report.json", "profile_metrics.csv"] {
        let read = |out: &str| std::fs::read_to_string(d.join(out).join(file)).unwrap_or_default();
        assert!(!read("cs-local").is_empty(), "{file} written");
        assert_eq!(read("cs-local"), read("cs-ballista"), "{file}");
    }
    for file in ["young_people.csv", "episodes.csv", "reviews.csv", "contexts.csv"] {
        let lines = |out: &str| std::fs::read_to_string(d.join(out).join(file)).unwrap_or_default().lines().count();
        assert!(lines("cs-local") > 1, "{file} has rows");
        assert_eq!(lines("cs-local"), lines("cs-ballista"), "{file}");
    }
}

#[test]
fn a_query_stops_with_an_error_past_its_time_limit() {
    let dir = temp();
    let wh = warehouse(dir.path());
    // Every combination of four episodes, each one hashed: far more than a second's work.
    let sql = "select count(distinct a.episode_id || b.episode_id || c.episode_id || d.episode_id) \
               from episodes a, episodes b, episodes c, episodes d";
    let w = wh.to_str().expect("utf-8");
    let out = rni(dir.path(), &["query", w, sql, "--engine", "standalone", "--query-timeout", "1"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no answer within 1 s"), "{stderr}");
}

#[test]
fn a_cluster_that_counts_fewer_rows_than_the_files_hold_stops_the_session() {
    let dir = temp();
    let wh = warehouse(dir.path());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let schemas = rni::config::schema::Schemas::builtin().expect("schemas");
    runtime.block_on(async {
        // Opening checks every table: here the cluster sees what the files hold.
        let ctx = session::open_on(&wh, &schemas, &standalone()).await.expect("the files are visible");
        let batches =
            rni::engine::metrics::run_sql(&ctx, "select count(*) from episodes", "count").await.expect("count");
        let rows = arrow::array::cast::as_primitive_array::<arrow::datatypes::Int64Type>(batches[0].column(0)).value(0);
        assert!(rows > 0);
        let place = wh.join("tables/episodes").display().to_string();
        assert!(
            rni::engine::cluster::check_visible(&ctx, &[("episodes".into(), rows as u64, place.clone())]).await.is_ok()
        );
        // A scheduler that lists fewer files than this machine sees counts fewer rows.
        let error = rni::engine::cluster::check_visible(&ctx, &[("episodes".into(), rows as u64 + 1, place)])
            .await
            .expect_err("stops");
        let message = error.to_string();
        assert!(message.contains("table episodes") && message.contains("same address"), "{message}");
        // A metric with no rows although its inputs hold rows stops the build; one whose input
        // is empty may be empty.
        let silent = "-- inputs: episodes, codes\nselect * from episodes where false";
        let error = rni::engine::cluster::check_not_silently_empty(&ctx, "m", silent).await.expect_err("stops");
        assert!(error.to_string().contains("metric m came back with no rows"), "{error}");
        let empty_input = "-- inputs: episodes, adoption_none\nselect 1";
        let none = rni::engine::cluster::check_not_silently_empty(&ctx, "m", empty_input).await;
        assert!(none.is_err(), "an unknown input is an error, not a pass");
        // No Annex A return here: its tables are empty (VALUES views with no rows).
        let legit = "-- inputs: codes, annex_a_list_1\nselect 1 where false";
        assert!(rni::engine::cluster::check_not_silently_empty(&ctx, "m", legit).await.is_ok());
    });
}
