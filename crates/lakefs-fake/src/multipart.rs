//! Just enough `multipart/form-data` for `uploadObject` (lakectl's format): the part named
//! `content`, parsed as the body streams in, so that the file is never held whole.
//!
//! [`ContentPart`] is fed the body chunk by chunk ([`ContentPart::push`]) and hands out the
//! content part's bytes as they become certain ([`ContentPart::next`]); it keeps back only as
//! many bytes as could be the start of the closing delimiter.

use bytes::{Buf, Bytes, BytesMut};

use super::http::ApiError;

/// A part's header lines: lower-cased names and trimmed values.
type Headers = Vec<(String, String)>;

/// The most header bytes a part may have.
const MAX_PART_HEADERS: usize = 16 * 1024;

/// What [`ContentPart::next`] has for the caller.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Push more of the body.
    NeedMore,
    /// The next bytes of the content part.
    Data(Bytes),
    /// The content part ended (its closing delimiter seen).
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Before the first delimiter.
    Preamble,
    /// Just after a delimiter: `--` ends the body, else a part follows.
    AfterDelimiter,
    /// Reading a part's header lines.
    Headers,
    /// Inside a part's data; true for the content part.
    Data(bool),
    Done,
}

/// A streaming reader of the `content` part of a `multipart/form-data` body.
#[derive(Debug)]
pub(crate) struct ContentPart {
    /// `\r\n--boundary`: what ends every part's data.
    delimiter: Vec<u8>,
    buffer: BytesMut,
    phase: Phase,
    content_type: Option<String>,
}

impl ContentPart {
    /// A reader for a body of this `Content-Type` (which names the boundary).
    pub(crate) fn new(content_type: &str) -> Result<ContentPart, ApiError> {
        let boundary = parameters(content_type)
            .into_iter()
            .find(|(name, _)| name == "boundary")
            .map(|(_, value)| value)
            .filter(|boundary| !boundary.is_empty())
            .ok_or_else(|| ApiError::bad_request("multipart body without a boundary"))?;
        let mut buffer = BytesMut::new();
        // A body may open with its first delimiter, without the line break before it.
        buffer.extend_from_slice(b"\r\n");
        Ok(ContentPart {
            delimiter: format!("\r\n--{boundary}").into_bytes(),
            buffer,
            phase: Phase::Preamble,
            content_type: None,
        })
    }

    /// The content part's own `Content-Type`, once its headers are read.
    pub(crate) fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// Appends the next chunk of the body.
    pub(crate) fn push(&mut self, chunk: &[u8]) {
        self.buffer.extend_from_slice(chunk);
    }

    /// Says what the body ending now means: only a finished content part is an upload.
    pub(crate) fn end_of_body(&self) -> Result<(), ApiError> {
        match self.phase {
            Phase::Done => Ok(()),
            Phase::Preamble => Err(ApiError::bad_request("multipart body has no parts")),
            Phase::Headers => Err(ApiError::bad_request(
                "multipart part headers are not terminated",
            )),
            _ => Err(ApiError::bad_request("multipart part is not terminated")),
        }
    }

    /// The next step; call until it says [`Step::NeedMore`] or [`Step::Done`].
    pub(crate) fn next(&mut self) -> Result<Step, ApiError> {
        loop {
            match self.phase {
                Phase::Done => return Ok(Step::Done),
                Phase::Preamble => match memchr::memmem::find(&self.buffer, &self.delimiter) {
                    Some(at) => {
                        self.buffer.advance(at + self.delimiter.len());
                        self.phase = Phase::AfterDelimiter;
                    }
                    None => {
                        self.keep_possible_delimiter_start();
                        return Ok(Step::NeedMore);
                    }
                },
                Phase::AfterDelimiter => {
                    if self.buffer.len() < 2 {
                        return Ok(Step::NeedMore);
                    }
                    if self.buffer.starts_with(b"--") {
                        return Err(ApiError::bad_request(
                            "multipart body has no part named content",
                        ));
                    }
                    if self.buffer.starts_with(b"\r\n") {
                        self.buffer.advance(2);
                    } else if self.buffer.starts_with(b"\n") {
                        self.buffer.advance(1);
                    }
                    self.phase = Phase::Headers;
                }
                Phase::Headers => {
                    let Some((headers, data_start)) = self.part_headers()? else {
                        return Ok(Step::NeedMore);
                    };
                    self.buffer.advance(data_start);
                    let is_content = part_name(&headers).as_deref() == Some("content");
                    if is_content {
                        self.content_type = header_value(&headers, "content-type");
                    }
                    self.phase = Phase::Data(is_content);
                }
                Phase::Data(is_content) => {
                    let (data, ended, need_more) = self.data_until_delimiter();
                    if ended {
                        self.phase = if is_content {
                            Phase::Done
                        } else {
                            Phase::AfterDelimiter
                        };
                    }
                    if is_content && !data.is_empty() {
                        return Ok(Step::Data(data));
                    }
                    if need_more {
                        return Ok(Step::NeedMore);
                    }
                }
            }
        }
    }

