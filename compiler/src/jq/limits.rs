//! Resource limits of the jq front end: a mapping may come from anywhere (a file at build time,
//! Port over the network at run time), so every stage is bounded in time, memory and stack.
//!
//! Each leaf is checked, in pipeline order, against:
//!
//! | limit | what | code |
//! |-------|------|------|
//! | [`MAX_NESTING`] | nesting, measured on the text before jaq's recursive lexer and parser run ([`check_text`]) | E0105 |
//! | [`MAX_PROGRAM_BYTES`] | size of the jq text | E0106 |
//! | [`MAX_LIST_ITEMS`] | items of one `,` list (jaq nests them one level per item) | E0106 |
//! | [`MAX_IR_NODES`] | IR nodes after lowering: inlined `def`s and expanded builtins multiply the text | E0106 |
//! | [`MAX_IR_DEPTH`] | IR depth, which every later pass (analysis, code generation, interpreter) recurses on | E0105 |
//! | [`super::cost::MAX_CODE_SIZE`] | estimated size of the generated Rust | E0106 |
//! | [`super::cost::MAX_CODE_NESTING`] | estimated nesting of the generated Rust | E0105 |
//!
//! (and, for a whole mapping, [`super::cost::MAX_MAPPING_CODE_SIZE`]). Real mappings are far
//! inside all of them: over the Ocean corpus and the jq manual, nesting 17, 91 IR nodes, IR
//! depth 25, 2,200 tokens and code nesting 41 at most. A program past one gets a single
//! diagnostic at the place the limit was crossed, and no later stage runs on it. The text
//! checks run in one pass over the bytes; the IR checks in one pass over the nodes, with an
//! explicit stack.
//!
//! At the limits, compiling one expression — through generating and formatting its Rust — needs
//! at most about 1.2 MiB of stack optimised and 6 MiB unoptimised (build scripts, tests): the
//! main thread's 8 MiB are enough for `validate` and builds either way.

use super::ir::{Expr, ExprKind, Lit, PathStep, StrPart};
use super::ExprError;
use std::ops::Range;

/// Largest jq program, in bytes (real leaves are well under 1 KiB).
pub const MAX_PROGRAM_BYTES: usize = 64 * 1024;

/// Deepest nesting of a program's text: brackets, string interpolations, `if`/`def` blocks,
/// and the prefix forms and operator chains that jaq's parser recurses on (`try`, `label`,
/// `reduce`, `foreach`, `-`, `as`, `|` and the binary operators).
pub const MAX_NESTING: usize = 128;

/// Most items in one `a, b, c, …` list (at one nesting level).
pub const MAX_LIST_ITEMS: usize = 4096;

/// Most IR nodes of one program after lowering; every [`LITERAL_BYTES_PER_NODE`] bytes of a
/// string or number literal count as one more (an inlined `def` copies its literals).
pub const MAX_IR_NODES: usize = 20_000;

/// Bytes of literal text that weigh as much as one IR node.
pub const LITERAL_BYTES_PER_NODE: usize = 64;

/// Deepest IR of one program after lowering. An object literal or an interpolated string counts
/// one level per part, since code generation nests one loop per part.
pub const MAX_IR_DEPTH: usize = 256;

fn nesting_help() -> String {
    format!(
        "a jq expression may nest at most {MAX_NESTING} levels: parentheses, brackets, braces, string interpolations, `if`/`def` blocks, and chains of `|`, `as`, operators and `try`/`label`/`reduce`/`foreach` prefixes all count; split it into smaller steps"
    )
}

