//! What Prism reports, and the exceptions a check may allow.

use std::fmt;

use serde_json::Value;

/// The start of the `type` of every error answer Prism makes itself.
pub(crate) const PRISM_ERRORS: &str = "https://stoplight.io/prism/errors#";

/// One thing Prism found wrong with a request or an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail {
    /// Where: `request.body.name`, `response.header.content-range`, `request.query.amount`...
    /// (Prism's location, joined with dots, always starting with `request` or `response`).
    pub location: String,
    /// `Error`, `Warning`, `Information` or `Hint`.
    pub severity: String,
    /// The JSON-schema keyword or check that failed: `pattern`, `required`, `type`, `415`...
    /// Prism gives two checks of answers no code; they get `media-type` (the answer's
    /// `Content-Type` is not one the spec lists) and `status` (the spec lists no such status).
    pub code: String,
    /// Prism's explanation.
    pub message: String,
}

impl Detail {
    /// The details of an `sl-violations` header value (a JSON list; empty when Prism cut it
    /// short because it was too long).
    pub(crate) fn from_header(value: &str) -> Vec<Detail> {
        serde_json::from_str::<Value>(value)
            .map(|list| Detail::from_list(&list, None))
            .unwrap_or_default()
    }

    /// The details of a list of Prism validation objects; `prefix` is put before locations
    /// that lack `request`/`response` (Prism's 422 answers leave it out).
    pub(crate) fn from_list(list: &Value, prefix: Option<&str>) -> Vec<Detail> {
        let text = |v: &Value, key: &str| v.get(key).map(plain).unwrap_or_default();
        list.as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|item| {
                        let mut parts: Vec<String> = item
                            .get("location")
                            .and_then(Value::as_array)
                            .map(|l| l.iter().map(plain).collect())
                            .unwrap_or_default();
                        let first = parts.first().map(String::as_str);
                        if let Some(prefix) = prefix
                            && !matches!(first, Some("request" | "response"))
                        {
                            parts.insert(0, prefix.to_string());
                        }
                        let message = text(item, "message");
                        let mut code = text(item, "code");
                        if code.is_empty() {
                            code = unnamed_check(&message).to_string();
                        }
                        Detail {
                            location: parts.join("."),
                            severity: text(item, "severity"),
                            code,
                            message,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A name for the checks Prism reports without a code, from its message.
fn unnamed_check(message: &str) -> &'static str {
    if message.starts_with("The received media type") {
        "media-type"
    } else if message.starts_with("Unable to match the returned status code") {
        "status"
    } else {
        ""
    }
}

/// A JSON value as text: strings without quotes, anything else as JSON.
fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl fmt::Display for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} [{} {}]: {}",
            self.location, self.severity, self.code, self.message
        )
    }
}

/// An answer that Prism marked: it carried an `sl-violations` header, or Prism answered
/// itself with one of its errors (`application/problem+json`, e.g. 422 for an invalid request
/// or 500 for an invalid answer with `--errors`), or the relay could not get an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The request's method.
    pub method: String,
    /// The request's path and query, as sent.
    pub target: String,
    /// The operation the request is for, when it matches one of the spec.
    pub operation: Option<&'static str>,
    /// The status Prism answered with; `None` when the relay got no answer.
    pub status: Option<u16>,
    /// The kind of error answer Prism made itself, e.g. `UNPROCESSABLE_ENTITY` or
    /// `VIOLATIONS`; `None` when Prism passed the server's answer on (or the relay failed).
    pub prism_error: Option<String>,
    /// What Prism found, one entry per broken rule (empty for Prism errors that list none and
    /// for relay failures).
    pub details: Vec<Detail>,
    /// The `sl-violations` header and Prism's error body as received, or the relay's failure.
    pub raw: String,
    /// Whether every detail is covered by a [`Tolerance`] given for this operation.
    pub tolerated: bool,
}

impl Violation {
    /// Whether this came from the relay rather than from Prism.
    pub fn is_relay_failure(&self) -> bool {
        self.status.is_none()
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let operation = self.operation.unwrap_or("(no operation)");
        write!(f, "{operation} ({} {})", self.method, self.target)?;
        match self.status {
            Some(status) => write!(f, ": HTTP {status}")?,
            None => write!(f, ": no answer")?,
        }
        if let Some(kind) = &self.prism_error {
            write!(f, " from Prism ({kind})")?;
        }
        if self.tolerated {
            write!(f, " [tolerated]")?;
        }
        if self.details.is_empty() {
            write!(f, ": {}", self.raw)
        } else {
            for detail in &self.details {
                write!(f, "\n      {detail}")?;
            }
            Ok(())
        }
    }
}

/// One known, documented reason for Prism to object to an exchange that is nevertheless
/// right: a difference between the spec and the real lakeFS server that a faithful fake must
/// copy (such as [`GET_OBJECT_CONTENT_RANGE`]), or a request a test sends on purpose although
/// the spec forbids it, to see the server refuse it.
///
/// It covers a [`Detail`] of one operation at one location with one code, nothing broader.
/// When every detail Prism reports about an exchange is covered, the [`Violation`] is
/// recorded as tolerated, and the client gets the server's own answer (for a refused request,
/// the relay sends it to the server directly, since Prism does not forward invalid requests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tolerance {
    /// The operationId, e.g. `getObject`.
    pub operation: &'static str,
    /// The [`Detail::location`], e.g. `response.header.content-range`.
    pub location: &'static str,
    /// The [`Detail::code`], e.g. `pattern`.
    pub code: &'static str,
    /// Why it is right anyway (for reports).
    pub reason: &'static str,
}

