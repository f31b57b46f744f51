//! jq 1.8.2's regular-expression builtins (`test`, `match`, `capture`, `scan`,
//! `splits`, `split/2`, `sub`, `gsub`) over `fancy-regex`, with Oniguruma syntax
//! translated by [`translate`] and jq's match objects (offsets and lengths in
//! codepoints).
//!
//! Flags are jq's: `g` global, `i` ignore case, `x` extended, `n` ignore empty
//! matches, `s` single line (Oniguruma's default already), `m`/`p` dot matches
//! newline, `l` longest match.
//!
//! Building the regex for each jq form (what `builtin.jq` passes to `_match_impl`):
//! `test/match/capture($val)` → [`Regex::from_arg`]; `test/match/capture(re;
//! flags)` and `sub(re; s; flags)` → [`Regex::from_values`]`(re, flags)`;
//! `scan(re; flags)` → flags [`Regex::scan_flags`]; `splits`, `split/2`,
//! `gsub(re; s; flags)` → flags [`Regex::global_flags`] (one-argument forms pass
//! `null` flags). `scan` and `splits` are always global; `sub` is global when its
//! regex has `g` or `global` is passed (as `gsub` does).
//!
//! Known differences from Oniguruma: a non-empty match starting inside a
//! multi-byte character (Oniguruma searches byte by byte after an empty match) is
//! not reproduced; `l` picks the longest of the leftmost-first matches at each
//! position rather than the longest alternative; captures of a quantified group
//! that can match empty (`(a*)*`) report the last non-empty iteration; `i` uses
//! simple case folding (Oniguruma's full folding also matches `ß` with `ss`); `\b`
//! uses fancy-regex's word characters (which differ from Oniguruma's `\w` only
//! for non-decimal numbers such as `²` and for ZWJ); variable-length look-behind,
//! forward references and `\g<…>` calls are rejected.

mod translate;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use self::translate::PatternFlags;
use super::error::{type_error, type_error2, Error, R};
use super::map::Map;
use super::value::Value;

/// A compiled jq regex (pattern plus flags). Cloning is cheap.
///
/// A regex built with [`Regex::from_values`] or [`Regex::from_arg`] may hold its
/// compile error instead: jq reports a bad pattern or flags only after checking
/// that the input is a string, and so do the functions here.
#[derive(Clone)]
pub struct Regex {
    inner: Result<Arc<Compiled>, Error>,
}

struct Compiled {
    regex: fancy_regex::Regex,
    /// The pattern anchored at the search start (`\G`; non-empty with `n`), built
    /// on first use for `l`, `n` and positions inside multi-byte characters.
    anchored: OnceLock<Option<fancy_regex::Regex>>,
    translated: String,
    /// The `g` flag.
    global: bool,
    /// The `n` flag: empty matches are not reported.
    skip_empty: bool,
    /// The `l` flag: the longest match wins.
    longest: bool,
    /// Group names by group number (index 0 is the whole match).
    names: Vec<Option<Arc<str>>>,
}

impl std::fmt::Debug for Regex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.inner {
            Ok(compiled) => write!(f, "Regex({:?})", compiled.regex.as_str()),
            Err(e) => write!(f, "Regex(error: {e})"),
        }
    }
}

/// Compiled regexes by (pattern, flags): generated code may build the same regex
/// for every input, and compiling dominates matching for short strings.
fn cache() -> &'static Mutex<HashMap<(String, String), Regex>> {
    static CACHE: OnceLock<Mutex<HashMap<(String, String), Regex>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

const CACHE_LIMIT: usize = 512;

