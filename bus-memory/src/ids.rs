//! Identifiers: UUID-shaped message ids, ARNs and the URLs SNS writes into envelopes.
//!
//! Ids come from a per-resource random seed and a counter through a bijective mix, so they look random,
//! never repeat within a resource, and cost no system call.

/// The default region of ARNs and URLs.
pub(crate) const DEFAULT_REGION: &str = "us-east-1";
/// The default account id of ARNs.
pub(crate) const DEFAULT_ACCOUNT: &str = "000000000000";

const LOW62: u64 = (1 << 62) - 1;

/// A bijection of the low 62 bits (odd multipliers and xor-shifts are invertible modulo 2^62).
fn mix62(mut x: u64) -> u64 {
    x &= LOW62;
    x = x.wrapping_mul(0x9E37_79B9_7F4A_7C15) & LOW62;
    x ^= x >> 29;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9) & LOW62;
    x ^= x >> 32;
    x
}

/// A 64-bit mix (splitmix64 finaliser), for checksums and seeds.
pub(crate) fn mix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The 128 bits of a version-4-shaped UUID from a seed and a counter; unique per (seed, counter < 2^62).
pub(crate) fn uuid_bits(seed: u64, counter: u64) -> [u64; 2] {
    let hi = (seed & !0xF000) | 0x4000;
    let lo = (0b10 << 62) | mix62(counter ^ (seed & LOW62));
    [hi, lo]
}

/// Formats UUID bits as `xxxxxxxx-xxxx-4xxx-Nxxx-xxxxxxxxxxxx` (lowercase hex).
pub(crate) fn uuid_string(bits: [u64; 2]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    // Hex digits of the 128 bits, most significant first, skipping the four dash positions.
    const POS: [u8; 32] = [
        0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15, 16, 17, 19, 20, 21, 22, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33,
        34, 35,
    ];
    let mut out = [b'-'; 36];
    for (half, word) in bits.into_iter().enumerate() {
        for i in 0..16 {
            out[usize::from(POS[half * 16 + i])] = HEX[((word >> (60 - 4 * i)) & 0xF) as usize];
        }
    }
    std::str::from_utf8(&out).map(str::to_owned).unwrap_or_default()
}

/// `arn:aws:sns:{region}:{account}:{topic}`.
pub(crate) fn topic_arn(region: &str, account: &str, topic: &str) -> String {
    format!("arn:aws:sns:{region}:{account}:{topic}")
}

/// `arn:aws:sqs:{region}:{account}:{queue}`.
pub(crate) fn queue_arn(region: &str, account: &str, queue: &str) -> String {
    format!("arn:aws:sqs:{region}:{account}:{queue}")
}

/// `https://sqs.{region}.amazonaws.com/{account}/{queue}`.
pub(crate) fn queue_url(region: &str, account: &str, queue: &str) -> String {
    format!("https://sqs.{region}.amazonaws.com/{account}/{queue}")
}

/// The URL of the (here fictitious) certificate that signed an envelope.
pub(crate) fn signing_cert_url(region: &str, seed: u64) -> String {
    format!(
        "https://sns.{region}.amazonaws.com/SimpleNotificationService-{:016x}{:016x}.pem",
        mix64(seed),
        mix64(!seed)
    )
}

/// The `UnsubscribeURL` of a subscription.
pub(crate) fn unsubscribe_url(region: &str, subscription_arn: &str) -> String {
    format!("https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={subscription_arn}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn uuids_are_shaped_and_unique() {
        let seed = 0x1234_5678_9abc_def0;
        let mut seen = HashSet::new();
        for n in 0..10_000 {
            let s = uuid_string(uuid_bits(seed, n));
            assert_eq!(s.len(), 36);
            let b = s.as_bytes();
            assert_eq!([b[8], b[13], b[18], b[23]], [b'-'; 4]);
            assert_eq!(b[14], b'4', "version nibble in {s}");
            assert!(matches!(b[19], b'8' | b'9' | b'a' | b'b'), "variant nibble in {s}");
            assert!(seen.insert(s));
        }
    }

    #[test]
    fn arns_and_urls() {
        assert_eq!(topic_arn(DEFAULT_REGION, DEFAULT_ACCOUNT, "events"), "arn:aws:sns:us-east-1:000000000000:events");
        assert_eq!(queue_arn("eu-west-1", "1", "q"), "arn:aws:sqs:eu-west-1:1:q");
        assert_eq!(queue_url("eu-west-1", "1", "q"), "https://sqs.eu-west-1.amazonaws.com/1/q");
        assert!(unsubscribe_url("us-east-1", "arn:x").ends_with("?Action=Unsubscribe&SubscriptionArn=arn:x"));
        assert!(signing_cert_url("us-east-1", 7).ends_with(".pem"));
    }
}