    /// The part data that is certain (not a possible delimiter), whether the part ended (its
    /// delimiter consumed), and whether more input is needed to go on.
    ///
    /// As in Go's `mime/multipart`, the delimiter counts only when `--`, a line break or
    /// padding follows it; otherwise the bytes are data.
    fn data_until_delimiter(&mut self) -> (Bytes, bool, bool) {
        let Some(at) = memchr::memmem::find(&self.buffer, &self.delimiter) else {
            let certain = self.buffer.len().saturating_sub(self.delimiter.len() - 1);
            return (self.buffer.split_to(certain).freeze(), false, true);
        };
        let after = at + self.delimiter.len();
        match self.buffer.get(after..after + 2) {
            // What follows decides; the data before the delimiter is certain already.
            None => (self.buffer.split_to(at).freeze(), false, true),
            Some(next) if next == b"--" || matches!(next[0], b'\r' | b'\n' | b' ' | b'\t') => {
                let data = self.buffer.split_to(at).freeze();
                self.buffer.advance(self.delimiter.len());
                (data, true, false)
            }
            // Not a delimiter after all: its first byte is data, search on after it.
            Some(_) => (self.buffer.split_to(at + 1).freeze(), false, false),
        }
    }

    /// Drops what cannot start a delimiter, keeping a tail that might.
    fn keep_possible_delimiter_start(&mut self) {
        let keep = self.delimiter.len() - 1;
        if self.buffer.len() > keep {
            self.buffer.advance(self.buffer.len() - keep);
        }
    }

    /// A part's header lines and where its data starts, once all of them are in.
    fn part_headers(&self) -> Result<Option<(Headers, usize)>, ApiError> {
        if self.buffer.starts_with(b"\r\n") {
            return Ok(Some((Vec::new(), 2)));
        }
        let Some(end) = memchr::memmem::find(&self.buffer, b"\r\n\r\n") else {
            if self.buffer.len() > MAX_PART_HEADERS {
                return Err(ApiError::bad_request("multipart part headers are too long"));
            }
            return Ok(None);
        };
        let text = String::from_utf8_lossy(&self.buffer[..end]);
        let headers = text
            .split("\r\n")
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
            .collect();
        Ok(Some((headers, end + 4)))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `body` in pieces of `piece` bytes; the content part's bytes and content type.
    fn parse(
        content_type: &str,
        body: &[u8],
        piece: usize,
    ) -> Result<(Vec<u8>, Option<String>), ApiError> {
        let mut parser = ContentPart::new(content_type)?;
        let mut pieces = body.chunks(piece.max(1));
        let mut data = Vec::new();
        loop {
            match parser.next()? {
                Step::Data(bytes) => data.extend_from_slice(&bytes),
                Step::Done => return Ok((data, parser.content_type().map(str::to_string))),
                Step::NeedMore => match pieces.next() {
                    Some(chunk) => parser.push(chunk),
                    None => {
                        parser.end_of_body()?;
                        unreachable!("end_of_body accepts only a finished content part");
                    }
                },
            }
        }
    }

    const BODY: &[u8] = b"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nno\r\n--XyZ\r\nContent-Disposition: form-data; name=\"content\"; filename=\"a;b.txt\"\r\nContent-Type: text/csv\r\n\r\nhello\r\n--Xy\r\nworld\r\n--XyZ--\r\n";

    #[test]
    fn finds_the_content_part_whatever_the_chunking() {
        for piece in [1, 2, 3, 5, 7, 16, 64, BODY.len()] {
            let (data, content_type) =
                parse("multipart/form-data; boundary=\"XyZ\"", BODY, piece).unwrap();
            assert_eq!(data, b"hello\r\n--Xy\r\nworld", "pieces of {piece}");
            assert_eq!(content_type.as_deref(), Some("text/csv"));
        }
    }

    #[test]
    fn a_delimiter_followed_by_other_bytes_is_data() {
        let body =
            b"--b\r\nContent-Disposition: form-data; name=content\r\n\r\nx\r\n--bz\r\n--b\r\n";
        for piece in [1, 2, 5, body.len()] {
            let (data, _) = parse("multipart/form-data; boundary=b", body, piece).unwrap();
            assert_eq!(data, b"x\r\n--bz", "pieces of {piece}");
        }
    }

    #[test]
    fn a_body_may_start_with_its_delimiter() {
        let body = b"--b\r\nContent-Disposition: form-data; name=content\r\n\r\n1\r\n--b--";
        let (data, content_type) = parse("multipart/form-data; boundary=b", body, 4).unwrap();
        assert_eq!(data, b"1");
        assert_eq!(content_type, None);
    }

    #[test]
    fn rejects_bodies_without_content() {
        let body = b"--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--b--";
        assert!(parse("multipart/form-data; boundary=b", body, 3).is_err());
        assert!(parse("multipart/form-data", body, 3).is_err());
        assert!(parse("multipart/form-data; boundary=b", b"--b", 3).is_err());
        let cut = b"--b\r\nContent-Disposition: form-data; name=content\r\n\r\nabc";
        assert!(parse("multipart/form-data; boundary=b", cut, 3).is_err());
    }
}
