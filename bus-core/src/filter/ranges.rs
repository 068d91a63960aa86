//! Indexes for the operators that are not plain equality, so their cost follows the number of rules that
//! match rather than the number registered: `prefix` / `suffix` by operand length, `numeric` ranges by
//! their bounds.

use super::hash::LookupMap;
use super::number::{NumericRange, Quantum};

/// `prefix` (or `suffix`) operands, looked up by slicing the value at each distinct operand length.
#[derive(Debug, Clone, Default)]
pub(crate) struct AffixIndex {
    by_text: LookupMap<Box<str>, Vec<u32>>,
    /// Distinct operand lengths in bytes, ascending.
    lengths: Vec<usize>,
}

impl AffixIndex {
    pub(crate) fn add(&mut self, operand: &str, cond: u32) {
        let conds = self.by_text.entry_or_insert_with(operand.into(), Vec::new);
        if conds.last() != Some(&cond) {
            conds.push(cond);
        }
        if let Err(at) = self.lengths.binary_search(&operand.len()) {
            self.lengths.insert(at, operand.len());
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.lengths.is_empty()
    }

    /// Calls `hit` with the conditions of every operand that is a prefix of `s` (or a suffix if
    /// `suffix`). An operand ends on a character boundary, so a slice that is not one cannot match.
    #[inline]
    pub(crate) fn for_each(&self, s: &str, suffix: bool, mut hit: impl FnMut(&[u32])) {
        for &len in &self.lengths {
            if len > s.len() {
                break;
            }
            let piece = if suffix { s.get(s.len() - len..) } else { s.get(..len) };
            if let Some(conds) = piece.and_then(|p| self.by_text.get(p)) {
                hit(conds);
            }
        }
    }
}

/// Sort key of a lower bound: a value `v` satisfies it iff `2v >= key`.
fn lower_key(range: &NumericRange) -> i128 {
    match range.lower {
        None => i128::MIN,
        Some(b) => 2 * i128::from(b.value) + i128::from(!b.inclusive),
    }
}

/// Sort key of an upper bound: a value `v` satisfies it iff `2v <= key`.
fn upper_key(range: &NumericRange) -> i128 {
    match range.upper {
        None => i128::MAX,
        Some(b) => 2 * i128::from(b.value) - i128::from(!b.inclusive),
    }
}

/// `numeric` ranges in two sorted lists: a query walks whichever of "lower bound satisfied" and "upper
/// bound satisfied" is shorter and checks the other bound, so it costs at most the smaller of the two
/// sets (and at least the number of matches).
#[derive(Debug, Clone, Default)]
pub(crate) struct RangeIndex {
    /// (lower key, upper key, condition), ascending by lower key.
    by_lower: Vec<(i128, i128, u32)>,
    /// (upper key, lower key, condition), ascending by upper key.
    by_upper: Vec<(i128, i128, u32)>,
}

impl RangeIndex {
    pub(crate) fn add(&mut self, range: &NumericRange, cond: u32) {
        let (lo, hi) = (lower_key(range), upper_key(range));
        let at = self.by_lower.partition_point(|e| e.0 <= lo);
        self.by_lower.insert(at, (lo, hi, cond));
        let at = self.by_upper.partition_point(|e| e.0 <= hi);
        self.by_upper.insert(at, (hi, lo, cond));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.by_lower.is_empty()
    }

    /// Calls `hit` for every range containing the quantised value `q`.
    #[inline]
    pub(crate) fn for_each(&self, q: Quantum, mut hit: impl FnMut(u32)) {
        let v = 2 * i128::from(q);
        let lower_ok = self.by_lower.partition_point(|e| e.0 <= v);
        let upper_from = self.by_upper.partition_point(|e| e.0 < v);
        if lower_ok <= self.by_upper.len() - upper_from {
            for &(_, hi, cond) in &self.by_lower[..lower_ok] {
                if v <= hi {
                    hit(cond);
                }
            }
        } else {
            for &(_, lo, cond) in &self.by_upper[upper_from..] {
                if v >= lo {
                    hit(cond);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::number::Bound;

    fn range(lower: Option<(i64, bool)>, upper: Option<(i64, bool)>) -> NumericRange {
        NumericRange {
            lower: lower.map(|(value, inclusive)| Bound { value, inclusive }),
            upper: upper.map(|(value, inclusive)| Bound { value, inclusive }),
        }
    }

    #[test]
    fn range_index_agrees_with_direct_checks() {
        let ranges = [
            range(Some((0, false)), Some((150, true))),
            range(Some((1, true)), Some((2, false))),
            range(None, Some((0, false))),
            range(Some((100, true)), None),
            range(Some((5, true)), Some((5, true))),
            range(Some((-10, true)), Some((-5, false))),
            range(None, Some((i64::MAX, true))),
        ];
        let mut index = RangeIndex::default();
        for (i, r) in ranges.iter().enumerate() {
            index.add(r, i as u32);
        }
        for q in [-20, -10, -6, -5, -1, 0, 1, 2, 5, 99, 100, 150, 151, i64::MIN, i64::MAX] {
            let mut got = Vec::new();
            index.for_each(q, |c| got.push(c));
            got.sort_unstable();
            let want: Vec<u32> = (0..ranges.len() as u32).filter(|&i| ranges[i as usize].contains(q)).collect();
            assert_eq!(got, want, "q = {q}");
        }
    }

    #[test]
    fn affix_index_finds_every_prefix_and_suffix() {
        let mut pre = AffixIndex::default();
        for (i, p) in ["eu-", "us-", "us-east-", "", "é"].iter().enumerate() {
            pre.add(p, i as u32);
        }
        let mut got = Vec::new();
        pre.for_each("us-east-1", false, |c| got.extend_from_slice(c));
        got.sort_unstable();
        assert_eq!(got, [1, 2, 3]);
        got.clear();
        pre.for_each("été", false, |c| got.extend_from_slice(c));
        got.sort_unstable();
        assert_eq!(got, [3, 4]);
        got.clear();
        pre.for_each("e", false, |c| got.extend_from_slice(c));
        assert_eq!(got, [3]);

        let mut suf = AffixIndex::default();
        suf.add("ball", 7);
        suf.add("é", 8);
        got.clear();
        suf.for_each("baseball", true, |c| got.extend_from_slice(c));
        assert_eq!(got, [7]);
        got.clear();
        suf.for_each("café", true, |c| got.extend_from_slice(c));
        assert_eq!(got, [8]);
        got.clear();
        suf.for_each("ball!", true, |c| got.extend_from_slice(c));
        assert!(got.is_empty());
    }
}
