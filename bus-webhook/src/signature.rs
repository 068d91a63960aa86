//! HMAC-SHA256 over a sequence of byte parts, and constant-time verification.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &[u8], parts: &[&[u8]]) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(secret).expect("HMAC takes keys of any length");
    for part in parts {
        mac.update(part);
    }
    mac
}

/// HMAC-SHA256 of the concatenated `parts` under `secret`.
pub fn hmac_sha256(secret: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    mac(secret, parts).finalize().into_bytes().into()
}

/// Whether `signature` is the HMAC-SHA256 of `parts` under `secret`, compared in constant time
/// (`hmac`'s `verify_slice`; a wrong length is rejected without comparing).
pub(crate) fn verify(secret: &[u8], parts: &[&[u8]], signature: &[u8]) -> bool {
    mac(secret, parts).verify_slice(signature).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4231_test_case_2() {
        // RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
        let expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        assert_eq!(hex::encode(hmac_sha256(b"Jefe", &[b"what do ya want ", b"for nothing?"])), expected);
        let sig = hex::decode(expected).unwrap();
        assert!(verify(b"Jefe", &[b"what do ya want for nothing?"], &sig));
        assert!(!verify(b"jefe", &[b"what do ya want for nothing?"], &sig));
        assert!(!verify(b"Jefe", &[b"what do ya want for nothing?"], &sig[..31]));
    }
}