/// E0106 for a text over [`MAX_PROGRAM_BYTES`], at the first byte past the limit.
fn text_too_large(text: &str) -> ExprError {
    let mut at = MAX_PROGRAM_BYTES;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let end = at + text[at..].chars().next().map_or(0, char::len_utf8);
    ExprError {
        code: "E0106",
        span: at..end,
        message: format!("jq expression is too large ({} bytes)", text.len()),
        help: Some(format!(
            "a jq expression may be at most {MAX_PROGRAM_BYTES} bytes long"
        )),
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Open {
    Top,
    Paren,
    Bracket,
    Brace,
    /// `\(` inside a string; its `)` returns to the string.
    Interp,
    /// `if … end`
    If,
    /// `def name: … ;`
    Def,
}

/// One open nesting level of the pre-scan.
struct Frame {
    open: Open,
    /// `|` and `as`: they extend to the end of the level, so never reset within it.
    chain: usize,
    /// Other operators and prefixes since the last `,` (or `;`, `:`, `then`, …): each operand
    /// of a list is parsed on its own.
    ops: usize,
    /// `,` since the last `;`.
    items: usize,
    /// The last token closed a `def` of this level: a following `def` is parsed in a loop.
    after_def: bool,
}

impl Frame {
    fn new(open: Open) -> Frame {
        Frame {
            open,
            chain: 0,
            ops: 0,
            items: 0,
            after_def: false,
        }
    }

    fn weight(&self) -> usize {
        1 + self.chain + self.ops
    }
}

/// The pre-scan's state: open levels and their summed weight (the current nesting).
struct Scan {
    frames: Vec<Frame>,
    depth: usize,
    /// Deepest nesting seen.
    max: usize,
}

impl Scan {
    fn top(&mut self) -> &mut Frame {
        self.frames
            .last_mut()
            .expect("the top level is never closed")
    }

    fn too_deep(&self, span: Range<usize>) -> ExprError {
        ExprError {
            code: "E0105",
            span,
            message: format!("jq expression is nested more than {MAX_NESTING} levels deep"),
            help: Some(nesting_help()),
        }
    }

    fn push(&mut self, open: Open, span: Range<usize>) -> Result<(), ExprError> {
        self.frames.push(Frame::new(open));
        self.depth += 1;
        self.max = self.max.max(self.depth);
        if self.depth > MAX_NESTING {
            return Err(self.too_deep(span));
        }
        Ok(())
    }

    /// Counts a prefix or an operator at the current level.
    fn op(&mut self, chain: bool, span: Range<usize>) -> Result<(), ExprError> {
        let top = self.top();
        top.after_def = false;
        if chain {
            top.chain += 1;
        } else {
            top.ops += 1;
        }
        self.depth += 1;
        self.max = self.max.max(self.depth);
        if self.depth > MAX_NESTING {
            return Err(self.too_deep(span));
        }
        Ok(())
    }

    fn reset_ops(&mut self) {
        let top = self.top();
        let n = top.ops;
        top.ops = 0;
        top.after_def = false;
        self.depth -= n;
    }

    /// A `;` or, in an object, a `:`/`,`: the next term is parsed on its own.
    fn reset_all(&mut self) {
        self.reset_ops();
        let top = self.top();
        let n = top.chain;
        top.chain = 0;
        top.items = 0;
        self.depth -= n;
    }

    fn pop(&mut self) -> Open {
        let frame = self.frames.pop().expect("only non-top levels are closed");
        self.depth -= frame.weight();
        frame.open
    }

    /// Closes the innermost level opened by one of `opens`, and any `if`/`def` left open inside
    /// it (a syntax error jaq reports). Returns what was closed, `None` if nothing matches.
    fn close(&mut self, opens: &[Open]) -> Option<Open> {
        let at = self.frames.iter().rposition(|f| opens.contains(&f.open))?;
        while self.frames.len() > at + 1 {
            self.pop();
        }
        Some(self.pop())
    }
}

/// Checks the nesting and size of a jq program before jaq's lexer and parser (both recursive)
/// see it: their recursion depth, and the depth of the syntax tree they build, are then bounded
/// by [`MAX_NESTING`] (lists by [`MAX_LIST_ITEMS`]). One pass over the bytes, no allocation
/// beyond the open levels.
pub fn check_text(text: &str) -> Result<(), ExprError> {
    nesting(text).map(drop)
}

/// The nesting [`check_text`] measures, when within the limits.
pub fn nesting(text: &str) -> Result<usize, ExprError> {
    let b = text.as_bytes();
    let mut s = Scan {
        frames: vec![Frame::new(Open::Top)],
        // The top level itself is not a nesting level.
        depth: 0,
        max: 0,
    };
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut in_string = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if in_string {
            match c {
                b'"' => in_string = false,
                b'\\' if b.get(i + 1) == Some(&b'(') => {
                    s.push(Open::Interp, i..i + 2)?;
                    in_string = false;
                    i += 1;
                }
                // Any escaped byte; multi-byte chars are skipped byte by byte (none is ASCII).
                b'\\' => i += 1,
                _ => {}
            }
            i += 1;
            continue;
        }
        let start = i;
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'#' => i = comment_end(text, i),
            b'"' => {
                s.top().after_def = false;
                in_string = true;
                i += 1;
            }
            b'(' | b'[' | b'{' => {
                s.top().after_def = false;
                let open = match c {
                    b'(' => Open::Paren,
                    b'[' => Open::Bracket,
                    _ => Open::Brace,
                };
                s.push(open, i..i + 1)?;
                i += 1;
            }
            b')' | b']' | b'}' => {
                let opens: &[Open] = match c {
                    b')' => &[Open::Paren, Open::Interp],
                    b']' => &[Open::Bracket],
                    _ => &[Open::Brace],
                };
                if s.close(opens) == Some(Open::Interp) {
                    in_string = true;
                }
                s.top().after_def = false;
                i += 1;
            }
            b';' => {
                if s.top().open == Open::Def {
                    s.pop();
                    s.top().after_def = true;
                } else {
                    s.reset_all();
                }
                i += 1;
            }
            b',' => {
                if s.top().open == Open::Brace {
                    s.reset_all();
                } else {
                    s.reset_ops();
                    let top = s.top();
                    top.items += 1;
                    if top.items >= MAX_LIST_ITEMS {
                        return Err(ExprError {
                            code: "E0106",
                            span: i..i + 1,
                            message: format!(
                                "jq list has more than {MAX_LIST_ITEMS} `,`-separated items"
                            ),
                            help: Some(format!(
                                "a jq list (`a, b, …`) may have at most {MAX_LIST_ITEMS} items"
                            )),
                        });
                    }
                }
                i += 1;
            }
            b':' => {
                if matches!(s.top().open, Open::Brace | Open::Def) {
                    s.reset_all();
                }
                i += 1;
            }
            b'.' => {
                if b.get(i + 1) == Some(&b'.') {
                    i += 2;
                    s.top().after_def = false;
                } else if b.get(i + 1).is_some_and(|&c| ident(c) || c == b'"') {
                    // A path step (`.a`, `."a"`): one more level of the tree (`.[…]` is
                    // counted by its bracket).
                    i += 1;
                    while i < b.len() && ident(b[i]) {
                        i += 1;
                    }
                    s.op(false, start..i)?;
                } else {
                    i += 1;
                    s.top().after_def = false;
                }
            }
            b'$' | b'@' => {
                i += 1;
                i = ident_end(b, i);
                s.top().after_def = false;
            }
            b'0'..=b'9' => {
                while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                    i += 1;
                }
                if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
                    i += 1;
                    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
                        i += 1;
                    }
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                }
                s.top().after_def = false;
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                i = ident_end(b, i);
                match &text[start..i] {
                    "if" => {
                        s.top().after_def = false;
                        s.push(Open::If, start..i)?;
                    }
                    "then" | "elif" | "else" => {
                        if s.top().open == Open::If {
                            s.reset_all();
                        }
                    }
                    "end" => {
                        if s.top().open == Open::If {
                            s.pop();
                        }
                        s.top().after_def = false;
                    }
                    "def" => {
                        // The program after a run of `def`s is parsed inside the first one.
                        if !s.top().after_def {
                            s.op(true, start..i)?;
                        }
                        s.push(Open::Def, start..i)?;
                    }
                    "as" | "try" | "label" | "reduce" | "foreach" => s.op(true, start..i)?,
                    "and" | "or" => s.op(false, start..i)?,
                    _ => s.top().after_def = false,
                }
            }
            b'|' if b.get(i + 1) != Some(&b'=') => {
                i += 1;
                s.op(true, start..i)?;
            }
            b'|' | b'=' | b'!' | b'<' | b'>' | b'+' | b'-' | b'*' | b'/' | b'%' => {
                // As jaq lexes operators: one char, then any of these but `-`.
                i += 1;
                while i < b.len() && b"|=!<>+*/%".contains(&b[i]) {
                    i += 1;
                }
                s.op(false, start..i)?;
            }
            _ => {
                // `?` and anything jaq's lexer rejects.
                i += text[i..].chars().next().map_or(1, char::len_utf8);
                s.top().after_def = false;
            }
        }
    }
    // After the scan, which is linear and stops at the first level too deep: a deep program is
    // reported as deep, whatever its size.
    if text.len() > MAX_PROGRAM_BYTES {
        return Err(text_too_large(text));
    }
    Ok(s.max)
}

