//! jq text → jaq-core's syntax tree, with errors as byte ranges.
//!
//! We use jaq-core's `load` lexer and parser (pinned) and never its compiler or interpreter:
//! [`super::lower`] turns the tree into our IR with jq 1.8.2 semantics.

use jaq_core::load::lex::{Lexer, Token};
use jaq_core::load::parse::{Parser, Term};
use std::ops::Range;

/// A lexing or parsing error at a byte range of the jq text.
#[derive(Clone, Debug, PartialEq)]
pub struct SyntaxError {
    pub span: Range<usize>,
    pub message: String,
}

/// Lexes `text` into jaq tokens. The tokens borrow from `text`.
pub fn lex(text: &str) -> Result<Vec<Token<&str>>, Vec<SyntaxError>> {
    Lexer::new(text).lex().map_err(|errors| {
        errors
            .into_iter()
            .map(|(expect, rest)| {
                let start = jaq_core::load::span(text, rest).start;
                // Point at one character of what was found, not the whole rest of the program.
                let end = start + rest.chars().next().map_or(0, char::len_utf8);
                SyntaxError {
                    span: start..end,
                    message: format!("expected {}", expect.as_str()),
                }
            })
            .collect()
    })
}

/// Parses tokens of `text` into a term.
pub fn parse<'s>(
    text: &'s str,
    tokens: &[Token<&'s str>],
) -> Result<Term<&'s str>, Vec<SyntaxError>> {
    Parser::new(tokens).parse(Parser::term).map_err(|errors| {
        errors
            .into_iter()
            .map(|(expect, found)| {
                let (span, what) = match found {
                    Some(token) => {
                        let span = jaq_core::load::span(text, token.0);
                        // A block token covers its whole contents; point at its opening character.
                        let end = span.start + token.0.chars().next().map_or(0, char::len_utf8);
                        (span.start..end, format!("found `{}`", first_line(token.0)))
                    }
                    None => (
                        text.len()..text.len(),
                        "found end of expression".to_string(),
                    ),
                };
                SyntaxError {
                    span,
                    message: format!("expected {}, {what}", expect.as_str()),
                }
            })
            .collect()
    })
}

fn first_line(s: &str) -> &str {
    let s = s.lines().next().unwrap_or("");
    match s.char_indices().nth(20) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(src: &str) {
        let tokens = lex(src).unwrap();
        parse(src, &tokens).unwrap();
    }

    #[test]
    fn parses_real_mappings() {
        parse_ok(".name | gsub(\"[^a-zA-Z0-9@_.:/=-]\"; \"-\") | tostring");
        parse_ok("[ .__incidents[] | select(.status == \"open\")] | length");
        parse_ok(".window.end");
        parse_ok("if .x then .y else null end");
    }

    #[test]
    fn reports_positions() {
        // An unclosed parenthesis is reported where the `)` is missing: the end.
        let src = ".a | (.b";
        let err = lex(src).unwrap_err();
        assert_eq!(err[0].span.start, src.len());
        assert!(
            err[0].message.contains("closing parenthesis"),
            "{}",
            err[0].message
        );
        let src = "if .a then .b";
        let tokens = lex(src).unwrap();
        let err = parse(src, &tokens).unwrap_err();
        assert_eq!(err[0].span, src.len()..src.len());
        assert!(err[0].message.contains("else or end"), "{}", err[0].message);
    }
}