impl Regex {
    /// Compiles an Oniguruma pattern with jq flags. Errors carry jq's texts:
    /// `<flags> is not a valid modifier string`, `Regex failure: <message>`.
    pub fn new(pattern: &str, flags: &str) -> R<Regex> {
        let key = (pattern.to_string(), flags.to_string());
        if let Some(hit) = cache().lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(hit);
        }
        let regex = Regex::compile(pattern, flags)?;
        if let Ok(mut cache) = cache().lock() {
            if cache.len() >= CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(key, regex.clone());
        }
        Ok(regex)
    }

    fn compile(pattern: &str, flags: &str) -> R<Regex> {
        let mut pattern_flags = PatternFlags::default();
        let mut global = false;
        let mut skip_empty = false;
        let mut longest = false;
        for flag in flags.chars() {
            match flag {
                'g' => global = true,
                'i' => pattern_flags.ignore_case = true,
                'x' => pattern_flags.extended = true,
                'm' | 'p' => pattern_flags.dot_all = true,
                'n' => skip_empty = true,
                'l' => longest = true,
                's' => {}
                _ => {
                    return Err(Error::msg(format!(
                        "{flags} is not a valid modifier string"
                    )))
                }
            }
        }
        let failure = |message: String| Error::msg(format!("Regex failure: {message}"));
        let translated = translate::translate(pattern, pattern_flags).map_err(failure)?;
        let regex =
            fancy_regex::Regex::new(&translated.pattern).map_err(|e| failure(e.to_string()))?;
        let names = std::iter::once(None)
            .chain(translated.names.into_iter().map(|name| name.map(Arc::from)))
            .collect();
        let translated = translated.pattern;
        Ok(Regex {
            inner: Ok(Arc::new(Compiled {
                regex,
                anchored: OnceLock::new(),
                translated,
                global,
                skip_empty,
                longest,
                names,
            })),
        })
    }

    /// The two-argument form `f(re; flags)`: `re` must be a string and `flags` a
    /// string or null. Errors (jq's texts) are raised when the regex is used on a
    /// string input.
    pub fn from_values(pattern: &Value, flags: &Value) -> Regex {
        let compiled = match (pattern, flags) {
            (Value::String(p), Value::Null) => Regex::new(p, ""),
            (Value::String(p), Value::String(f)) => Regex::new(p, f),
            (Value::String(_), other) | (other, _) => Err(type_error(other, "is not a string")),
        };
        compiled.unwrap_or_else(|e| Regex { inner: Err(e) })
    }

    /// The one-argument form `f($val)`: a pattern string, or `[pattern]` /
    /// `[pattern, flags]`. Anything else fails at once, as in jq.
    pub fn from_arg(arg: &Value) -> R<Regex> {
        match arg {
            Value::String(_) => Ok(Regex::from_values(arg, &Value::Null)),
            Value::Array(items) if !items.is_empty() => Ok(Regex::from_values(
                &items[0],
                items.get(1).unwrap_or(&Value::Null),
            )),
            other => Err(Error::msg(format!(
                "{} not a string or array",
                other.kind_name()
            ))),
        }
    }

    /// The flags `scan($re; $flags)` passes on: `"g" + $flags` (jq's `+`).
    pub fn scan_flags(flags: &Value) -> R<Value> {
        concat(&Value::from("g"), flags)
    }

    /// The flags `splits`, `split/2` and `gsub` pass on: `$flags + "g"`.
    pub fn global_flags(flags: &Value) -> R<Value> {
        concat(flags, &Value::from("g"))
    }

    /// Whether the `g` flag was given.
    pub fn is_global(&self) -> bool {
        self.inner.as_ref().is_ok_and(|c| c.global)
    }

    /// The compiled regex, or the error jq raises for it.
    fn compiled(&self) -> R<&Compiled> {
        self.inner.as_deref().map_err(Clone::clone)
    }
}

/// One match in byte offsets: the whole match and each group (`None`: did not take part).
struct RawMatch {
    start: usize,
    end: usize,
    groups: Vec<Option<(usize, usize)>>,
}

fn failure(e: fancy_regex::Error) -> Error {
    Error::msg(format!("Regex failure: {e}"))
}

/// jq's search loop (`f_match`): one match, or with `global` every match, each
/// search starting where the previous match ended (one byte later after an empty
/// match), including one search at the very end of the string.
fn find(text: &str, compiled: &Compiled, global: bool) -> R<Vec<RawMatch>> {
    let mut found = Vec::new();
    let mut start = 0;
    while start <= text.len() {
        let Some(m) = search(text, compiled, start)? else {
            break;
        };
        let empty = m.start == m.end;
        let at = m.end;
        start = if empty {
            next_char_boundary(text, at)
        } else {
            at
        };
        found.push(m);
        if !global {
            break;
        }
        if empty && start <= text.len() && start - at > 1 {
            found.extend(empty_matches_inside_char(text, compiled, at, start)?);
        }
    }
    Ok(found)
}