/// End of an identifier (with `::` module paths) starting at or before `i`.
fn ident_end(b: &[u8], mut i: usize) -> usize {
    loop {
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
            i += 1;
        }
        if b[i..].starts_with(b"::") {
            i += 2;
        } else {
            return i;
        }
    }
}

/// End of a `#` comment starting at `i`: as jaq, a line ending in an odd number of
/// backslashes continues it.
fn comment_end(text: &str, mut i: usize) -> usize {
    loop {
        let line_end = text[i..].find('\n').map_or(text.len(), |n| i + n);
        let line = text[i..line_end]
            .strip_suffix('\r')
            .unwrap_or(&text[i..line_end]);
        let backslashes = line.bytes().rev().take_while(|&c| c == b'\\').count();
        i = (line_end + 1).min(text.len());
        if backslashes % 2 == 0 || line_end == text.len() {
            return i;
        }
    }
}

/// Checks the lowered IR against [`MAX_IR_NODES`] and [`MAX_IR_DEPTH`] in one pass with an
/// explicit stack (the IR may be too deep to recurse on: that is what is being checked).
pub fn check_ir(expr: &Expr) -> Result<(), ExprError> {
    walk(expr, MAX_IR_NODES, MAX_IR_DEPTH).map(drop)
}

/// An IR's node count and depth, as [`check_ir`] measures them.
pub fn measure(expr: &Expr) -> (usize, usize) {
    walk(expr, usize::MAX, usize::MAX).unwrap_or((usize::MAX, usize::MAX))
}

