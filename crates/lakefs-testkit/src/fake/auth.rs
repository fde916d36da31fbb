//! HTTP basic authentication against the fake's single key pair.

use wiremock::Request;

use super::{FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY};

/// True when the request carries `Authorization: Basic` with the fake key pair.
///
/// Bearer tokens and cookies are refused: the fake never issues any.
pub(crate) fn is_authorized(request: &Request) -> bool {
    let Some(header) = super::http::header(request, "authorization") else {
        return false;
    };
    let Some((scheme, encoded)) = header.trim().split_once(' ') else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return false;
    }
    let Some(decoded) = decode_base64(encoded.trim()) else {
        return false;
    };
    let Ok(text) = String::from_utf8(decoded) else {
        return false;
    };
    text.split_once(':')
        .is_some_and(|(id, secret)| id == FAKE_ACCESS_KEY_ID && secret == FAKE_SECRET_ACCESS_KEY)
}

/// Standard-alphabet base64 with optional padding; `None` on any invalid character.
fn decode_base64(input: &str) -> Option<Vec<u8>> {
    let trimmed = input.trim_end_matches('=');
    let mut output = Vec::with_capacity(trimmed.len() * 3 / 4);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for byte in trimmed.bytes() {
        buffer = (buffer << 6) | u32::from(sextet(byte)?);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            // Truncation keeps exactly the next complete byte.
            output.push((buffer >> bits) as u8);
        }
    }
    Some(output)
}

fn sextet(byte: u8) -> Option<u8> {
    match byte {
        b'A'..=b'Z' => Some(byte - b'A'),
        b'a'..=b'z' => Some(byte - b'a' + 26),
        b'0'..=b'9' => Some(byte - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_base64() {
        assert_eq!(decode_base64("YWRtaW46c2VjcmV0").unwrap(), b"admin:secret");
        assert_eq!(decode_base64("YQ==").unwrap(), b"a");
        assert_eq!(decode_base64("YWI=").unwrap(), b"ab");
        assert!(decode_base64("Y*==").is_none());
    }
}
