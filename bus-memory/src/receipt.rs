//! Receipt handles: which receive of which message of which queue, as an opaque checksummed string.
//!
//! A handle names the queue (`uid`), the message's storage slot and that slot's generation (together: one
//! message), and the receive count at the receive that produced it. Every receive increments the count, so
//! every receive yields a different handle; a handle whose count is not the message's current count is
//! outdated. A keyed checksum rejects malformed or foreign strings.

use base64::Engine as _;
use bus_core::ReceiptHandle;

use crate::ids::mix64;

const LEN: usize = 20;

/// The decoded content of a receipt handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Receipt {
    /// The queue's numeric id.
    pub uid: u32,
    /// The message's storage slot.
    pub slot: u32,
    /// The slot's generation when the message was stored there.
    pub gen: u32,
    /// The message's receive count at this receive.
    pub count: u32,
}

fn check(r: &Receipt, key: u64) -> u32 {
    let a = (u64::from(r.uid) << 32) | u64::from(r.slot);
    let b = (u64::from(r.gen) << 32) | u64::from(r.count);
    (mix64(mix64(a ^ key) ^ b) >> 32) as u32
}

impl Receipt {
    /// The handle's text: base64url of the fields and a keyed checksum.
    pub(crate) fn encode(&self, key: u64) -> ReceiptHandle {
        let mut bytes = [0u8; LEN];
        for (i, v) in [self.uid, self.slot, self.gen, self.count, check(self, key)].into_iter().enumerate() {
            bytes[4 * i..4 * i + 4].copy_from_slice(&v.to_be_bytes());
        }
        ReceiptHandle(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Decodes a handle minted with `key`; `None` if it is malformed or its checksum does not match.
    pub(crate) fn decode(handle: &ReceiptHandle, key: u64) -> Option<Receipt> {
        let mut bytes = [0u8; LEN];
        let n = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode_slice(handle.as_str(), &mut bytes).ok()?;
        if n != LEN {
            return None;
        }
        let word = |i: usize| u32::from_be_bytes([bytes[4 * i], bytes[4 * i + 1], bytes[4 * i + 2], bytes[4 * i + 3]]);
        let r = Receipt { uid: word(0), slot: word(1), gen: word(2), count: word(3) };
        (check(&r, key) == word(4)).then_some(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejection() {
        let r = Receipt { uid: 3, slot: 17, gen: 2, count: 1 };
        let h = r.encode(99);
        assert_eq!(Receipt::decode(&h, 99), Some(r));
        assert_eq!(Receipt::decode(&h, 98), None, "another queue's key");
        let next = Receipt { count: 2, ..r }.encode(99);
        assert_ne!(h, next, "each receive has its own handle");
        assert_eq!(Receipt::decode(&ReceiptHandle("garbage".into()), 99), None);
        assert_eq!(Receipt::decode(&ReceiptHandle(String::new()), 99), None);
        let mut tampered = h.0.clone().into_bytes();
        tampered[3] = if tampered[3] == b'A' { b'B' } else { b'A' };
        assert_eq!(Receipt::decode(&ReceiptHandle(String::from_utf8(tampered).unwrap()), 99), None);
    }
}
