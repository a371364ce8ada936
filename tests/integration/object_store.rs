//! Warehouses, returns and packages on an S3-compatible server (moto's, started here on
//! 127.0.0.1 from the test venv's Python): the same figures as a local build, and a build
//! killed at any moment never leaves a reader half a warehouse.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::metrics::write_example_key;
use crate::util::{rni_ok, rni_path, temp};

/// An S3-compatible server for one test, stopped when dropped.
struct S3 {
    child: Child,
    endpoint: String,
    python: PathBuf,
}

impl Drop for S3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The venv's Python with moto, if there is one (`RNI_VENV`, else ~/.cache/rni-venv).
fn python_with_moto() -> Option<PathBuf> {
    let venv = std::env::var_os("RNI_VENV")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/rni-venv")))?;
    let python = venv.join("bin/python");
    let ok = Command::new(&python).args(["-c", "import moto.server, boto3"]).output().ok()?.status.success();
    ok.then_some(python)
}

/// Starts the server and makes the bucket `rni`; `None` (the test is skipped, saying so) when
/// moto is not installed and `RNI_REQUIRE_S3` is not set; CI sets it.
#[allow(clippy::print_stderr)] // says why the test did nothing on a machine without moto
fn s3() -> Option<S3> {
    let Some(python) = python_with_moto() else {
        assert!(std::env::var_os("RNI_REQUIRE_S3").is_none(), "RNI_REQUIRE_S3 is set but moto is not installed");
        eprintln!("skipped: no Python with moto (pip install 'moto[server]' in the venv)");
        return None;
    };
    let port = TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("addr").port();
    let child = Command::new(&python)
        .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto starts");
    let server = S3 { child, endpoint: format!("http://127.0.0.1:{port}"), python };
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "moto did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    server.boto(&["create_bucket"], "s3.create_bucket(Bucket='rni')");
    Some(server)
}

impl S3 {
    fn env(&self, command: &mut Command) {
        command
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT", &self.endpoint)
            .env("AWS_ALLOW_HTTP", "true")
            .env_remove("RNI_KEY_FILE")
            .env("RNI_LOG", "info");
    }

