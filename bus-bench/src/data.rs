//! Loading the benchmark inputs: the cl2 policy families and the citylots event lines.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::error::BenchError;

/// One family of `cl2-policies.json`: a name and its body-scope SNS filter policies.
#[derive(Debug, Clone)]
pub struct Family {
    /// The family's name (`EXACT`, `PREFIX`, ...).
    pub name: String,
    /// Its policies, as JSON values.
    pub policies: Vec<Value>,
}

/// The order in which the families are reported (the README's); other families follow by name.
pub const FAMILY_ORDER: [&str; 9] = [
    "EXACT",
    "PREFIX",
    "SUFFIX",
    "EQUALS_IGNORE_CASE",
    "WILDCARD",
    "ANYTHING_BUT",
    "NUMERIC",
    "COMPLEX_ARRAYS",
    "COMBO",
];

/// Reads `cl2-policies.json` (`{"families": {"NAME": [policy, ...], ...}}`), families in [`FAMILY_ORDER`].
pub fn load_families(path: &Path) -> Result<Vec<Family>, BenchError> {
    let text = std::fs::read_to_string(path).map_err(|source| BenchError::Read { path: path.to_owned(), source })?;
    parse_families(&text).map_err(|reason| BenchError::BadPolicies { path: path.to_owned(), reason })
}

/// Parses the text of a policies file; see [`load_families`].
pub fn parse_families(text: &str) -> Result<Vec<Family>, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let families = doc.get("families").and_then(Value::as_object).ok_or("no \"families\" object")?;
    let mut out = families
        .iter()
        .map(|(name, policies)| {
            let policies = policies.as_array().ok_or_else(|| format!("family {name} is not an array"))?;
            Ok(Family { name: name.clone(), policies: policies.clone() })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let rank = |name: &str| FAMILY_ORDER.iter().position(|f| *f == name).unwrap_or(FAMILY_ORDER.len());
    out.sort_by(|a, b| rank(&a.name).cmp(&rank(&b.name)).then_with(|| a.name.cmp(&b.name)));
    Ok(out)
}

/// Reads up to `limit` non-empty lines of a JSON-lines file (the citylots `cl2` data, uncompressed).
pub fn load_lines(path: &Path, limit: Option<usize>) -> Result<Vec<String>, BenchError> {
    let read_err = |source| BenchError::Read { path: path.to_owned(), source };
    let file = std::fs::File::open(path).map_err(read_err)?;
    let mut lines = Vec::new();
    for line in BufReader::with_capacity(1 << 20, file).lines() {
        if limit.is_some_and(|n| lines.len() >= n) {
            break;
        }
        let line = line.map_err(read_err)?;
        if !line.trim().is_empty() {
            lines.push(line);
        }
    }
    if lines.is_empty() {
        return Err(BenchError::NoEvents { path: path.to_owned() });
    }
    Ok(lines)
}

/// The full size of the citylots stand-in (the real file's line count).
pub const CITYLOTS_FULL: usize = 213_068;
/// The seed the benchmark README uses.
pub const CITYLOTS_SEED: u64 = 20_240_601;

/// The path of the uncompressed cl2 data for `n` lines in `dir`.
pub fn citylots_path(dir: &Path, n: usize, seed: u64) -> PathBuf {
    if seed == CITYLOTS_SEED {
        dir.join(format!("cl2-{n}.jsonl"))
    } else {
        dir.join(format!("cl2-{n}-seed{seed}.jsonl"))
    }
}

/// Makes sure `dir` holds the cl2 data for `n` lines, generating it with `script` (`gen_citylots.py`,
/// through `python3`, then `gzip -dc`) when it is missing. Returns the data file and whether it was generated.
///
/// The file appears only when complete (written under a temporary name, then renamed).
pub fn ensure_citylots(script: &Path, dir: &Path, n: usize, seed: u64) -> Result<(PathBuf, bool), BenchError> {
    let out = citylots_path(dir, n, seed);
    if out.is_file() {
        return Ok((out, false));
    }
    let gen_err = |reason: String| BenchError::Generate { reason };
    let work = dir.join(format!("gen-{n}-{seed}-{}", std::process::id()));
    std::fs::create_dir_all(&work).map_err(|e| gen_err(format!("cannot create {}: {e}", work.display())))?;
    let result = generate(script, &work, &out, n, seed);
    let _ = std::fs::remove_dir_all(&work);
    result.map(|()| (out, true)).map_err(gen_err)
}

fn generate(script: &Path, work: &Path, out: &Path, n: usize, seed: u64) -> Result<(), String> {
    let (cl1, cl2) = (work.join("cl1.json.gz"), work.join("cl2.json.gz"));
    let status = Command::new("python3")
        .arg(script)
        .arg(n.to_string())
        .arg(seed.to_string())
        .arg(&cl1)
        .arg(&cl2)
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run python3 {}: {e}", script.display()))?;
    if !status.success() {
        return Err(format!("python3 {} failed: {status}", script.display()));
    }
    let tmp = work.join("cl2.jsonl");
    let file = std::fs::File::create(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
    let status =
        Command::new("gzip").arg("-dc").arg(&cl2).stdout(file).status().map_err(|e| format!("cannot run gzip: {e}"))?;
    if !status.success() {
        return Err(format!("gzip -dc {} failed: {status}", cl2.display()));
    }
    std::fs::rename(&tmp, out).map_err(|e| format!("cannot move the data to {}: {e}", out.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_come_in_the_report_order() {
        let f = parse_families(
            r#"{"about": "x", "families": {"ZZ": [{"a": ["1"]}], "PREFIX": [{"b": ["2"]}, {"c": [3]}], "EXACT": [{"d": ["4"]}]}}"#,
        )
        .unwrap();
        let names: Vec<&str> = f.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["EXACT", "PREFIX", "ZZ"]);
        assert_eq!(f[1].policies.len(), 2);
    }

    #[test]
    fn bad_policy_files_are_reported() {
        assert!(parse_families("[]").unwrap_err().contains("families"));
        assert!(parse_families(r#"{"families": {"X": {}}}"#).unwrap_err().contains("X"));
    }

    #[test]
    fn the_shipped_policies_parse() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/cl2-policies.json");
        let f = load_families(&path).unwrap();
        assert_eq!(f.len(), 9);
        assert!(f.iter().all(|f| !f.policies.is_empty()));
    }
}
