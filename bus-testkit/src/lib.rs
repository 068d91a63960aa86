//! `bus-testkit`: test harness, proptest strategies, fault injection and the one conformance suite every backend runs.
//!
//! Not yet written: issue 6 fills this crate.