fn walk(expr: &Expr, max_nodes: usize, max_depth: usize) -> Result<(usize, usize), ExprError> {
    let mut nodes = 0usize;
    let mut deepest = 0usize;
    // (node, its depth): depth counts a node's position in the code generator's nesting.
    let mut stack: Vec<(&Expr, usize)> = vec![(expr, 1)];
    while let Some((e, depth)) = stack.pop() {
        nodes += 1 + literal_weight(e);
        deepest = deepest.max(depth);
        if nodes > max_nodes {
            return Err(too_many_nodes(e.span.clone()));
        }
        if depth > max_depth {
            return Err(too_deep(e.span.clone()));
        }
        each_child(e, depth, &mut |child, d| stack.push((child, d)));
    }
    Ok((nodes, deepest))
}

/// How many nodes the literal text held by `e` itself weighs.
pub(super) fn literal_weight(e: &Expr) -> usize {
    let bytes = match &e.kind {
        ExprKind::Lit(Lit::Str(s) | Lit::Num(s)) => s.len(),
        ExprKind::Str(_, parts) => parts
            .iter()
            .map(|p| match p {
                StrPart::Lit(s) => s.len(),
                StrPart::Interp(_) => 0,
            })
            .sum(),
        _ => 0,
    };
    bytes / LITERAL_BYTES_PER_NODE
}