/// One `onig_search` from `start`, honouring the `n` and `l` options.
fn search(text: &str, re: &Compiled, start: usize) -> R<Option<RawMatch>> {
    if re.longest {
        // FIND_LONGEST: the longest match starting anywhere from `start` (the
        // first of equally long ones).
        let mut best: Option<RawMatch> = None;
        let mut at = start;
        while at <= text.len() {
            if let Some(m) = anchored_match(text, re, at)? {
                if best
                    .as_ref()
                    .is_none_or(|b| m.end - m.start > b.end - b.start)
                {
                    best = Some(m);
                }
            }
            at = next_char_boundary(text, at);
        }
        return Ok(best);
    }
    let mut from = start;
    loop {
        let Some(caps) = re.regex.captures_from_pos(text, from).map_err(failure)? else {
            return Ok(None);
        };
        let m = raw_match(&caps);
        if !(re.skip_empty && m.start == m.end) {
            return Ok(Some(m));
        }
        // FIND_NOT_EMPTY rejects the empty match and backtracks for a longer one
        // at the same position before moving on.
        if let Some(longer) = anchored_match(text, re, m.start)? {
            return Ok(Some(longer));
        }
        from = next_char_boundary(text, m.start);
        if from > text.len() {
            return Ok(None);
        }
    }
}

/// A match starting exactly at `at` (non-empty with the `n` flag).
fn anchored_match(text: &str, re: &Compiled, at: usize) -> R<Option<RawMatch>> {
    let anchored = re.anchored.get_or_init(|| {
        // `(?!\G)` fails at the start position, so it forces a non-empty match.
        let tail = if re.skip_empty { r"(?!\G)" } else { "" };
        fancy_regex::Regex::new(&format!(r"\G(?:{}){tail}", re.translated)).ok()
    });
    let Some(anchored) = anchored else {
        return Ok(None);
    };
    Ok(anchored
        .captures_from_pos(text, at)
        .map_err(failure)?
        .map(|caps| raw_match(&caps)))
}

fn raw_match(caps: &fancy_regex::Captures) -> RawMatch {
    let span = |g: fancy_regex::Match| (g.start(), g.end());
    let (start, end) = caps.get(0).map_or((0, 0), span);
    let groups = (1..caps.len()).map(|i| caps.get(i).map(span)).collect();
    RawMatch { start, end, groups }
}

/// After an empty match before a multi-byte character, Oniguruma's next search
/// starts one byte later, inside the character: each such position where the
/// pattern matches empty is another (empty) match. Oniguruma reads the character
/// there as the code point of its continuation byte (U+0080..U+00BF) after the
/// whole character; this rebuilds that view of the text to test the position.
/// (A non-empty match starting inside a character is not reproduced.)
fn empty_matches_inside_char(
    text: &str,
    re: &Compiled,
    char_start: usize,
    char_end: usize,
) -> R<Vec<RawMatch>> {
    let mut found = Vec::new();
    for inside in char_start + 1..char_end {
        let mut view = String::with_capacity(text.len() + 8);
        view.push_str(&text[..char_end]);
        view.extend(
            text.as_bytes()[inside..char_end]
                .iter()
                .map(|&b| char::from(b)),
        );
        view.push_str(&text[char_end..]);
        if let Some(m) = anchored_match(&view, re, char_end)? {
            if m.start == m.end {
                let groups = m
                    .groups
                    .iter()
                    .map(|g| g.map(|_| (inside, inside)))
                    .collect();
                found.push(RawMatch {
                    start: inside,
                    end: inside,
                    groups,
                });
            }
        }
    }
    Ok(found)
}

/// The byte offset one character after `at` (`len + 1` at the end, ending the loop).
fn next_char_boundary(text: &str, at: usize) -> usize {
    text[at..]
        .chars()
        .next()
        .map_or(text.len() + 1, |c| at + c.len_utf8())
}

/// Byte offset to codepoint index, moving incrementally (matches come in order).
/// Inside a character the index is the next character's, as jq counts it.
struct Codepoints<'a> {
    text: &'a str,
    byte: usize,
    count: usize,
}

impl<'a> Codepoints<'a> {
    fn new(text: &'a str) -> Self {
        Codepoints {
            text,
            byte: 0,
            count: 0,
        }
    }

    fn at(&mut self, mut byte: usize) -> usize {
        let mut inside = false;
        while !self.text.is_char_boundary(byte) {
            byte -= 1;
            inside = true;
        }
        if byte >= self.byte {
            self.count += self.text[self.byte..byte].chars().count();
        } else {
            self.count -= self.text[byte..self.byte].chars().count();
        }
        self.byte = byte;
        self.count + usize::from(inside)
    }
}