    /// Runs Python with a boto3 client `s3` on this server.
    fn boto(&self, what: &[&str], code: &str) -> String {
        let script = format!(
            "import boto3, os, sys\ns3 = boto3.client('s3', endpoint_url='{}', aws_access_key_id='test', \
             aws_secret_access_key='test', region_name='us-east-1')\n{code}\n",
            self.endpoint
        );
        let out = Command::new(&self.python).args(["-c", &script]).output().expect("python runs");
        assert!(out.status.success(), "{what:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Uploads a folder under a key prefix.
    fn upload(&self, folder: &Path, prefix: &str) {
        let code = format!(
            "root = {folder:?}\nfor d, _, files in os.walk(root):\n    for f in files:\n        p = os.path.join(d, f)\n        \
             s3.upload_file(p, 'rni', '{prefix}/' + os.path.relpath(p, root))"
        );
        self.boto(&["upload"], &code);
    }

    /// Every key under a prefix.
    fn keys(&self, prefix: &str) -> Vec<String> {
        let code = format!(
            "for page in s3.get_paginator('list_objects_v2').paginate(Bucket='rni', Prefix='{prefix}'):\n    \
             for o in page.get('Contents', []): print(o['Key'])"
        );
        let mut keys: Vec<String> = self.boto(&["list"], &code).lines().map(str::to_string).collect();
        keys.sort();
        keys
    }

    fn rni(&self, dir: &Path, args: &[&str]) -> Output {
        let mut command = Command::new(rni_path());
        command.args(args).current_dir(dir);
        self.env(&mut command);
        command.output().expect("rni runs")
    }

    fn rni_ok(&self, dir: &Path, args: &[&str]) -> String {
        let out = self.rni(dir, args);
        assert!(
            out.status.success(),
            "rni {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

fn returns(dir: &Path, seed: &str) {
    rni_ok(
        dir,
        &[
            "synth",
            "--out",
            "returns",
            "--seed",
            seed,
            "--authorities",
            "3",
            "--young-people",
            "60",
            "--periods",
            "2025Q4",
        ],
    );
    write_example_key(dir);
}

const FIGURES: &str = "select * from metric_values order by metric, authority_code, period, breakdown";

#[test]
fn build_query_and_case_study_on_s3_give_the_figures_of_a_local_build() {
    let Some(s3) = s3() else { return };
    let dir = temp();
    let d = dir.path();
    returns(d, "8");
    s3.upload(&d.join("returns"), "in/returns");
    // Raw returns read from the store, the warehouse published to it; the same returns locally.
    s3.rni_ok(d, &["build", "--key-file", "example.key", "--returns", "s3://rni/in/returns", "--out", "s3://rni/wh"]);
    rni_ok(d, &["build", "--key-file", "example.key", "--returns", "returns", "--out", "wh"]);
    let builds = s3.keys("wh/");
    assert!(builds.contains(&"wh/CURRENT".to_string()), "{builds:?}");
    assert!(builds.iter().any(|k| k.ends_with("/MANIFEST.json")), "{builds:?}");
    assert!(builds.iter().any(|k| k.contains("/tables/episodes/authority_code=")), "{builds:?}");
    let local = rni_ok(d, &["query", "wh", FIGURES, "--format", "csv"]);
    let remote = s3.rni_ok(d, &["query", "s3://rni/wh", FIGURES, "--format", "csv"]);
    assert!(local.lines().count() > 20, "{local}");
    assert_eq!(local, remote);
    // Read in place: the tables and views, on the local engine and on Ballista, whose executor
    // reads the objects itself.
    let sql = "select authority_code, count(*) as n from episodes_scoped group by 1 order by 1";
    let tables = rni_ok(d, &["query", "wh", sql, "--format", "csv"]);
    assert!(tables.lines().count() > 2, "{tables}");
    assert_eq!(s3.rni_ok(d, &["query", "s3://rni/wh", sql, "--format", "csv"]), tables);
    assert_eq!(s3.rni_ok(d, &["query", "s3://rni/wh", sql, "--format", "csv", "--engine", "standalone"]), tables);
    assert_eq!(s3.rni_ok(d, &["query", "s3://rni/wh", FIGURES, "--format", "csv", "--engine", "standalone"]), local);
    // A case study from the store's warehouse is the local one's.
    s3.rni_ok(d, &["case-study", "--warehouse", "s3://rni/wh", "--authority", "E09000017", "--out", "cs-s3"]);
    rni_ok(d, &["case-study", "--warehouse", "wh", "--authority", "E09000017", "--out", "cs-local"]);
    let standalone = ["--authority", "E09000017", "--out", "cs-s3-ballista", "--engine", "standalone"];
    s3.rni_ok(d, &[&["case-study", "--warehouse", "s3://rni/wh"][..], &standalone[..]].concat());
    // Display names and record numbers are drawn afresh for every export: two exports are
    // compared by what disclosure control did and by their sizes.
    for file in ["disclosure-report.json", "profile_metrics.csv"] {
        let read = |out: &str| std::fs::read_to_string(d.join(out).join(file)).unwrap_or_default();
        assert!(!read("cs-local").is_empty(), "{file} written");
        assert_eq!(read("cs-local"), read("cs-s3"), "{file}");
        assert_eq!(read("cs-local"), read("cs-s3-ballista"), "{file}");
    }
    for file in ["young_people.csv", "episodes.csv"] {
        let lines = |out: &str| std::fs::read_to_string(d.join(out).join(file)).unwrap_or_default().lines().count();
        assert!(lines("cs-local") > 1, "{file} has rows");
        assert_eq!(lines("cs-local"), lines("cs-s3"), "{file}");
    }
    // Nothing changed: a second build reuses every return; with --keep-builds 1 one build is left.
    let log = s3.rni(
        d,
        &[
            "build",
            "--key-file",
            "example.key",
            "--returns",
            "s3://rni/in/returns",
            "--out",
            "s3://rni/wh",
            "--keep-builds",
            "1",
        ],
    );
    assert!(log.status.success(), "{}", String::from_utf8_lossy(&log.stderr));
    let ids: std::collections::BTreeSet<String> =
        s3.keys("wh/builds/").iter().filter_map(|k| k.split('/').nth(2).map(str::to_string)).collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(s3.rni_ok(d, &["query", "s3://rni/wh", FIGURES, "--format", "csv"]), local);
    // A package made at source and left on the store builds the same figures.
    rni_ok(d, &["prepare", "--key-file", "example.key", "returns", "--out", "pkg"]);
    s3.upload(&d.join("pkg"), "in/pkg");
    s3.rni_ok(d, &["build", "--key-file", "example.key", "--packages", "s3://rni/in/pkg", "--out", "s3://rni/wh-pkg"]);
    assert_eq!(s3.rni_ok(d, &["query", "s3://rni/wh-pkg", FIGURES, "--format", "csv"]), local);
}

#[test]
fn a_missing_warehouse_is_a_clear_error() {
    let Some(s3) = s3() else { return };
    let dir = temp();
    let out = s3.rni(dir.path(), &["query", "s3://rni/nothing-here", "select 1"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no warehouse is published at s3://rni/nothing-here"), "{stderr}");
}

/// The keys under a prefix, straight from the server (one HTTP request, no client start-up, so
/// that a test can watch an upload as it happens).
fn list_now(endpoint: &str, prefix: &str) -> Vec<String> {
    use std::io::{Read, Write};
    let host = endpoint.trim_start_matches("http://");
    let Ok(mut stream) = std::net::TcpStream::connect(host) else { return Vec::new() };
    let request = format!("GET /rni?list-type=2&prefix={prefix} HTTP/1.0\r\nHost: {host}\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return Vec::new();
    }
    let mut body = String::new();
    let _ = stream.read_to_string(&mut body);
    body.split("<Key>").skip(1).filter_map(|k| k.split("</Key>").next()).map(str::to_string).collect()
}

/// A reader at any moment of a build that is killed while it publishes sees one whole build:
/// the old one until the pointer moves, the new one after.
#[test]
fn a_build_killed_while_publishing_never_leaves_a_reader_half_a_warehouse() {
    let Some(s3) = s3() else { return };
    let dir = temp();
    let d = dir.path();
    returns(d, "9");
    let build = ["build", "--key-file", "example.key", "--returns", "returns", "--out", "s3://rni/wh"];
    s3.rni_ok(d, &build);
    let first = s3.rni_ok(d, &["query", "s3://rni/wh", FIGURES, "--format", "csv"]);
    let files = list_now(&s3.endpoint, "wh/builds/").len();
    assert!(files > 20, "{files} files in a build");
    // New returns for the next builds, so that each one publishes different figures.
    std::fs::remove_dir_all(d.join("returns")).expect("remove");
    returns(d, "10");
    s3.rni_ok(d, &build);
    let second = s3.rni_ok(d, &["query", "s3://rni/wh", FIGURES, "--format", "csv"]);
    assert_ne!(first, second);
    // Each build is killed once its upload has begun, after a different number of its files
    // (from the first to the last); then a reader must find one build whole, the old or the new,
    // never an error or a mixture, and the pointer must name a build with its manifest.
    let mut killed_uploading = 0;
    for i in 0..8usize {
        std::fs::remove_dir_all(d.join("returns")).expect("remove");
        returns(d, if i % 2 == 0 { "9" } else { "10" });
        let before: std::collections::BTreeSet<String> = list_now(&s3.endpoint, "wh/builds/").into_iter().collect();
        let mut command = Command::new(rni_path());
        command.args(build).current_dir(d).stdout(Stdio::null()).stderr(Stdio::null());
        s3.env(&mut command);
        let mut child = command.spawn().expect("build starts");
        let after = 1 + i * files / 8;
        let started = Instant::now();
        loop {
            let new = list_now(&s3.endpoint, "wh/builds/").into_iter().filter(|k| !before.contains(k)).count();
            if new >= after || child.try_wait().expect("status").is_some() {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(300), "the build never uploaded");
            std::thread::sleep(Duration::from_millis(2));
        }
        if child.try_wait().expect("status").is_none() {
            killed_uploading += 1;
        }
        let _ = child.kill();
        let _ = child.wait();
        let now = s3.rni_ok(d, &["query", "s3://rni/wh", FIGURES, "--format", "csv"]);
        assert!(
            now == first || now == second,
            "after a kill {after} files into the upload, the figures are neither build's"
        );
        let pointer = s3.boto(&["get"], "print(s3.get_object(Bucket='rni', Key='wh/CURRENT')['Body'].read().decode())");
        let id = pointer.split('"').nth(3).expect("a build id").to_string();
        assert!(s3.keys(&format!("wh/builds/{id}/")).contains(&format!("wh/builds/{id}/MANIFEST.json")));
    }
    assert!(killed_uploading >= 6, "only {killed_uploading} of 8 builds were killed while uploading");
}