/// E0106 for an IR over [`MAX_IR_NODES`], at the node where the count was crossed.
pub(super) fn too_many_nodes(span: Range<usize>) -> ExprError {
    ExprError {
        code: "E0106",
        span,
        message: format!(
            "jq expression is too large: more than {MAX_IR_NODES} steps once its functions are expanded"
        ),
        help: Some(format!(
            "a jq expression may have at most {MAX_IR_NODES} steps after `def`s are inlined and builtins expanded (a `def` that uses a filter parameter twice doubles at every call); simplify it"
        )),
    }
}

/// E0105 for an IR deeper than [`MAX_IR_DEPTH`], at the node that crossed it.
pub(super) fn too_deep(span: Range<usize>) -> ExprError {
    ExprError {
        code: "E0105",
        span,
        message: format!(
            "jq expression is nested more than {MAX_IR_DEPTH} levels deep once its functions are expanded"
        ),
        help: Some(format!(
            "a jq expression may nest at most {MAX_IR_DEPTH} levels after `def`s are inlined and builtins expanded (each entry of an object literal and each `\\(…)` of a string counts as one); split it into smaller steps"
        )),
    }
}

/// Calls `f` with every child of `e` and the child's depth: one more than `e`'s, plus the
/// child's position for parts the code generator nests one inside the other.
fn each_child<'e>(e: &'e Expr, depth: usize, f: &mut dyn FnMut(&'e Expr, usize)) {
    let d = depth + 1;
    match &e.kind {
        ExprKind::Identity
        | ExprKind::Recurse
        | ExprKind::Lit(_)
        | ExprKind::Var(_)
        | ExprKind::Empty
        | ExprKind::Break(_)
        | ExprKind::Format(_)
        | ExprKind::Array(None) => {}
        ExprKind::Str(_, parts) => {
            let interps = parts.iter().filter_map(|p| match p {
                StrPart::Interp(e) => Some(e),
                StrPart::Lit(_) => None,
            });
            for (i, x) in interps.enumerate() {
                f(x, d + i);
            }
        }
        ExprKind::Object(entries) => {
            for (i, (k, v)) in entries.iter().enumerate() {
                f(k, d + 2 * i);
                f(v, d + 2 * i + 1);
            }
        }
        ExprKind::Call(_, args) => {
            for (i, a) in args.iter().enumerate() {
                f(a, d + i);
            }
        }
        ExprKind::Array(Some(a))
        | ExprKind::Neg(a)
        | ExprKind::Iterate(a, _)
        | ExprKind::Label(_, a)
        | ExprKind::Keyed(_, a)
        | ExprKind::Walk(a)
        | ExprKind::First(a)
        | ExprKind::IsEmpty(a) => f(a, d),
        ExprKind::Pipe(a, b)
        | ExprKind::Comma(a, b)
        | ExprKind::Alt(a, b)
        | ExprKind::And(a, b)
        | ExprKind::Or(a, b)
        | ExprKind::Math(_, a, b)
        | ExprKind::Cmp(_, a, b)
        | ExprKind::Limit(a, b)
        | ExprKind::Bind {
            source: a, body: b, ..
        }
        | ExprKind::AnyAll {
            generator: a,
            cond: b,
            ..
        } => {
            f(a, d);
            f(b, d + 1);
        }
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => {
            f(cond, d);
            f(then, d + 1);
            f(otherwise, d + 1);
        }
        ExprKind::Try { body, handler } => {
            f(body, d);
            if let Some(h) = handler {
                f(h, d);
            }
        }
        ExprKind::Fold(fold) => {
            f(&fold.init, d);
            f(&fold.update, d + 1);
            f(&fold.source, d + 1);
            if let Some(x) = &fold.extract {
                f(x, d + 2);
            }
        }
        ExprKind::Index { base, key, .. } => {
            f(key, d);
            f(base, d + 1);
        }
        ExprKind::Slice { base, from, to, .. } => {
            f(from, d);
            f(to, d + 1);
            f(base, d + 2);
        }
        ExprKind::Regex {
            pattern,
            flags,
            replacement,
            ..
        } => {
            f(flags, d);
            f(pattern, d + 1);
            if let Some(r) = replacement {
                f(r, d + 2);
            }
        }
        ExprKind::Range(a, b, c) => {
            f(a, d);
            f(b, d + 1);
            f(c, d + 2);
        }
        ExprKind::Update { path, rhs, .. } => {
            for step in path {
                match step {
                    PathStep::Index(k) => f(k, d),
                    PathStep::Slice(a, b) => {
                        f(a, d);
                        f(b, d);
                    }
                    PathStep::Iterate => {}
                }
            }
            f(rhs, d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nesting_error(src: &str) -> Option<(&'static str, Range<usize>)> {
        check_text(src).err().map(|e| (e.code, e.span))
    }

    #[test]
    fn real_programs_pass() {
        for src in [
            ".name | gsub(\"[^a-zA-Z0-9@_.:/=-]\"; \"-\") | tostring",
            "[ .__incidents[] | select(.status == \"open\")] | length",
            "def f(g): g | g; reduce .[] as $x (0; . + $x) | f(. + 1)",
            "if .a then \"\\(.b // \"x\")\" elif .c then [.d[]?] else {a: 1, b: (2, 3)} end",
            "# a comment with ( and \" \\\n still a comment (\n.a",
        ] {
            assert_eq!(nesting_error(src), None, "{src}");
        }
    }

    #[test]
    fn every_kind_of_nesting_counts() {
        let n = MAX_NESTING + 1;
        let cases = [
            "(".repeat(n) + &")".repeat(n),
            "[".repeat(n) + "." + &"]".repeat(n),
            "{a:".repeat(n) + "." + &"}".repeat(n),
            "\"\\(".repeat(n) + "." + &")\"".repeat(n),
            "if . then ".repeat(n) + "." + &" end".repeat(n),
            "try ".repeat(n) + ".",
            "- ".repeat(n) + "1",
            "label $x | ".repeat(n) + ".",
            ". as $x | ".repeat(n) + ".",
            vec![".a"; n].join(" | "),
            vec![".a"; n].join(" // "),
            vec![".a"; n].join(" and "),
            ".a".repeat(n),
            "def f: ".repeat(n) + "." + &"; f".repeat(n),
        ];
        for src in cases {
            let (code, span) = nesting_error(&src).unwrap_or_else(|| panic!("{src:.60}"));
            assert_eq!(code, "E0105", "{src:.60}");
            assert!(span.start > 0 && span.end <= src.len());
        }
        // At the limit passes.
        let src = "(".repeat(MAX_NESTING) + &")".repeat(MAX_NESTING);
        assert_eq!(nesting_error(&src), None);
        let src = "try ".repeat(MAX_NESTING) + ".";
        assert_eq!(nesting_error(&src), None);
    }

    #[test]
    fn lists_and_definitions_do_not_nest() {
        let items = vec!["1"; MAX_LIST_ITEMS - 1].join(",");
        assert_eq!(nesting_error(&format!("[{items}]")), None);
        let defs: String = (0..MAX_NESTING * 2)
            .map(|i| format!("def f{i}: .; "))
            .collect();
        assert_eq!(nesting_error(&format!("{defs}.")), None);
        let entries: Vec<String> = (0..MAX_NESTING * 2)
            .map(|i| format!("a{i}: .x + 1"))
            .collect();
        assert_eq!(nesting_error(&format!("{{{}}}", entries.join(", "))), None);
        let items = vec!["1"; MAX_LIST_ITEMS + 1].join(",");
        assert_eq!(nesting_error(&items).map(|e| e.0), Some("E0106"));
    }

    #[test]
    fn size_limit() {
        let src = format!("\"{}\"", "é".repeat(MAX_PROGRAM_BYTES));
        let (code, span) = nesting_error(&src).unwrap();
        assert_eq!(code, "E0106");
        assert!(src.is_char_boundary(span.start) && src.is_char_boundary(span.end));
    }
}
