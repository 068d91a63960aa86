//! The `bus` command.
fn main() {}
