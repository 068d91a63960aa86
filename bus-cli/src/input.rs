//! Command-line arguments that are either a file or the text itself (`--policy FILE|JSON`, `--body FILE|TEXT`).

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::CliError;

/// Where an argument's content came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The argument was the text itself.
    Inline,
    /// The argument named a file.
    File(PathBuf),
    /// The argument was `-`: standard input.
    Stdin,
}

/// Resolves a `FILE|TEXT` argument: `-` reads standard input, the name of an existing file reads that
/// file, anything else is the text itself.
///
/// An argument that is not an existing file but looks like a path (it has a `/` or ends with `.json`,
/// `.txt` or `.jsonl`, and does not start like JSON) is reported as a missing file rather than taken as
/// text, so that a typo in a file name does not turn into a confusing JSON error.
pub fn file_or_text(what: &'static str, arg: &str) -> Result<(String, Source), CliError> {
    if arg == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(CliError::ReadStdin)?;
        return Ok((text, Source::Stdin));
    }
    let path = Path::new(arg);
    if path.is_file() {
        let text =
            std::fs::read_to_string(path).map_err(|source| CliError::ReadFile { path: path.to_owned(), source })?;
        return Ok((text, Source::File(path.to_owned())));
    }
    if looks_like_path(arg) {
        return Err(CliError::NoSuchFile { what, path: path.to_owned() });
    }
    Ok((arg.to_owned(), Source::Inline))
}

fn looks_like_path(arg: &str) -> bool {
    let t = arg.trim_start();
    let starts_like_json = t.starts_with(['{', '[', '"']);
    let has_ext = [".json", ".jsonl", ".txt"].iter().any(|ext| t.ends_with(ext));
    !starts_like_json && !t.contains(char::is_whitespace) && (t.contains('/') || has_ext)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_json_is_text() {
        let (text, src) = file_or_text("--policy", r#"{"a": ["b"]}"#).unwrap();
        assert_eq!(text, r#"{"a": ["b"]}"#);
        assert_eq!(src, Source::Inline);
    }

    #[test]
    fn missing_file_is_reported() {
        let err = file_or_text("--policy", "no/such/policy.json").unwrap_err();
        assert!(matches!(err, CliError::NoSuchFile { what: "--policy", .. }), "{err}");
    }

    #[test]
    fn plain_words_are_text() {
        let (text, _) = file_or_text("--body", "hello world").unwrap();
        assert_eq!(text, "hello world");
        let (text, _) = file_or_text("--body", "plain").unwrap();
        assert_eq!(text, "plain");
    }

    #[test]
    fn existing_file_is_read() {
        let path = std::env::temp_dir().join(format!("bus-cli-input-{}.json", std::process::id()));
        std::fs::write(&path, "{\"x\": [1]}").unwrap();
        let (text, src) = file_or_text("--policy", path.to_str().unwrap()).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(text, "{\"x\": [1]}");
        assert_eq!(src, Source::File(path));
    }
}
