//! Query-protocol responses: XML in SNS's namespace,
//! `<{Action}Response><{Action}Result>...</{Action}Result><ResponseMetadata><RequestId>`.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// SNS's XML namespace.
pub(crate) const NAMESPACE: &str = "http://sns.amazonaws.com/doc/2010-03-31/";

/// Escapes text for an XML element (`\r` kept as a character reference so it survives parsing).
pub(crate) fn escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

/// The body of an action's result.
#[derive(Debug, Default)]
pub(crate) struct Xml {
    out: String,
}

impl Xml {
    /// `<tag>`.
    pub(crate) fn open(&mut self, tag: &str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(tag);
        self.out.push('>');
        self
    }

    /// `</tag>`.
    pub(crate) fn close(&mut self, tag: &str) -> &mut Self {
        self.out.push_str("</");
        self.out.push_str(tag);
        self.out.push('>');
        self
    }

    /// `<tag>text</tag>`.
    pub(crate) fn leaf(&mut self, tag: &str, text: &str) -> &mut Self {
        self.open(tag);
        escape(text, &mut self.out);
        self.close(tag)
    }

    /// `<tag>` with a `<entry><key>..</key><value>..</value></entry>` per pair.
    pub(crate) fn map<'a>(&mut self, tag: &str, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> &mut Self {
        self.open(tag);
        for (k, v) in pairs {
            self.open("entry").leaf("key", k).leaf("value", v).close("entry");
        }
        self.close(tag)
    }

    /// Appends another fragment.
    pub(crate) fn raw(&mut self, other: &Xml) -> &mut Self {
        self.out.push_str(&other.out);
        self
    }

    /// The text written so far.
    pub(crate) fn as_str(&self) -> &str {
        &self.out
    }

    /// Whether nothing was written.
    pub(crate) fn is_empty(&self) -> bool {
        self.out.is_empty()
    }
}

/// A response with the XML content type and the request id header.
pub(crate) fn respond(status: StatusCode, body: String, request_id: &str) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert("content-type", HeaderValue::from_static("text/xml"));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-amzn-requestid", v);
    }
    r
}

/// The successful response of `action`, with `result` as its `<{Action}Result>` (left out when empty).
pub(crate) fn ok(action: &str, result: &Xml, request_id: &str) -> Response {
    let mut out = String::with_capacity(result.out.len() + 256);
    out.push_str(&format!("<{action}Response xmlns=\"{NAMESPACE}\">"));
    if !result.is_empty() {
        out.push_str(&format!("<{action}Result>"));
        out.push_str(&result.out);
        out.push_str(&format!("</{action}Result>"));
    }
    out.push_str("<ResponseMetadata><RequestId>");
    escape(request_id, &mut out);
    out.push_str(&format!("</RequestId></ResponseMetadata></{action}Response>"));
    respond(StatusCode::OK, out, request_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        let mut s = String::new();
        escape("a<b>&\"c'\r\n", &mut s);
        assert_eq!(s, "a&lt;b&gt;&amp;&quot;c&apos;&#xD;\n");
    }
}
