//! `bus serve` as a process: prints its endpoint, answers, stops cleanly on SIGTERM, and refuses a
//! bad configuration with exit status 1.

#![cfg(unix)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn bus() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bus"))
}

#[test]
fn serves_until_sigterm() {
    let mut child = bus()
        .args(["serve", "--port", "0", "--region", "eu-west-1"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("bus starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("a first line");
    let endpoint = line.trim().strip_prefix("bus serve listening on http://").expect("the endpoint line").to_owned();

    let mut s = TcpStream::connect(&endpoint).expect("it listens");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let form = "Action=CreateTopic&Name=t";
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: {endpoint}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
        form.len()
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("<TopicArn>arn:aws:sns:eu-west-1:000000000000:t</TopicArn>"), "{answer}");

    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let t0 = Instant::now();
    loop {
        if let Some(code) = child.try_wait().unwrap() {
            assert!(code.success(), "a clean stop: {code:?}");
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(10), "bus serve did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_bad_account_id_is_refused() {
    let out = bus().args(["serve", "--port", "0", "--account-id", "12"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("account"), "{}", String::from_utf8_lossy(&out.stderr));
}
