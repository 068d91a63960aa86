//! `bus filter conformance`, run as a binary on the vector files in `tests/data/`.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn bus(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bus")).args(args).output().expect("run bus")
}

fn conformance(files: &[&str]) -> Output {
    let mut args: Vec<std::ffi::OsString> = vec!["filter".into(), "conformance".into()];
    args.extend(files.iter().map(|f| data(f).into_os_string()));
    let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    bus(&refs)
}

fn stdout_lines(out: &Output) -> Vec<String> {
    String::from_utf8(out.stdout.clone()).unwrap().lines().map(str::to_owned).collect()
}

fn vectors(name: &str) -> Vec<Value> {
    std::fs::read_to_string(data(name))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn every_vector_gets_one_line_in_order_and_all_pass() {
    let out = conformance(&["valid.jsonl", "invalid.jsonl"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    let lines = stdout_lines(&out);
    let expected: Vec<Value> = vectors("valid.jsonl").into_iter().chain(vectors("invalid.jsonl")).collect();
    assert_eq!(lines.len(), expected.len() + 1, "one line per vector plus the closing line");
    for (line, vector) in lines.iter().zip(&expected) {
        let got: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?} is not JSON: {e}"));
        let obj = got.as_object().unwrap();
        assert_eq!(obj["id"], vector["id"], "{line}");
        assert_eq!(obj.len(), 2, "exactly id and one outcome: {line}");
        if let Some(expect) = vector.get("expect") {
            assert_eq!(obj.get("matched"), Some(expect), "{line}");
        } else {
            let reason = obj["error"].as_str().unwrap_or_else(|| panic!("error expected: {line}"));
            assert!(reason.contains(vector["error_contains"].as_str().unwrap()), "{line}");
        }
    }
    assert_eq!(lines.last().unwrap(), &format!("{} passed, 0 failed", expected.len()));
}

#[test]
fn output_lines_start_with_the_id() {
    let out = conformance(&["invalid.jsonl"]);
    for line in stdout_lines(&out).iter().filter(|l| l.starts_with('{')) {
        assert!(line.starts_with("{\"id\":"), "{line}");
    }
}

#[test]
fn a_wrong_expectation_fails_with_status_1() {
    let out = conformance(&["wrong.jsonl"]);
    assert_eq!(out.status.code(), Some(1));
    let lines = stdout_lines(&out);
    assert_eq!(lines[0], r#"{"id":"ok-match","matched":true}"#);
    assert_eq!(lines[1], r#"{"id":"deliberately-wrong","matched":true}"#);
    assert!(lines[2].starts_with(r#"{"id":"ok-invalid","error":"#), "{}", lines[2]);
    assert!(lines[2].contains("Empty arrays are not allowed"), "{}", lines[2]);
    assert_eq!(lines[3], "2 passed, 1 failed");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("wrong.jsonl:2: deliberately-wrong: expected matched=false, got matched=true"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one diagnostic, for the failed vector: {stderr}");
}

#[test]
fn malformed_lines_count_as_failed_and_blank_lines_are_skipped() {
    let out = conformance(&["malformed.jsonl"]);
    assert_eq!(out.status.code(), Some(1));
    let lines = stdout_lines(&out);
    assert_eq!(lines, vec![r#"{"id":"ok-no-attrs","matched":false}"#.to_owned(), "1 passed, 2 failed".to_owned()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("malformed.jsonl:3: invalid vector: vector is not valid JSON"), "{stderr}");
    assert!(
        stderr.contains("malformed.jsonl:4: invalid vector: vector \"no-expectation\": exactly one of"),
        "{stderr}"
    );
}

#[test]
fn an_unreadable_file_is_invalid_input_with_no_partial_output() {
    let out = conformance(&["valid.jsonl", "does-not-exist.jsonl"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot read") && stderr.contains("does-not-exist.jsonl"), "{stderr}");
}

#[test]
fn no_file_is_a_usage_error() {
    let out = bus(&["filter".as_ref(), "conformance".as_ref()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("FILE.jsonl"));
}

#[test]
fn the_project_vectors_all_pass() {
    // The project's copy of the shared conformance vectors (bus-core's test data).
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../bus-core/tests/data/filter");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    assert!(files.len() >= 2, "vectors and invalid vectors: {files:?}");
    let vectors: usize = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap().lines().filter(|l| !l.trim().is_empty()).count())
        .sum();
    let mut args: Vec<&std::ffi::OsStr> = vec!["filter".as_ref(), "conformance".as_ref()];
    args.extend(files.iter().map(|f| f.as_os_str()));
    let out = bus(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let lines = stdout_lines(&out);
    assert_eq!(lines.len(), vectors + 1);
    assert_eq!(lines.last().unwrap(), &format!("{vectors} passed, 0 failed"));
}
