//! `cidr` blocks, IPv4 and IPv6, parsed with `std::net`.
//!
//! Validation follows event-ruler's `CIDR.cidr` (Java `split("/")`, `Integer.parseInt`, mask limits
//! `< 32` / `< 128`); host bits in the base address are masked off (SPEC §4.10), and a value matches if it
//! parses as an address of the same family inside the block.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A compiled CIDR block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cidr {
    /// Network address (host bits cleared) and mask.
    V4 { net: u32, mask: u32 },
    /// Network address (host bits cleared) and mask.
    V6 { net: u128, mask: u128 },
}

impl Cidr {
    /// Parses `"<ip>/<bits>"`; the error is AWS's reason text.
    pub(crate) fn parse(text: &str) -> Result<Cidr, String> {
        // Java's String.split drops trailing empty strings.
        let mut parts: Vec<&str> = text.split('/').collect();
        while parts.last() == Some(&"") {
            parts.pop();
        }
        let [addr, bits] = parts[..] else {
            return Err("Malformed CIDR, one '/' required".to_owned());
        };
        let bits = parse_java_int(bits).ok_or_else(|| "Malformed CIDR, mask bits must be an integer".to_owned())?;
        if bits < 0 {
            return Err("Malformed CIDR, mask bits must not be negative".to_owned());
        }
        let ip = parse_ip(addr).ok_or_else(|| format!("Nonstandard IP address: {addr}"))?;
        match ip {
            IpAddr::V4(a) => {
                if bits > 31 {
                    return Err("IPv4 mask bits must be < 32".to_owned());
                }
                let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
                Ok(Cidr::V4 { net: u32::from(a) & mask, mask })
            }
            IpAddr::V6(a) => {
                if bits > 127 {
                    return Err("IPv6 mask bits must be < 128".to_owned());
                }
                let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
                Ok(Cidr::V6 { net: u128::from(a) & mask, mask })
            }
        }
    }

    /// Whether `value` is an IP address of the same family inside the block.
    pub(crate) fn contains(&self, value: &str) -> bool {
        match (self, parse_ip(value)) {
            (Cidr::V4 { net, mask }, Some(IpAddr::V4(a))) => u32::from(a) & mask == *net,
            (Cidr::V6 { net, mask }, Some(IpAddr::V6(a))) => u128::from(a) & mask == *net,
            _ => false,
        }
    }
}

/// Parses an IP address literal: dotted-quad IPv4 or any standard IPv6 spelling.
fn parse_ip(s: &str) -> Option<IpAddr> {
    if s.contains(':') {
        s.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
    } else {
        s.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
    }
}

/// `Integer.parseInt`: optional sign, ASCII digits, 32-bit range.
fn parse_java_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: i64 = s.parse().ok()?;
    (i64::from(i32::MIN)..=i64::from(i32::MAX)).contains(&v).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Cidr {
        Cidr::parse(s).unwrap()
    }

    #[test]
    fn ipv4_blocks() {
        let b = c("10.0.0.0/24");
        assert!(b.contains("10.0.0.255"));
        assert!(b.contains("10.0.0.0"));
        assert!(!b.contains("10.0.1.0"));
        assert!(!b.contains("10.1.1.0"));
        assert!(!b.contains("hello"));
        assert!(!b.contains("10.0.0.256"));
        assert!(!b.contains("::1"));
        assert!(c("10.0.0.0/8").contains("10.255.255.255"));
        assert!(c("0.0.0.0/0").contains("255.255.255.255"));
        assert!(c("10.0.0.5/24").contains("10.0.0.200"), "host bits are masked off");
        assert!(c("10.0.0.0/8/").contains("10.1.2.3"), "Java split drops the trailing empty part");
    }

    #[test]
    fn ipv6_blocks_and_spellings() {
        let b = c("2001:db8:1234:1a00::/64");
        assert!(b.contains("2001:db8:1234:1a00::1"));
        assert!(b.contains("2001:0db8:1234:1a00:0000:0000:0000:0000"));
        assert!(!b.contains("2001:0db8:123f:1a01:0000:0000:0000:0000"));
        assert!(!b.contains("10.0.0.1"));
        assert!(c("::/0").contains("::1"));
    }

    #[test]
    fn malformed_blocks_have_aws_reasons() {
        let e = |s: &str| Cidr::parse(s).unwrap_err();
        assert_eq!(e("bad-filter"), "Malformed CIDR, one '/' required");
        assert_eq!(e("10.0.0.0/8/8"), "Malformed CIDR, one '/' required");
        assert_eq!(e("/"), "Malformed CIDR, one '/' required");
        assert_eq!(e("bad-/64filter"), "Malformed CIDR, mask bits must be an integer");
        assert_eq!(e("10.0.0.0/"), "Malformed CIDR, one '/' required");
        assert_eq!(e("10.0.0.0/99999999999"), "Malformed CIDR, mask bits must be an integer");
        assert_eq!(e("10.0.0.0/-1"), "Malformed CIDR, mask bits must not be negative");
        assert_eq!(e("bad-filter/64"), "Nonstandard IP address: bad-filter");
        assert_eq!(e("xxxx:db8:1234:1a00::/64"), "Nonstandard IP address: xxxx:db8:1234:1a00::");
        assert_eq!(e("10.0.0.256/8"), "Nonstandard IP address: 10.0.0.256");
        assert_eq!(e("10.0.0.0/33"), "IPv4 mask bits must be < 32");
        assert_eq!(e("10.0.0.1/32"), "IPv4 mask bits must be < 32");
        assert_eq!(e("2001:db8::/128"), "IPv6 mask bits must be < 128");
        assert!(Cidr::parse("2001:db8::/127").is_ok());
        assert!(Cidr::parse("10.0.0.0/+8").is_ok());
    }
}