fn input_text(input: &Value) -> R<&str> {
    input
        .as_str()
        .ok_or_else(|| type_error(input, "cannot be matched, as it is not a string"))
}

fn object(entries: Vec<(&str, Value)>) -> Value {
    let mut map = Map::with_capacity(entries.len());
    for (key, value) in entries {
        map.insert(key, value);
    }
    Value::from(map)
}

/// jq's match object, keys in jq's order (which differs between capture shapes).
fn match_object(
    text: &str,
    m: &RawMatch,
    names: &[Option<Arc<str>>],
    cps: &mut Codepoints,
) -> Value {
    let offset = cps.at(m.start);
    let length = cps.at(m.end) - offset;
    let name_of = |i: usize| {
        names
            .get(i + 1)
            .cloned()
            .flatten()
            .map_or(Value::Null, Value::from)
    };
    let zero_width = m.start == m.end;
    let captures = m
        .groups
        .iter()
        .enumerate()
        .map(|(i, group)| match group {
            None => object(vec![
                ("offset", Value::from(-1i64)),
                ("string", Value::Null),
                ("length", Value::from(0i64)),
                ("name", name_of(i)),
            ]),
            // In a zero-width match jq reports every taking-part group as empty at
            // the match offset.
            Some(_) if zero_width => object(vec![
                ("offset", Value::from(offset)),
                ("string", Value::from("")),
                ("length", Value::from(0i64)),
                ("name", name_of(i)),
            ]),
            Some((s, e)) if s == e => object(vec![
                ("offset", Value::from(cps.at(*s))),
                ("string", Value::from("")),
                ("length", Value::from(0i64)),
                ("name", name_of(i)),
            ]),
            Some((s, e)) => {
                let cap_offset = cps.at(*s);
                let cap_length = cps.at(*e) - cap_offset;
                object(vec![
                    ("offset", Value::from(cap_offset)),
                    ("length", Value::from(cap_length)),
                    ("string", Value::from(&text[*s..*e])),
                    ("name", name_of(i)),
                ])
            }
        })
        .collect::<Vec<Value>>();
    object(vec![
        ("offset", Value::from(offset)),
        ("length", Value::from(length)),
        ("string", Value::from(matched_text(text, m))),
        ("captures", Value::from(captures)),
    ])
}

/// The matched text (empty matches may sit inside a character).
fn matched_text<'t>(text: &'t str, m: &RawMatch) -> &'t str {
    if m.start == m.end {
        ""
    } else {
        &text[m.start..m.end]
    }
}

/// Each match's `(offset, offset + length)` in codepoints, as in its match object.
fn codepoint_spans(text: &str, matches: &[RawMatch]) -> Vec<(usize, usize)> {
    let mut cps = Codepoints::new(text);
    matches
        .iter()
        .map(|m| {
            let offset = cps.at(m.start);
            let end = if m.start == m.end {
                offset
            } else {
                cps.at(m.end)
            };
            (offset, end)
        })
        .collect()
}

/// `$in[from:to]` on codepoint indices (clamped; empty when `to < from`).
struct CodepointSlicer<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> CodepointSlicer<'t> {
    fn new(text: &'t str) -> Self {
        let starts = text
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(text.len()))
            .collect();
        CodepointSlicer { text, starts }
    }

    fn slice(&self, from: usize, to: Option<usize>) -> &'t str {
        let last = self.starts.len() - 1;
        let from = from.min(last);
        let to = to.map_or(last, |t| t.min(last)).max(from);
        &self.text[self.starts[from]..self.starts[to]]
    }
}

/// jq's capture object: named groups only, later duplicates winning.
fn capture_object(text: &str, m: &RawMatch, names: &[Option<Arc<str>>]) -> Value {
    let mut map = Map::new();
    for (i, group) in m.groups.iter().enumerate() {
        if let Some(Some(name)) = names.get(i + 1) {
            let value = match group {
                Some((s, e)) if m.start != m.end => Value::from(&text[*s..*e]),
                Some(_) => Value::from(""),
                None => Value::Null,
            };
            map.insert(name.clone(), value);
        }
    }
    Value::from(map)
}

/// `match(re; flags)`: the match objects (every match when `global` or the
/// regex's `g` flag).
pub fn regex_match(input: &Value, re: &Regex, global: bool) -> R<Vec<Value>> {
    let text = input_text(input)?;
    let re = re.compiled()?;
    let mut cps = Codepoints::new(text);
    let matches = find(text, re, global || re.global)?;
    Ok(matches
        .iter()
        .map(|m| match_object(text, m, &re.names, &mut cps))
        .collect())
}

