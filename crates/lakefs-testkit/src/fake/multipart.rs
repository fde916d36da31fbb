//! Just enough `multipart/form-data` parsing for `uploadObject`: find the part named `content`.

use super::http::ApiError;

/// The `content` part of an upload.
#[derive(Debug)]
pub(crate) struct Part {
    /// The part's own `Content-Type`, if it has one.
    pub(crate) content_type: Option<String>,
    pub(crate) data: Vec<u8>,
}

/// Extracts the part named `content` from a `multipart/form-data` body.
pub(crate) fn content_part(content_type: &str, body: &[u8]) -> Result<Part, ApiError> {
    let boundary = parameters(content_type)
        .into_iter()
        .find(|(name, _)| name == "boundary")
        .map(|(_, value)| value)
        .filter(|boundary| !boundary.is_empty())
        .ok_or_else(|| ApiError::bad_request("multipart body without a boundary"))?;
    let delimiter = format!("--{boundary}").into_bytes();
    let mut position = find(body, &delimiter, 0)
        .ok_or_else(|| ApiError::bad_request("multipart body has no parts"))?
        + delimiter.len();
    loop {
        if body[position..].starts_with(b"--") {
            return Err(ApiError::bad_request(
                "multipart body has no part named content",
            ));
        }
        position = skip_line_break(body, position);
        let (headers, data_start) = part_headers(body, position)?;
        // The part's data ends at the line break before the next delimiter.
        let mut closing = b"\r\n".to_vec();
        closing.extend_from_slice(&delimiter);
        let data_end = find(body, &closing, data_start)
            .ok_or_else(|| ApiError::bad_request("multipart part is not terminated"))?;
        if part_name(&headers).as_deref() == Some("content") {
            return Ok(Part {
                content_type: header_value(&headers, "content-type"),
                data: body[data_start..data_end].to_vec(),
            });
        }
        position = data_end + closing.len();
    }
}

/// Reads a part's header lines; returns them and where its data starts.
fn part_headers(body: &[u8], start: usize) -> Result<(Vec<(String, String)>, usize), ApiError> {
    let end = find(body, b"\r\n\r\n", start)
        .ok_or_else(|| ApiError::bad_request("multipart part headers are not terminated"))?;
    let text = String::from_utf8_lossy(&body[start..end]);
    let headers = text
        .split("\r\n")
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    Ok((headers, end + 4))
}

fn skip_line_break(body: &[u8], position: usize) -> usize {
    if body[position..].starts_with(b"\r\n") {
        position + 2
    } else if body[position..].starts_with(b"\n") {
        position + 1
    } else {
        position
    }
}

fn header_value(headers: &[(String, String)], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.clone())
}

/// The `name` of a part, from its `Content-Disposition: form-data; name="..."`.
fn part_name(headers: &[(String, String)]) -> Option<String> {
    let disposition = header_value(headers, "content-disposition")?;
    parameters(&disposition)
        .into_iter()
        .find(|(key, _)| key == "name")
        .map(|(_, value)| value)
}

/// The `key=value` parameters of a header value (after the first `;`), names lower-cased and
/// quoted values unquoted. Semicolons inside quotes do not split.
fn parameters(value: &str) -> Vec<(String, String)> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in value.chars() {
        match c {
            _ if escaped => {
                current.push(c);
                escaped = false;
            }
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => pieces.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    pieces.push(current);
    pieces
        .into_iter()
        .skip(1)
        .filter_map(|piece| {
            let (name, value) = piece.split_once('=')?;
            Some((name.trim().to_ascii_lowercase(), value.trim().to_string()))
        })
        .collect()
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|window| window == needle)
        .map(|at| at + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_content_part() {
        let body = b"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nno\r\n--XyZ\r\nContent-Disposition: form-data; name=\"content\"; filename=\"a;b.txt\"\r\nContent-Type: text/csv\r\n\r\nhello\r\nworld\r\n--XyZ--\r\n";
        let part = content_part("multipart/form-data; boundary=\"XyZ\"", body).unwrap();
        assert_eq!(part.data, b"hello\r\nworld");
        assert_eq!(part.content_type.as_deref(), Some("text/csv"));
    }

    #[test]
    fn rejects_bodies_without_content() {
        let body = b"--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--b--";
        assert!(content_part("multipart/form-data; boundary=b", body).is_err());
        assert!(content_part("multipart/form-data", body).is_err());
        assert!(content_part("multipart/form-data; boundary=b", b"--b").is_err());
    }
}
