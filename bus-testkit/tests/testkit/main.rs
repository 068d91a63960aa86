//! bus-testkit's integration tests: one test binary, a module per area, so that the workspace links a handful of test
//! binaries rather than one per file (each links the whole dependency tree).

mod fault_decorators;
mod faults;
mod harness;
mod strategies;
mod suite_catches_faults;