impl Tolerance {
    /// Whether this covers `detail` of a request for `operation`.
    pub fn covers(&self, operation: Option<&str>, detail: &Detail) -> bool {
        operation == Some(self.operation)
            && detail.location.eq_ignore_ascii_case(self.location)
            && detail.code == self.code
    }
}

/// The `tolerances` that cover no detail of the `tolerated` violations: a check that gave
/// them and saw none of theirs should drop them, so that tolerances never outlive their reason.
pub fn unused_tolerances(tolerances: &[Tolerance], tolerated: &[Violation]) -> Vec<Tolerance> {
    tolerances
        .iter()
        .filter(|t| {
            !tolerated
                .iter()
                .any(|v| v.details.iter().any(|d| t.covers(v.operation, d)))
        })
        .copied()
        .collect()
}

/// lakeFS answers a range of an object with `Content-Range: bytes START-END/SIZE` (RFC 9110),
/// while the spec declares the pattern `^bytes=((\d*-\d*,? ?)+)$` (the syntax of the `Range`
/// request header) for the 206 answer of `getObject`. The fake answers as the server does
/// (see `SERVER-NOTES.md`, "getObject"), so Prism reports that header; this tolerates exactly
/// that: operation `getObject`, location `response.header.content-range`, code `pattern`.
pub const GET_OBJECT_CONTENT_RANGE: Tolerance = Tolerance {
    operation: "getObject",
    location: "response.header.content-range",
    code: "pattern",
    reason: "lakeFS sends `Content-Range: bytes START-END/SIZE`, not the spec's `bytes=` \
             pattern (SERVER-NOTES: getObject)",
};

/// lakeFS answers `getObject` with the object's stored content type (see `SERVER-NOTES.md`,
/// "getObject": `Content-Type` is the stored content type), while the spec lists only
/// `application/octet-stream` for its 200 and 206 answers, so Prism reports any object
/// uploaded with another content type. This tolerates exactly that: operation `getObject`,
/// location `response`, code `media-type`.
pub const GET_OBJECT_CONTENT_TYPE: Tolerance = Tolerance {
    operation: "getObject",
    location: "response",
    code: "media-type",
    reason: "lakeFS answers an object's content with its stored content type; the spec lists \
             only application/octet-stream (SERVER-NOTES: getObject)",
};

/// lakeFS's `uploadObject` takes a raw body of any content type and stores that content type
/// as the object's (see `SERVER-NOTES.md`, "Uploads"), while the spec lists only
/// `multipart/form-data` and `application/octet-stream`, so Prism refuses a raw upload of, say,
/// `text/plain` (415, "Supported content types") without forwarding it. This tolerates
/// exactly that: operation `uploadObject`, location `request`, code `415`; the relay then
/// sends the upload to the server itself.
pub const UPLOAD_OBJECT_CONTENT_TYPE: Tolerance = Tolerance {
    operation: "uploadObject",
    location: "request",
    code: "415",
    reason: "lakeFS stores a raw upload of any content type with that content type; the spec \
             lists only multipart/form-data and application/octet-stream (SERVER-NOTES: Uploads)",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_details_keep_their_location() {
        let header = r#"[{"location":["response","header","content-range"],"severity":"Error","code":"pattern","message":"must match"}]"#;
        let details = Detail::from_header(header);
        assert_eq!(
            details,
            [Detail {
                location: "response.header.content-range".into(),
                severity: "Error".into(),
                code: "pattern".into(),
                message: "must match".into(),
            }]
        );
        assert!(GET_OBJECT_CONTENT_RANGE.covers(Some("getObject"), &details[0]));
        assert!(!GET_OBJECT_CONTENT_RANGE.covers(Some("headObject"), &details[0]));
        let seen = Violation {
            method: "GET".into(),
            target: "/api/v1/repositories/r/refs/main/objects?path=a".into(),
            operation: Some("getObject"),
            status: Some(500),
            prism_error: Some("VIOLATIONS".into()),
            details,
            raw: header.into(),
            tolerated: true,
        };
        let both = [GET_OBJECT_CONTENT_RANGE, GET_OBJECT_CONTENT_TYPE];
        assert_eq!(unused_tolerances(&both, &[seen]), [GET_OBJECT_CONTENT_TYPE]);
        assert!(Detail::from_header("Too many violations! [{").is_empty());
    }

    #[test]
    fn refused_request_details_get_the_request_prefix() {
        let list: Value = serde_json::from_str(
            r#"[{"location":["body","name"],"severity":"Error","code":"pattern","message":"m"},
                {"location":["request","query"],"severity":"Error","code":422,"message":"n"}]"#,
        )
        .unwrap();
        let details = Detail::from_list(&list, Some("request"));
        assert_eq!(details[0].location, "request.body.name");
        assert_eq!(details[1].location, "request.query");
        assert_eq!(details[1].code, "422");
    }

    #[test]
    fn checks_without_a_code_get_a_name() {
        let list: Value = serde_json::from_str(
            r#"[{"location":["response"],"severity":"Error","message":"The received media type \"text/plain\" does not match"},
                {"severity":"Error","message":"Unable to match the returned status code with those defined in the document: 200"},
                {"location":["response"],"severity":"Error","message":"something else"}]"#,
        )
        .unwrap();
        let details = Detail::from_list(&list, Some("response"));
        assert_eq!(details[0].code, "media-type");
        assert_eq!(details[1].code, "status");
        assert_eq!(details[1].location, "response");
        assert_eq!(details[2].code, "");
        assert!(GET_OBJECT_CONTENT_TYPE.covers(Some("getObject"), &details[0]));
        assert!(!GET_OBJECT_CONTENT_TYPE.covers(Some("getObject"), &details[1]));
    }
}
