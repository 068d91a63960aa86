//! Test support for the filter engine: the reference evaluator and proptest strategies.

#![allow(dead_code)]

pub mod reference;
pub mod strategies;
