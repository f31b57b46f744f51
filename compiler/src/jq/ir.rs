//! The jq IR: what [`super::lower`] produces from jaq's syntax tree and what the analysis and the
//! code generator consume.
//!
//! It is smaller than jq's surface syntax: object shorthands, `map`, `select`, `//=` and friends
//! are already expanded, every variable has a unique [`VarId`], and user `def`s are inlined. Every
//! node keeps the byte range of the jq text it came from, for diagnostics.

use std::ops::Range;

/// A variable after resolution; unique within one program, so inlining cannot capture names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VarId(pub u32);

/// A label introduced by `label $name | …`, `first(f)`, `limit(n; f)` and similar early exits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LabelId(pub u32);

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    /// Byte range in the jq text.
    pub span: Range<usize>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Lit {
    Null,
    Bool(bool),
    /// The literal's text, kept because jq 1.8 preserves number literals when printing.
    Num(String),
    Str(String),
}

impl Lit {
    /// The value of a number literal that both back ends compute instead of keeping its text:
    /// a plain small integer prints the same either way (jq 1.8 keeps other literals' text).
    pub fn plain_int(&self) -> Option<f64> {
        let Lit::Num(text) = self else { return None };
        let plain = !text.is_empty()
            && text.len() <= 15
            && text.bytes().all(|b| b.is_ascii_digit())
            && (text == "0" || !text.starts_with('0'));
        plain.then(|| text.parse().ok()).flatten()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MathOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A piece of a string with interpolation.
#[derive(Clone, Debug)]
pub enum StrPart {
    Lit(String),
    /// `\(f)`: each output is formatted (with the string's format, `@text` by default).
    Interp(Expr),
}

/// How `reduce`/`foreach` and `label` nodes look.
#[derive(Clone, Debug)]
pub struct Fold {
    pub source: Box<Expr>,
    pub var: VarId,
    pub init: Box<Expr>,
    pub update: Box<Expr>,
    /// `foreach`'s extract; `None` for `reduce`, or `foreach` with two arguments (extract = `.`).
    pub extract: Option<Box<Expr>>,
    pub is_foreach: bool,
}

pub use super::builtins::Builtin;

/// `@base64` and friends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Text,
    Json,
    Html,
    Uri,
    Csv,
    Tsv,
    Sh,
    Base64,
    Base64d,
}

impl Format {
    pub fn from_name(name: &str) -> Option<Format> {
        Some(match name {
            "@text" => Format::Text,
            "@json" => Format::Json,
            "@html" => Format::Html,
            "@uri" => Format::Uri,
            "@csv" => Format::Csv,
            "@tsv" => Format::Tsv,
            "@sh" => Format::Sh,
            "@base64" => Format::Base64,
            "@base64d" => Format::Base64d,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "@text",
            Format::Json => "@json",
            Format::Html => "@html",
            Format::Uri => "@uri",
            Format::Csv => "@csv",
            Format::Tsv => "@tsv",
            Format::Sh => "@sh",
            Format::Base64 => "@base64",
            Format::Base64d => "@base64d",
        }
    }
}

/// Builtins whose filter arguments need generated code (sorting keys, regex replacement, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyedOp {
    SortBy,
    GroupBy,
    UniqueBy,
    MinBy,
    MaxBy,
}

/// Regex builtins; the pattern and flags are filters (usually constant strings).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegexOp {
    Test,
    Match,
    Capture,
    Scan,
    Splits,
    Split,
    Sub,
    Gsub,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    /// `.`
    Identity,
    /// `..` = `recurse`
    Recurse,
    Lit(Lit),
    /// A string with interpolation, with an optional format (`@base64 "…\(.)"`).
    Str(Option<Format>, Vec<StrPart>),
    /// `[f]`
    Array(Option<Box<Expr>>),
    /// `{k: v, …}`: keys and values are filters; entries are looped in order, first outermost.
    Object(Vec<(Expr, Expr)>),
    Neg(Box<Expr>),
    Pipe(Box<Expr>, Box<Expr>),
    /// `source as $var | body`
    Bind {
        source: Box<Expr>,
        var: VarId,
        body: Box<Expr>,
    },
    Comma(Box<Expr>, Box<Expr>),
    /// `a // b`
    Alt(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Math(MathOp, Box<Expr>, Box<Expr>),
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
    If {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    /// `try body catch handler`; `?` is `Try` without a handler.
    Try {
        body: Box<Expr>,
        handler: Option<Box<Expr>>,
    },
    Fold(Fold),
    /// `label $x | body`
    Label(LabelId, Box<Expr>),
    /// `break $x`: always inside its `Label`, and never out of a `try` body, a `walk` filter, a
    /// `sub`/`gsub` replacement or an `|=` right side (lowering rejects those), which the code
    /// generator runs in closures.
    Break(LabelId),
    /// `base[key]`: `key` is evaluated on the same input as `base` (outer loop), as in jq.
    /// `opt` (`.a?`) suppresses the error of this indexing step only, as jq's `INDEX_OPT`.
    Index {
        base: Box<Expr>,
        key: Box<Expr>,
        opt: bool,
    },
    /// `base[from:to]`, missing bounds are `null`.
    Slice {
        base: Box<Expr>,
        from: Box<Expr>,
        to: Box<Expr>,
        opt: bool,
    },
    /// `base[]`; `opt` (`.[]?`) suppresses the error of iterating a non-iterable.
    Iterate(Box<Expr>, bool),
    Var(VarId),
    /// `empty`
    Empty,
    /// A natively compiled builtin; arguments are value filters evaluated on the input.
    Call(Builtin, Vec<Expr>),
    /// `@base64` and friends applied to the input.
    Format(Format),
    /// `sort_by(f)` etc.: `f` runs on every element of the input array.
    Keyed(KeyedOp, Box<Expr>),
    /// `walk(f)`: `f` runs bottom-up on every value of the input.
    Walk(Box<Expr>),
    /// Regex builtins: `(input-regex-op pattern flags [replacement])`.
    Regex {
        op: RegexOp,
        pattern: Box<Expr>,
        flags: Box<Expr>,
        replacement: Option<Box<Expr>>,
    },
    /// `first(f)`: the first output of `f`, or nothing.
    First(Box<Expr>),
    /// `limit(n; f)`
    Limit(Box<Expr>, Box<Expr>),
    /// `isempty(f)`
    IsEmpty(Box<Expr>),
    /// `any(gen; cond)` / `all(gen; cond)`, short-circuiting.
    AnyAll {
        all: bool,
        generator: Box<Expr>,
        cond: Box<Expr>,
    },
    /// `range(from; upto; by)`, each a value filter.
    Range(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `path |= f`, `path = f`, `path += f`, … on static paths (see [`PathStep`]).
    Update {
        path: Vec<PathStep>,
        rhs: Box<Expr>,
        mode: UpdateMode,
    },
}

/// One step of a statically known path (`.a`, `.[0]`, `.[]`, `.[e]` with `e` constant).
#[derive(Clone, Debug)]
pub enum PathStep {
    /// `.[e]`, `e` evaluated on the original input (usually a literal)
    Index(Expr),
    /// `.[]`
    Iterate,
    /// `.[a:b]`
    Slice(Expr, Expr),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateMode {
    /// `|=`: the first output of `rhs` on the old value; `empty` deletes.
    Modify,
    /// `=`: `rhs` evaluated on the original input, for each output.
    Assign,
    /// `+=`, `-=`, …: `rhs` on the original input, then `old op rhs`.
    Arith(MathOp),
    /// `//=`
    Alt,
}

impl Expr {
    pub fn new(kind: ExprKind, span: Range<usize>) -> Expr {
        Expr { kind, span }
    }

    pub fn boxed(kind: ExprKind, span: Range<usize>) -> Box<Expr> {
        Box::new(Expr { kind, span })
    }
}
