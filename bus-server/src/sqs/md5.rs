//! The MD5 digests SQS returns: of the body (`MD5OfMessageBody`, `MD5OfBody`), and of the message
//! attributes (`MD5OfMessageAttributes`) with SQS's encoding, which SDKs recompute and compare:
//! attributes sorted by name; for each, the name, the data type and the value, each preceded by its
//! length as a 4-byte big-endian integer, with a transport byte (1 for string and number types, 2 for
//! binary) between the type and the value.

use md5::{Digest, Md5};

/// One attribute as the digest sees it: name, full data type (`Number.float` keeps its label) and
/// the value's bytes (UTF-8 text, or the raw binary).
#[derive(Debug, Clone, Copy)]
pub(crate) struct DigestAttribute<'a> {
    pub name: &'a str,
    pub data_type: &'a str,
    pub value: &'a [u8],
    pub binary: bool,
}

fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    s
}

/// The lowercase hex MD5 of a body.
pub(crate) fn of_body(body: &str) -> String {
    hex(&Md5::digest(body.as_bytes()))
}

fn len_prefixed(h: &mut Md5, bytes: &[u8]) {
    h.update(u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_be_bytes());
    h.update(bytes);
}

/// The lowercase hex MD5 of message attributes; `None` when there are none (SQS then omits the field).
pub(crate) fn of_attributes(attrs: &mut [DigestAttribute<'_>]) -> Option<String> {
    if attrs.is_empty() {
        return None;
    }
    attrs.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    let mut h = Md5::new();
    for a in attrs.iter() {
        len_prefixed(&mut h, a.name.as_bytes());
        len_prefixed(&mut h, a.data_type.as_bytes());
        h.update([if a.binary { 2u8 } else { 1u8 }]);
        len_prefixed(&mut h, a.value);
    }
    Some(hex(&h.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s<'a>(name: &'a str, data_type: &'a str, value: &'a str) -> DigestAttribute<'a> {
        DigestAttribute { name, data_type, value: value.as_bytes(), binary: false }
    }

    #[test]
    fn body_digest_is_plain_md5() {
        assert_eq!(of_body("hello"), "5d41402abc4b2a76b9719d911017c592");
        assert_eq!(of_body(""), "d41d8cd98f00b204e9800998ecf8427e");
    }

    #[test]
    fn attribute_digest_matches_a_published_vector() {
        // A vector published with an SQS emulator's tests, checked there against the AWS SDK for Go.
        let mut attrs = [s("ordinal", "Number", "1"), s("category", "String", "test")];
        assert_eq!(of_attributes(&mut attrs).as_deref(), Some("d21ae90c49061e927f57df5f5d72be1f"));
    }

    #[test]
    fn attribute_digest_is_order_independent_and_types_binary() {
        let mut a = [s("b", "String", "x"), s("a", "Number", "2")];
        let mut b = [s("a", "Number", "2"), s("b", "String", "x")];
        assert_eq!(of_attributes(&mut a), of_attributes(&mut b));
        let mut text = [s("a", "Binary", "\u{1}")];
        let mut bin = [DigestAttribute { name: "a", data_type: "Binary", value: &[1], binary: true }];
        assert_ne!(of_attributes(&mut text), of_attributes(&mut bin), "the transport byte differs");
        assert_eq!(of_attributes(&mut []), None);
    }
}
