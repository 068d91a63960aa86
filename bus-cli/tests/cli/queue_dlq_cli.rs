//! `bus queue tail` and `bus dlq redrive`, run as binaries against an SNS/SQS server: the one named by
//! `BUS_AWS_TEST_ENDPOINT` (as `scripts/moto.sh` and `scripts/bus-serve.sh` set it), or else a
//! `bus serve --port 0` that each test starts and stops itself. Messages get there the way an operator
//! would put them there: `bus topology apply` and `bus archive replay` to the topic.

use std::process::{Command, Stdio};

#[test]
fn the_memory_backend_has_no_queues_and_says_why() {
    for args in [["queue", "tail", "email"], ["dlq", "redrive", "email-dlq"]] {
        let out = Command::new(env!("CARGO_BIN_EXE_bus"))
            .args(args)
            .args(["--backend", "memory"])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("queue not found: email"), "{err}");
        assert!(err.contains("the memory backend starts empty"), "{err}");
    }
}

/// The tests that need a server (and the `aws` feature, on by default).
#[cfg(feature = "aws")]
mod server {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::path::{Path, PathBuf};
    use std::process::{Child, Output};
    use std::time::{Duration, UNIX_EPOCH};

    fn stdout(out: &Output) -> String {
        String::from_utf8(out.stdout.clone()).unwrap()
    }

    fn stderr(out: &Output) -> String {
        String::from_utf8(out.stderr.clone()).unwrap()
    }

    /// An SNS/SQS endpoint for the test, stopped on drop when the test started it.
    struct Server {
        endpoint: String,
        child: Option<Child>,
    }

    impl Drop for Server {
        fn drop(&mut self) {
            if let Some(child) = &mut self.child {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }

    fn server() -> Server {
        if let Ok(endpoint) = std::env::var("BUS_AWS_TEST_ENDPOINT") {
            if !endpoint.is_empty() {
                return Server { endpoint, child: None };
            }
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_bus"))
            .args(["serve", "--host", "127.0.0.1", "--port", "0"])
            .env("RUST_LOG", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start bus serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).expect("bus serve prints its address");
        let endpoint = line
            .trim()
            .strip_prefix("bus serve listening on ")
            .unwrap_or_else(|| panic!("bus serve did not start: {line:?}"))
            .to_owned();
        Server { endpoint, child: Some(child) }
    }

    impl Server {
        /// Runs `bus` with the AWS settings of this endpoint (dummy credentials, nothing beyond loopback).
        fn bus(&self, args: &[&str]) -> Output {
            Command::new(env!("CARGO_BIN_EXE_bus"))
                .args(args)
                .env("AWS_ENDPOINT_URL", &self.endpoint)
                .env("AWS_ACCESS_KEY_ID", "test")
                .env("AWS_SECRET_ACCESS_KEY", "test")
                .env("AWS_REGION", "us-east-1")
                .env("AWS_EC2_METADATA_DISABLED", "true")
                .env_remove("AWS_PROFILE")
                .env_remove("AWS_SESSION_TOKEN")
                .env_remove("AWS_ENDPOINT_URL_SNS")
                .env_remove("AWS_ENDPOINT_URL_SQS")
                .stdin(Stdio::null())
                .output()
                .expect("run bus")
        }

        fn ok(&self, args: &[&str]) -> String {
            let out = self.bus(args);
            assert_eq!(out.status.code(), Some(0), "bus {args:?}: {}", stderr(&out));
            stdout(&out)
        }
    }

    /// Names unique to this process and test, so tests can share one server.
    fn unique(test: &str) -> String {
        format!("{test}-{}", std::process::id())
    }

    /// An archive holding `types` as events, one a second.
    fn archive(dir: &Path, types: &[&str]) -> PathBuf {
        let db = dir.join("archive.sqlite3");
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let archive = bus_archive::Archive::open(&db).unwrap();
            for (i, t) in types.iter().enumerate() {
                let message = bus_core::Event::new(*t, serde_json::json!({"n": i})).to_message().unwrap();
                let time = UNIX_EPOCH + Duration::from_secs(1_767_225_600 + i as u64);
                archive.store_message(&format!("evt-{i}"), time, &message).await.unwrap();
            }
        });
        db
    }

