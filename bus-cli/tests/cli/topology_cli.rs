//! `bus topology plan|apply` on the memory backend, run as a binary on TOML and JSON files.

use std::path::{Path, PathBuf};

use crate::common::{bus, stderr, stdout};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const SEED: &str = r#"
[[topics]]
name = "events"

[[queues]]
name = "email-dlq"

[[queues]]
name = "email"
visibility_timeout = 60
redrive = { dead_letter_queue = "email-dlq", max_receive_count = 5 }

[[queues]]
name = "archive"

[[subscriptions]]
topic = "events"
queue = "email"
filter_policy = { "event-type" = ["USER_CREATED", "USER_COMMENT"] }

[[subscriptions]]
topic = "events"
queue = "archive"
raw_message_delivery = true
"#;

#[test]
fn plan_on_memory_shows_the_whole_topology_as_new() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "seed.toml", SEED);
    let out = bus(&["topology", "plan", file.to_str().unwrap(), "--backend", "memory"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let headers: Vec<&str> = text.lines().filter(|l| !l.starts_with(' ')).collect();
    assert_eq!(
        headers,
        [
            "+ topic events",
            "+ queue email-dlq",
            "+ queue email",
            "+ queue archive",
            "+ subscription events -> email",
            "+ subscription events -> archive",
            "plan: 6 to create, 0 to update, 0 in sync",
        ]
    );
    assert!(text.contains("+ queue email\n    VisibilityTimeout = 60\n"), "{text}");
    assert!(
        text.contains(
            r#"RedrivePolicy = {"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:email-dlq","maxReceiveCount":5}"#
        ),
        "{text}"
    );
    assert!(text.contains(r#"FilterPolicy = {"event-type":["USER_CREATED","USER_COMMENT"]}"#), "{text}");
    assert!(text.contains("+ subscription events -> archive\n    RawMessageDelivery = true\n"), "{text}");
}

#[test]
fn apply_on_memory_validates_applies_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "seed.toml", SEED);
    let out = bus(&["topology", "apply", file.to_str().unwrap(), "--backend", "memory"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("+ topic events\n"), "{text}");
    assert!(text.ends_with("applied on the memory backend: 6 created, 0 updated; now in sync\n"), "{text}");
    assert!(stderr(&out).contains("gone when `bus` exits"));
}

#[test]
fn json_files_and_policies_as_strings_are_read_too() {
    let dir = tempfile::tempdir().unwrap();
    let json = serde_json::json!({
        "topics": [{"name": "events"}],
        "queues": [{"name": "billing", "delay": 5}],
        "subscriptions": [{"topic": "events", "queue": "billing",
            "filter_policy": {"amount": [{"numeric": [">", 100]}]}, "filter_policy_scope": "MessageBody"}],
    });
    let file = write(dir.path(), "seed.json", &json.to_string());
    let out = bus(&["topology", "plan", file.to_str().unwrap(), "--backend", "memory"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("    DelaySeconds = 5\n"), "{}", stdout(&out));
    assert!(stdout(&out).contains("    FilterPolicyScope = MessageBody\n"), "{}", stdout(&out));

    let toml = "[[topics]]\nname = \"events\"\n[[queues]]\nname = \"q\"\n[[subscriptions]]\ntopic = \"events\"\nqueue = \"q\"\nfilter_policy = '{\"event-type\": [{\"prefix\": \"USER_\"}]}'\n";
    let file = write(dir.path(), "string-policy.toml", toml);
    let out = bus(&["topology", "plan", file.to_str().unwrap(), "--backend", "memory"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains(r#"FilterPolicy = {"event-type":[{"prefix":"USER_"}]}"#), "{}", stdout(&out));
}

#[test]
fn an_invalid_filter_policy_is_refused_with_aws_reason_text() {
    let dir = tempfile::tempdir().unwrap();
    let bad = SEED.replace(r#"["USER_CREATED", "USER_COMMENT"]"#, r#"["USER_CREATED", { prefix = 5 }]"#);
    let file = write(dir.path(), "bad.toml", &bad);
    for command in ["plan", "apply"] {
        let out = bus(&["topology", command, file.to_str().unwrap(), "--backend", "memory"]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert_eq!(stdout(&out), "", "nothing is planned or applied");
        assert_eq!(
            stderr(&out),
            "error: invalid filter policy of subscription events -> email: prefix match pattern must be a string\n  \
             SNS would answer: Invalid parameter: FilterPolicy: prefix match pattern must be a string\n"
        );
    }
    let empty = SEED.replace(r#"["USER_CREATED", "USER_COMMENT"]"#, "[]");
    let file = write(dir.path(), "empty.toml", &empty);
    let out = bus(&["topology", "plan", file.to_str().unwrap(), "--backend", "memory"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("Invalid parameter: FilterPolicy: Empty arrays are not allowed"), "{}", stderr(&out));
}

#[test]
fn broken_files_and_topologies_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("syntax.toml", "[[topics]\nname = \"events\"\n", "as TOML: TOML parse error at line 1"),
        ("unknown.toml", "[[topics]]\nname = \"events\"\ncolour = \"blue\"\n", "unknown field `colour`"),
        ("syntax.json", "{\"topics\": [}", "as JSON: "),
        (
            "dangling.toml",
            "[[topics]]\nname = \"events\"\n[[subscriptions]]\ntopic = \"events\"\nqueue = \"nowhere\"\n",
            "invalid topology: queue not found: nowhere",
        ),
        (
            "range.toml",
            "[[queues]]\nname = \"q\"\nvisibility_timeout = 43201\n",
            "invalid topology: invalid parameter VisibilityTimeout: must be between 0 and 43200 seconds",
        ),
    ];
    for (name, text, expected) in cases {
        let file = write(dir.path(), name, text);
        let out = bus(&["topology", "plan", file.to_str().unwrap(), "--backend", "memory"]);
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
        assert!(stderr(&out).contains(expected), "{name}: {}", stderr(&out));
    }
    let out = bus(&["topology", "plan", dir.path().join("none.toml").to_str().unwrap(), "--backend", "memory"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("topology: no such file"), "{}", stderr(&out));
}