/// `test(re; flags)`.
pub fn test(input: &Value, re: &Regex) -> R<Value> {
    let text = input_text(input)?;
    let re = re.compiled()?;
    Ok(Value::from(!find(text, re, false)?.is_empty()))
}

/// `capture(re; flags)`: one object of named captures per match.
pub fn capture(input: &Value, re: &Regex, global: bool) -> R<Vec<Value>> {
    let text = input_text(input)?;
    let re = re.compiled()?;
    let matches = find(text, re, global || re.global)?;
    Ok(matches
        .iter()
        .map(|m| capture_object(text, m, &re.names))
        .collect())
}

/// `scan(re; flags)`: always global (jq adds `g`); the matched string, or the
/// array of group strings when the regex has groups.
pub fn scan(input: &Value, re: &Regex, _global: bool) -> R<Vec<Value>> {
    let text = input_text(input)?;
    let re = re.compiled()?;
    let matches = find(text, re, true)?;
    Ok(matches
        .iter()
        .map(|m| {
            if m.groups.is_empty() {
                Value::from(matched_text(text, m))
            } else {
                m.groups
                    .iter()
                    .map(|g| match g {
                        Some(_) if m.start == m.end => Value::from(""),
                        Some((s, e)) => Value::from(&text[*s..*e]),
                        None => Value::Null,
                    })
                    .collect()
            }
        })
        .collect())
}

/// `splits(re; flags)`: the pieces between global matches.
pub fn splits(input: &Value, re: &Regex) -> R<Vec<Value>> {
    let text = input_text(input)?;
    let re = re.compiled()?;
    let matches = find(text, re, true)?;
    let slicer = CodepointSlicer::new(text);
    let mut pieces = Vec::with_capacity(matches.len() + 1);
    let mut previous_end = 0;
    for (offset, end) in codepoint_spans(text, &matches) {
        pieces.push(Value::from(slicer.slice(previous_end, Some(offset))));
        previous_end = end;
    }
    pieces.push(Value::from(slicer.slice(previous_end, None)));
    Ok(pieces)
}

/// `split(re; flags)`: `[splits(re; flags)]`.
pub fn split_re(input: &Value, re: &Regex) -> R<Value> {
    Ok(Value::from(splits(input, re)?))
}

/// `sub(re; replacement; flags)` and `gsub` (pass `global`): jq 1.8.2's definition.
/// `replacement` is the caller's filter run on each match's capture object; all
/// its outputs count. Output `i` is built from output `i` of the replacement at
/// every match (a match where the filter yields fewer outputs adds nothing to the
/// later ones); when the filter never yields, the input is returned unchanged.
pub fn sub(
    input: &Value,
    re: &Regex,
    global: bool,
    replacement: &mut dyn FnMut(Value) -> R<Vec<Value>>,
) -> R<Vec<Value>> {
    let text = input_text(input)?;
    let re = re.compiled()?;
    let matches = find(text, re, global || re.global)?;
    let slicer = CodepointSlicer::new(text);
    let mut results: Vec<Value> = Vec::new();
    let mut previous = 0;
    for (m, (offset, end)) in matches.iter().zip(codepoint_spans(text, &matches)) {
        let gap = Value::from(slicer.slice(previous, Some(offset)));
        let inserts = replacement(capture_object(text, m, &re.names))?;
        for (i, insert) in inserts.iter().enumerate() {
            let piece = concat(&gap, insert)?;
            match results.get_mut(i) {
                Some(result) => *result = concat(result, &piece)?,
                None => results.push(piece),
            }
        }
        previous = end;
    }
    if results.is_empty() {
        return Ok(vec![input.clone()]);
    }
    let tail = Value::from(slicer.slice(previous, None));
    results.iter().map(|r| concat(r, &tail)).collect()
}

/// jq's `+` on what `sub` adds: strings, with `null` as the identity.
fn concat(a: &Value, b: &Value) -> R<Value> {
    match (a, b) {
        (Value::Null, _) => Ok(b.clone()),
        (_, Value::Null) => Ok(a.clone()),
        (Value::String(x), Value::String(y)) => Ok(Value::from(format!("{x}{y}"))),
        _ => Err(type_error2(a, b, "cannot be added")),
    }
}

#[cfg(test)]
mod tests;
