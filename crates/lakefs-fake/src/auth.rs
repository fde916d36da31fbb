//! Who may call the API: one place that checks a request's credentials.
//!
//! The server asks its [`Authenticator`] about every request to an operation that needs
//! credentials; today that is HTTP basic authentication against one key pair
//! ([`BasicAuth`]). Other schemes (tokens, cookies) are further implementations.

use http::HeaderMap;

/// Decides whether a request's credentials let it call the API.
pub(crate) trait Authenticator: Send + Sync + std::fmt::Debug {
    /// True when the request, seen through its headers, is authenticated.
    fn is_authorized(&self, headers: &HeaderMap) -> bool;
}

/// `Authorization: Basic` with one access key pair. Bearer tokens and cookies are refused:
/// the fake never issues any.
#[derive(Debug, Clone)]
pub(crate) struct BasicAuth {
    pub(crate) access_key_id: String,
    pub(crate) secret_access_key: String,
}

impl Authenticator for BasicAuth {
    fn is_authorized(&self, headers: &HeaderMap) -> bool {
        basic_credentials(headers).is_some_and(|(id, secret)| {
            id == self.access_key_id && secret == self.secret_access_key
        })
    }
}

/// The user name and password of `Authorization: Basic`, if the request has them.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let header = headers.get("authorization")?.to_str().ok()?;
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let text = String::from_utf8(decode_base64(encoded.trim())?).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
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
