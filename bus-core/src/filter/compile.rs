//! Compilation, step one: expand `$or` into branches (disjunctive normal form).
//!
//! A policy becomes a list of *conditions* (a key path and its rule list) and *branches* (AND-groups of
//! conditions); the policy matches if some branch matches. Expansion follows event-ruler's
//! `JsonRuleCompiler` in document order: a key seen again in the same branch replaces the earlier one
//! (`{"a": ["x"], "$or": [{"a": ["y"]}, {"b": ["z"]}]}` gives the branches `{a: y}` and `{a: x, b: z}`).
//! The combination limit has been checked before, so there are at most 150 branches.

use super::ast::{Member, PolicyAst, Rule};
use super::validate::join;

/// One condition: the values at `path` must satisfy at least one of `rules`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Condition {
    /// The key path, object keys joined with `.`.
    pub(crate) path: String,
    /// The rule list (OR).
    pub(crate) rules: Vec<Rule>,
}

/// A policy as conditions and branches. No branches means "matches everything".
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct CompiledPolicy {
    pub(crate) conditions: Vec<Condition>,
    /// Each branch lists condition indices, at most one per path.
    pub(crate) branches: Vec<Vec<usize>>,
}

impl CompiledPolicy {
    /// Whether this is the empty policy (every message matches).
    pub(crate) fn is_match_all(&self) -> bool {
        self.branches.is_empty()
    }
}

/// Expands a validated policy.
pub(crate) fn compile(ast: &PolicyAst) -> CompiledPolicy {
    if ast.members.is_empty() {
        return CompiledPolicy::default();
    }
    let mut leaves: Vec<Condition> = Vec::new();
    // Each branch: (path, leaf index) pairs in insertion order.
    let mut branches: Vec<Vec<(String, usize)>> = vec![Vec::new()];
    expand(&ast.members, "", &mut branches, &mut leaves);

    // Keep only the leaves some branch still uses, renumbered densely.
    let mut remap = vec![usize::MAX; leaves.len()];
    let mut conditions = Vec::new();
    let mut out_branches = Vec::with_capacity(branches.len());
    for branch in branches {
        let mut ids = Vec::with_capacity(branch.len());
        for (_, leaf) in branch {
            if remap[leaf] == usize::MAX {
                remap[leaf] = conditions.len();
                conditions.push(leaves[leaf].clone());
            }
            ids.push(remap[leaf]);
        }
        out_branches.push(ids);
    }
    CompiledPolicy { conditions, branches: out_branches }
}

fn expand(members: &[Member], prefix: &str, branches: &mut Vec<Vec<(String, usize)>>, leaves: &mut Vec<Condition>) {
    for member in members {
        match member {
            Member::Leaf { key, rules } => {
                let path = join(prefix, key);
                let id = leaves.len();
                leaves.push(Condition { path: path.clone(), rules: rules.clone() });
                for branch in branches.iter_mut() {
                    match branch.iter_mut().find(|(p, _)| *p == path) {
                        Some(entry) => entry.1 = id,
                        None => branch.push((path.clone(), id)),
                    }
                }
            }
            Member::Nested { key, members } => expand(members, &join(prefix, key), branches, leaves),
            Member::Or { alternatives } => {
                let current = std::mem::take(branches);
                for alt in alternatives {
                    let mut forked = current.clone();
                    expand(alt, prefix, &mut forked, leaves);
                    branches.extend(forked);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::json::Json;
    use crate::filter::parse::parse_policy;

    fn branches(text: &str) -> Vec<Vec<String>> {
        let c = compile(&parse_policy(&Json::parse(text).unwrap()).unwrap());
        c.branches.iter().map(|b| b.iter().map(|&i| c.conditions[i].path.clone()).collect()).collect()
    }

    #[test]
    fn or_expands_into_branches_with_siblings_anded() {
        let b = branches(
            r#"{"$or":[{"metricName":["a"]},{"namespace":["b"]}],
                "detail":{"scope":["Service"],"$or":[{"source":["c"]},{"type":["d"]}]}}"#,
        );
        assert_eq!(
            b,
            vec![
                vec!["metricName", "detail.scope", "detail.source"],
                vec!["namespace", "detail.scope", "detail.source"],
                vec!["metricName", "detail.scope", "detail.type"],
                vec!["namespace", "detail.scope", "detail.type"],
            ]
        );
    }

    #[test]
    fn a_repeated_key_replaces_the_earlier_one_in_its_branch() {
        let text = r#"{"a": ["x"], "$or": [{"a": ["y"]}, {"b": ["z"]}]}"#;
        let c = compile(&parse_policy(&Json::parse(text).unwrap()).unwrap());
        assert_eq!(c.branches.len(), 2);
        let first: Vec<&Condition> = c.branches[0].iter().map(|&i| &c.conditions[i]).collect();
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].rules, vec![Rule::Literal(crate::filter::ast::Literal::String("y".into()))]);
        assert_eq!(branches(text)[1], vec!["a", "b"]);
        assert_eq!(branches(r#"{"a.b": ["x"], "a": {"b": ["y"]}}"#), vec![vec!["a.b"]]);
    }

    #[test]
    fn empty_policy_has_no_branches() {
        assert!(compile(&PolicyAst { members: vec![] }).is_match_all());
    }
}