    /// The messages of a `bus queue tail --json` run: `(sns_message_id, event_type, receive_count)`.
    fn tailed(text: &str) -> Vec<(String, String, u64)> {
        let mut v: Vec<(String, String, u64)> = text
            .lines()
            .map(|l| {
                let doc: serde_json::Value = serde_json::from_str(l).unwrap();
                (
                    doc["sns_message_id"].as_str().unwrap().to_owned(),
                    doc["event_type"].as_str().unwrap().to_owned(),
                    doc["receive_count"].as_u64().unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    }

    fn apply(server: &Server, dir: &Path, toml: &str) {
        let file = dir.join("topology.toml");
        std::fs::write(&file, toml).unwrap();
        let text = server.ok(&["topology", "apply", file.to_str().unwrap()]);
        assert!(text.contains("now in sync"), "{text}");
        let again = server.ok(&["topology", "plan", file.to_str().unwrap()]);
        assert!(again.lines().all(|l| l.starts_with("= ") || l.starts_with("plan: ")), "{again}");
    }

    #[test]
    fn tail_shows_messages_without_deleting_them() {
        let server = server();
        let dir = tempfile::tempdir().unwrap();
        let (topic, queue) = (unique("tail-events"), unique("tail-q"));
        apply(
            &server,
            dir.path(),
            &format!("[[topics]]\nname = \"{topic}\"\n[[queues]]\nname = \"{queue}\"\n[[subscriptions]]\ntopic = \"{topic}\"\nqueue = \"{queue}\"\n"),
        );
        let db = archive(dir.path(), &["USER_CREATED", "USER_COMMENT", "USER_COMMENT"]);
        let replayed = server.ok(&["archive", "replay", "--db", db.to_str().unwrap(), "--topic", &topic]);
        assert_eq!(replayed, format!("replayed 3 of 3 candidate events to {topic} (aws backend)\n"));

        let first = server.bus(&["queue", "tail", &queue, "--json"]);
        assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
        let seen = tailed(&stdout(&first));
        let types: Vec<&str> = seen.iter().map(|m| m.1.as_str()).collect();
        assert_eq!(seen.len(), 3, "{}", stdout(&first));
        assert_eq!(types.iter().filter(|t| **t == "USER_COMMENT").count(), 2);
        assert!(seen.iter().all(|m| m.2 == 1), "first receive: {seen:?}");
        assert!(stderr(&first).contains(&format!("3 messages from {queue} (left in the queue)")));

        // Still there, visible again at once, received a second time.
        let second = tailed(&server.ok(&["queue", "tail", &queue, "--json"]));
        let ids = |v: &[(String, String, u64)]| v.iter().map(|m| m.0.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&second), ids(&seen));
        assert!(second.iter().all(|m| m.2 == 2), "second receive: {second:?}");

        let text = server.ok(&["queue", "tail", &queue, "--max", "2"]);
        assert_eq!(text.lines().filter(|l| !l.starts_with(' ')).count(), 2, "{text}");
        assert!(text.contains("    {\"type\":\"USER_"), "{text}");
    }

    #[test]
    fn redrive_moves_dead_letters_back_to_their_source_queue() {
        let server = server();
        let dir = tempfile::tempdir().unwrap();
        let (topic, source, dlq) = (unique("dlq-events"), unique("dlq-src"), unique("dlq-dlq"));
        // The topic feeds the dead-letter queue directly: an easy way to fill it.
        apply(
            &server,
            dir.path(),
            &format!(
                "[[topics]]\nname = \"{topic}\"\n[[queues]]\nname = \"{dlq}\"\n[[queues]]\nname = \"{source}\"\n\
                 redrive = {{ dead_letter_queue = \"{dlq}\", max_receive_count = 3 }}\n\
                 [[subscriptions]]\ntopic = \"{topic}\"\nqueue = \"{dlq}\"\n"
            ),
        );
        let db = archive(dir.path(), &["USER_CREATED", "USER_COMMENT", "STRIPE_INCOMING_WEBHOOK", "USER_COMMENT"]);
        server.ok(&["archive", "replay", "--db", db.to_str().unwrap(), "--topic", &topic]);
        let dead = tailed(&server.ok(&["queue", "tail", &dlq, "--json"]));
        assert_eq!(dead.len(), 4);

        let moved = server.ok(&["dlq", "redrive", &dlq]);
        assert_eq!(moved, format!("moved 4 messages from {dlq} to {source}\n"));

        // The same SNS messages (envelopes kept), now in the source queue; the dead-letter queue is empty.
        let back = tailed(&server.ok(&["queue", "tail", &source, "--json"]));
        let strip = |v: &[(String, String, u64)]| v.iter().map(|m| (m.0.clone(), m.1.clone())).collect::<Vec<_>>();
        assert_eq!(strip(&back), strip(&dead));
        assert!(back.iter().all(|m| m.2 == 1), "a fresh message in the source queue: {back:?}");
        assert_eq!(server.ok(&["queue", "tail", &dlq, "--json"]), "");

        // Nothing left to move; a target that does not exist fails before anything moves.
        assert_eq!(
            server.ok(&["dlq", "redrive", &dlq, "--to", &source]),
            format!("moved 0 messages from {dlq} to {source}\n")
        );
        let out = server.bus(&["dlq", "redrive", &dlq, "--to", &unique("nowhere")]);
        assert_eq!(out.status.code(), Some(1));
        assert!(stderr(&out).contains("cannot find the target queue: queue not found"), "{}", stderr(&out));
        // A queue that is nobody's dead-letter queue needs --to.
        let out = server.bus(&["dlq", "redrive", &source]);
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains("no queue names"), "{}", stderr(&out));
    }
}
