//! W1, matching throughput: per cl2 policy family, one full pass over the citylots lines (body scope, the
//! raw JSON text as published) for our engine and its baselines, measured in the same run.

use bus_core::filter::{FilterScope, FilterSet, SnsFilterPolicy};
use bus_core::Message;

use crate::data::Family;
use crate::error::BenchError;
use crate::measure::{interleaved_passes, Lane, Pass};
use crate::naive::NaivePolicy;
use crate::quamina_baseline;

/// The figures of one family.
#[derive(Debug, Clone)]
pub struct FamilyResult {
    /// The family's name.
    pub name: String,
    /// Number of policies in the family.
    pub policies: usize,
    /// Our engine, all of the family's policies in one `FilterSet`.
    pub ours_set: Pass,
    /// Our engine, one `SnsFilterPolicy::matches_body` call per policy per event.
    pub ours_each: Pass,
    /// quamina with the same patterns, or why it was skipped.
    pub quamina: Result<Pass, String>,
    /// The naive evaluator (parse once per event, walk the tree per policy).
    pub naive: Pass,
}

impl FamilyResult {
    /// events/s of our `FilterSet` over quamina's, if quamina ran.
    pub fn ratio_quamina(&self) -> Option<f64> {
        self.quamina.as_ref().ok().map(|q| self.ours_set.events_per_sec() / q.events_per_sec())
    }

    /// events/s of our `FilterSet` over the naive evaluator's.
    pub fn ratio_naive(&self) -> f64 {
        self.ours_set.events_per_sec() / self.naive.events_per_sec()
    }

    /// The engines whose match counts differ from our `FilterSet`'s, with their counts.
    pub fn disagreements(&self) -> Vec<(&'static str, u64)> {
        let mut out = Vec::new();
        let reference = self.ours_set.matches;
        let mut check = |name, p: &Pass| {
            if p.matches != reference {
                out.push((name, p.matches));
            }
        };
        check("ours one-by-one", &self.ours_each);
        if let Ok(q) = &self.quamina {
            check("quamina", q);
        }
        check("naive", &self.naive);
        out
    }
}

/// Wraps event lines as published messages (body = the raw line), once, before any timing.
pub fn messages(lines: Vec<String>) -> Vec<Message> {
    lines.into_iter().map(Message::new).collect()
}

/// Events per block in the interleaved passes (see [`interleaved_passes`]).
pub const BLOCK: usize = 256;

/// Compiles a family's policies for every engine, then runs one full pass per engine, the passes
/// interleaved block by block (see [`interleaved_passes`]).
pub fn run_family(family: &Family, events: &[Message]) -> Result<FamilyResult, BenchError> {
    let compiled = family
        .policies
        .iter()
        .enumerate()
        .map(|(index, p)| {
            SnsFilterPolicy::from_value(p, FilterScope::MessageBody).map_err(|e| BenchError::PolicyRejected {
                family: family.name.clone(),
                index,
                reason: e.reason,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut set = FilterSet::new();
    for (id, p) in compiled.iter().enumerate() {
        set.insert(id, Some(p.clone()));
    }
    let naive: Vec<NaivePolicy> = family.policies.iter().filter_map(NaivePolicy::new).collect();
    let quamina = quamina_baseline::build(&family.policies);

    let mut out = Vec::with_capacity(family.policies.len());
    let mut lanes: Vec<Lane<'_, Message>> = vec![
        Box::new(|m: &Message| {
            out.clear();
            set.matching(m, &mut out);
            out.len()
        }),
        Box::new(|m: &Message| compiled.iter().filter(|p| p.matches_body(&m.body)).count()),
        Box::new(|m: &Message| match serde_json::from_str::<serde_json::Value>(&m.body) {
            Ok(v) => naive.iter().filter(|p| p.matches_value(&v)).count(),
            Err(_) => 0,
        }),
    ];
    if let Ok(q) = &quamina {
        // An event quamina cannot parse counts as no match (the generated lines are all valid JSON).
        lanes.push(Box::new(move |m: &Message| q.matches_for_event(m.body.as_bytes()).map_or(0, |v| v.len())));
    }
    let passes = interleaved_passes(events, BLOCK, &mut lanes);
    drop(lanes);
    let (ours_set, ours_each, naive) = (passes[0], passes[1], passes[2]);
    let quamina = quamina.map(|_| passes[3]);
    Ok(FamilyResult { name: family.name.clone(), policies: family.policies.len(), ours_set, ours_each, quamina, naive })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_small_family_runs_on_every_engine() {
        let family = Family {
            name: "T".into(),
            policies: vec![
                json!({"properties": {"STREET": ["MASON"]}}),
                json!({"properties": {"STREET": [{"prefix": "MA"}]}}),
            ],
        };
        let events = messages(vec![
            r#"{"properties": {"STREET": "MASON"}}"#.into(),
            r#"{"properties": {"STREET": "MARKET"}}"#.into(),
            r#"{"properties": {"STREET": "OAK"}}"#.into(),
        ]);
        let r = run_family(&family, &events).unwrap();
        assert_eq!(r.policies, 2);
        for p in [&r.ours_set, &r.ours_each, r.quamina.as_ref().unwrap(), &r.naive] {
            assert_eq!(p.events, 3);
        }
        // The baselines do not depend on our engine: their counts are the truth here.
        assert_eq!(r.naive.matches, 3);
        assert_eq!(r.quamina.as_ref().unwrap().matches, 3);
    }

    #[test]
    fn a_family_quamina_cannot_express_is_skipped_with_a_reason() {
        let family = Family { name: "OR".into(), policies: vec![json!({"$or": [{"a": ["1"]}, {"b": ["2"]}]})] };
        let r = run_family(&family, &messages(vec![r#"{"a": "1"}"#.into()])).unwrap();
        assert!(r.quamina.unwrap_err().contains("$or"));
        assert_eq!(r.naive.matches, 1);
    }
}
