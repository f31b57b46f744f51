//! jq programs embedded in mapping files.
//!
//! Ocean rewrites single-quote string delimiters to double quotes before compiling each
//! expression (`_format_filter`), so `'"opsGenieUser"'`-style YAML and `'foo'` jq strings both
//! work. The rewrite replaces one char by one char, so offsets in the rewritten program are
//! offsets in the YAML scalar's decoded value, which [`OffsetMap`] maps back to the file.

use crate::documents::tree::{OffsetMap, Scalar};
use crate::source::Span;

/// A jq program taken from a mapping file.
#[derive(Clone, Debug, PartialEq)]
pub struct JqSource {
    /// The program after Ocean's single-quote rewrite; this is what gets compiled.
    pub text: String,
    /// The YAML/JSON scalar's decoded value, before the rewrite.
    pub raw: String,
    /// The scalar as written in the file, including quotes or block indicator.
    pub span: Span,
    map: OffsetMap,
}

impl JqSource {
    /// Builds from a scalar of a loaded document.
    pub(crate) fn from_scalar(scalar: &Scalar, span: Span) -> Self {
        JqSource {
            text: ocean_quote_rewrite(&scalar.value),
            raw: scalar.value.clone(),
            span,
            map: scalar.map.clone(),
        }
    }

    /// A program with no exact source mapping: every sub-range maps to `span`
    /// (for programs synthesised by the compiler or tests).
    pub fn unmapped(raw: impl Into<String>, span: Span) -> Self {
        let raw = raw.into();
        JqSource {
            text: ocean_quote_rewrite(&raw),
            map: OffsetMap::coarse(span, raw.len()),
            raw,
            span,
        }
    }

    /// The file span of byte range `range` of [`JqSource::text`] (clamped to the text).
    pub fn span_of(&self, range: std::ops::Range<usize>) -> Span {
        self.map.span_of(range)
    }
}

/// Python's `\s` in a str pattern: Unicode whitespace, including U+001C..U+001F which
/// Rust's `char::is_whitespace` leaves out.
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Ocean's `_format_filter`: `re.sub(r'(^|\s)\'(?!\s|")|(?<!\s|")\'(\s|$)', r'\1"\2', s)`.
///
/// A `'` becomes `"` when it opens a string (at the start or after whitespace, not followed
/// by whitespace or `"`) or closes one (not after whitespace or `"`, followed by whitespace or
/// the end). Matches consume the neighbouring whitespace, as in Python, so `a' 'b` rewrites
/// only its first quote.
pub fn ocean_quote_rewrite(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    let mut out: Vec<char> = chars.clone();
    let mut p = 0;
    // Python's `$` (no MULTILINE) matches at the end or before a final newline.
    let at_end = |i: usize| i == n || (i + 1 == n && chars[i] == '\n');
    let not_space_or_dquote = |i: usize| i >= n || !(py_space(chars[i]) || chars[i] == '"');
    while p < n {
        // Alternative 1: (^|\s)'(?!\s|")
        if p == 0 && chars[0] == '\'' && not_space_or_dquote(1) {
            out[0] = '"';
            p = 1;
            continue;
        }
        if py_space(chars[p]) && p + 1 < n && chars[p + 1] == '\'' && not_space_or_dquote(p + 2) {
            out[p + 1] = '"';
            p += 2;
            continue;
        }
        // Alternative 2: (?<!\s|")'(\s|$)
        if chars[p] == '\'' && (p == 0 || !(py_space(chars[p - 1]) || chars[p - 1] == '"')) {
            if p + 1 < n && py_space(chars[p + 1]) {
                out[p] = '"';
                p += 2;
                continue;
            }
            if at_end(p + 1) {
                out[p] = '"';
                p += 1;
                continue;
            }
        }
        p += 1;
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrite_matches_ocean_tests() {
        // The cases from Ocean's test_format_filter.
        assert_eq!(
            ocean_quote_rewrite("'/' + .organization"),
            "\"/\" + .organization"
        );
        assert_eq!(
            ocean_quote_rewrite(".organization + '/'"),
            ".organization + \"/\""
        );
        assert_eq!(
            ocean_quote_rewrite(".organization + '/' + .repository"),
            ".organization + \"/\" + .repository"
        );
        assert_eq!(ocean_quote_rewrite("\"shalom\""), "\"shalom\"");
    }

    #[test]
    fn rewrite_edge_cases() {
        // Apostrophes inside words stay.
        assert_eq!(ocean_quote_rewrite("\"it's\""), "\"it's\"");
        // The match consumes the space, so the second quote is left alone.
        assert_eq!(ocean_quote_rewrite("a' 'b"), "a\" 'b");
        // `'` right after `"` is not a closer; `'` before `"` is not an opener.
        assert_eq!(ocean_quote_rewrite("\"'\""), "\"'\"");
        assert_eq!(ocean_quote_rewrite(" '\"x"), " '\"x");
        // `$` before a final newline.
        assert_eq!(ocean_quote_rewrite(".a + 'x'\n"), ".a + \"x\"\n");
        // Non-ASCII whitespace and text; length is preserved.
        // (Expected outputs checked against Python's re.sub.)
        let s = "'é'\u{a0}'ü'";
        let r = ocean_quote_rewrite(s);
        assert_eq!(r, "\"é\"\u{a0}'ü\"");
        assert_eq!(r.len(), s.len());
        assert_eq!(ocean_quote_rewrite("'"), "\"");
        assert_eq!(ocean_quote_rewrite("' x"), "\" x");
        assert_eq!(ocean_quote_rewrite("x '"), "x \"");
        assert_eq!(ocean_quote_rewrite("'a' 'b'"), "\"a\" 'b\"");
        assert_eq!(ocean_quote_rewrite("\u{1c}'a"), "\u{1c}\"a");
        assert_eq!(ocean_quote_rewrite(""), "");
    }
}
