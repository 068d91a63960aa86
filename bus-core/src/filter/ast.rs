//! The parsed form of a policy: objects, keys and rules, before validation and compilation.

use super::cidr::Cidr;
use super::number::{NumericRange, Quantum};
use super::wildcard::Wildcard;

/// A parsed policy. An empty member list is the policy that matches everything (`{}` or `""`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PolicyAst {
    pub(crate) members: Vec<Member>,
}

/// One member of a policy object, in document order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Member {
    /// `key: [rules]`: a leaf key.
    Leaf { key: String, rules: Vec<Rule> },
    /// `key: {...}`: a nested object (MessageBody scope only).
    Nested { key: String, members: Vec<Member> },
    /// `"$or": [{...}, {...}, ...]`: alternatives, each an AND-group at the current level.
    Or { alternatives: Vec<Vec<Member>> },
}

/// One rule of a rule list.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Rule {
    /// An exact literal.
    Literal(Literal),
    /// `{"prefix": s}`.
    Prefix(String),
    /// `{"suffix": s}`.
    Suffix(String),
    /// `{"equals-ignore-case": s}`.
    EqualsIgnoreCase(String),
    /// `{"wildcard": s}`.
    Wildcard(Wildcard),
    /// `{"anything-but": ...}`.
    AnythingBut(AnythingBut),
    /// `{"numeric": [...]}`.
    Numeric(NumericRange),
    /// `{"exists": b}`.
    Exists(bool),
    /// `{"cidr": s}`.
    Cidr(Cidr),
}

/// An exact-match literal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    /// A string: byte-exact equality with a string value.
    String(String),
    /// A number: equality with a number value, quantised.
    Number(Quantum),
    /// `true` / `false`.
    Bool(bool),
    /// `null`.
    Null,
}

/// The operand of `anything-but`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AnythingBut {
    /// A string or list of strings: excludes those strings.
    Strings(Vec<String>),
    /// A number or list of numbers: excludes those numbers.
    Numbers(Vec<Quantum>),
    /// `{"prefix": s}`: excludes strings with this prefix.
    Prefix(String),
    /// `{"suffix": s}`: excludes strings with this suffix.
    Suffix(String),
    /// `{"wildcard": s}`: excludes strings matching the pattern.
    Wildcard(Wildcard),
}

impl Member {
    /// Whether this member is a nested object, or contains one (inside `$or` alternatives too).
    pub(crate) fn has_nested(&self) -> bool {
        match self {
            Member::Leaf { .. } => false,
            Member::Nested { .. } => true,
            Member::Or { alternatives } => alternatives.iter().flatten().any(Member::has_nested),
        }
    }
}
