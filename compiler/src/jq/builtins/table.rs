//! The one table of natively implemented jq builtins with value arguments: for each, its jq
//! name, arity, result type, whether it reads its input, and the `opsgenie-port-jq` function
//! that implements it. Lowering resolves names here, type inference reads the result type, the
//! code generator emits a call to the function by name and the interpreter calls it through the
//! pointer — so both back ends run the same code.
//!
//! Rows are written with [`row!`], which takes the function's path once and derives both the
//! pointer and the name, so they cannot disagree; a builtin whose function does not exist (or
//! has the wrong signature) fails to compile here, not in a user's generated code.

use crate::jq::types::Kinds;
use opsgenie_port_jq::{self as rt, Error, Value, R};

/// A builtin compiled natively: `Call(builtin, value arguments)` in the IR.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Builtin {
    Length,
    Utf8ByteLength,
    Not,
    Keys,
    KeysUnsorted,
    Add,
    Any0,
    All0,
    Unique,
    Sort,
    Min,
    Max,
    Reverse,
    Floor,
    Ceil,
    Round,
    Sqrt,
    Fabs,
    Abs,
    ToString,
    ToNumber,
    ToJson,
    FromJson,
    Type,
    AsciiDowncase,
    AsciiUpcase,
    Explode,
    Implode,
    ToEntries,
    FromEntries,
    Flatten0,
    Trim,
    LTrim,
    RTrim,
    IsNan,
    IsInfinite,
    IsNormal,
    Infinite,
    Nan,
    Now,
    Env,
    Mktime,
    Gmtime,
    Localtime,
    ToDate,
    FromDate,
    ToDateIso8601,
    FromDateIso8601,
    Date,
    Ascii,
    Error0,
    ToArray,
    ToBoolean,
    Log,
    Transpose,
    Has,
    In,
    Contains,
    Inside,
    StartsWith,
    EndsWith,
    LTrimStr,
    RTrimStr,
    Split1,
    Join,
    Flatten1,
    Strptime,
    Strftime,
    Strflocaltime,
    Error1,
    IndexOf,
    RIndexOf,
    Indices,
    GetPath,
    TrimStr,
    DelPaths,
    Bsearch,
    /// `pick(f)` with `f`'s paths given as literals.
    PickPaths,
    SetPath,
    Pow,
}

/// How a native builtin is called; the arity of its jq form follows from the variant.
#[derive(Clone, Copy)]
pub enum Imp {
    /// `f(input)`.
    Input(fn(&Value) -> R<Value>),
    /// `f(input, a)`.
    Unary(fn(&Value, &Value) -> R<Value>),
    /// `f(input, a, b)`.
    Binary(fn(&Value, &Value, &Value) -> R<Value>),
    /// `f()`: the input is not looked at (`now`, `env`, `nan`, `infinite`).
    Const(fn() -> Value),
    /// `error/0`: raises `f(input)`.
    Raise(fn(&Value) -> Error),
    /// `error/1`: raises `f(message)`.
    RaiseArg(fn(&Value) -> Error),
}

impl Imp {
    /// The number of value arguments of the jq form.
    pub fn arity(self) -> usize {
        match self {
            Imp::Input(_) | Imp::Const(_) | Imp::Raise(_) => 0,
            Imp::Unary(_) | Imp::RaiseArg(_) => 1,
            Imp::Binary(_) => 2,
        }
    }
}

/// One row of the table.
pub struct Native {
    pub builtin: Builtin,
    /// The jq name.
    pub name: &'static str,
    /// The implementing function's name in `opsgenie_port_jq` (what generated code calls).
    pub rust: &'static str,
    pub imp: Imp,
    /// The kinds of the result; `None` when nothing is known statically.
    pub yields: Option<Kinds>,
    /// Whether the result depends on the input (analysis of what a mapping reads).
    pub reads_input: bool,
}

impl Builtin {
    /// This builtin's row.
    pub fn native(self) -> &'static Native {
        &NATIVES[self as usize]
    }

    /// The native builtin called `name` with `arity` value arguments.
    pub fn by_name(name: &str, arity: usize) -> Option<Builtin> {
        NATIVES
            .iter()
            .find(|n| n.name == name && n.imp.arity() == arity)
            .map(|n| n.builtin)
    }
}

const NUMBER: Option<Kinds> = Some(Kinds::NUMBER);
const BOOL: Option<Kinds> = Some(Kinds::BOOL);
const STRING: Option<Kinds> = Some(Kinds::STRING);
const ARRAY: Option<Kinds> = Some(Kinds::ARRAY);
const OBJECT: Option<Kinds> = Some(Kinds::OBJECT);
const NOTHING: Option<Kinds> = Some(Kinds::NONE);
const ANY: Option<Kinds> = None;

/// `row!(Variant, "jq name", Imp variant, function, result kinds [, reads input])`.
macro_rules! row {
    ($b:ident, $name:literal, $imp:ident, $f:ident, $yields:expr) => {
        row!($b, $name, $imp, $f, $yields, true)
    };
    ($b:ident, $name:literal, $imp:ident, $f:ident, $yields:expr, $reads:expr) => {
        Native {
            builtin: Builtin::$b,
            name: $name,
            rust: stringify!($f),
            imp: Imp::$imp(rt::$f),
            yields: $yields,
            reads_input: $reads,
        }
    };
}

/// Every native builtin, in the order of [`Builtin`]'s variants.
pub static NATIVES: &[Native] = &[
    row!(Length, "length", Input, length, NUMBER),
    row!(
        Utf8ByteLength,
        "utf8bytelength",
        Input,
        utf8bytelength,
        NUMBER
    ),
    row!(Not, "not", Input, not, BOOL),
    row!(Keys, "keys", Input, keys, ARRAY),
    row!(KeysUnsorted, "keys_unsorted", Input, keys_unsorted, ARRAY),
    row!(Add, "add", Input, add_all, ANY),
    row!(Any0, "any", Input, any0, BOOL),
    row!(All0, "all", Input, all0, BOOL),
    row!(Unique, "unique", Input, unique, ARRAY),
    row!(Sort, "sort", Input, sort, ARRAY),
    row!(Min, "min", Input, min, ANY),
    row!(Max, "max", Input, max, ANY),
    row!(Reverse, "reverse", Input, reverse, ARRAY),
    row!(Floor, "floor", Input, floor, NUMBER),
    row!(Ceil, "ceil", Input, ceil, NUMBER),
    row!(Round, "round", Input, round, NUMBER),
    row!(Sqrt, "sqrt", Input, sqrt, NUMBER),
    row!(Fabs, "fabs", Input, fabs, NUMBER),
    row!(Abs, "abs", Input, abs, NUMBER),
    row!(ToString, "tostring", Input, tostring, STRING),
    row!(ToNumber, "tonumber", Input, tonumber, NUMBER),
    row!(ToJson, "tojson", Input, tojson, STRING),
    row!(FromJson, "fromjson", Input, fromjson, ANY),
    row!(Type, "type", Input, type_of, STRING),
    row!(
        AsciiDowncase,
        "ascii_downcase",
        Input,
        ascii_downcase,
        STRING
    ),
    row!(AsciiUpcase, "ascii_upcase", Input, ascii_upcase, STRING),
    row!(Explode, "explode", Input, explode, ARRAY),
    row!(Implode, "implode", Input, implode, STRING),
    row!(ToEntries, "to_entries", Input, to_entries, ARRAY),
    row!(FromEntries, "from_entries", Input, from_entries, OBJECT),
    row!(Flatten0, "flatten", Input, flatten, ARRAY),
    row!(Trim, "trim", Input, trim, STRING),
    row!(LTrim, "ltrim", Input, ltrim, STRING),
    row!(RTrim, "rtrim", Input, rtrim, STRING),
    row!(IsNan, "isnan", Input, isnan, BOOL),
    row!(IsInfinite, "isinfinite", Input, isinfinite, BOOL),
    row!(IsNormal, "isnormal", Input, isnormal, BOOL),
    row!(Infinite, "infinite", Const, infinite, NUMBER, false),
    row!(Nan, "nan", Const, nan, NUMBER, false),
    row!(Now, "now", Const, now, NUMBER, false),
    row!(Env, "env", Const, env, OBJECT, false),
    row!(Mktime, "mktime", Input, mktime, NUMBER),
    row!(Gmtime, "gmtime", Input, gmtime, ARRAY),
    row!(Localtime, "localtime", Input, localtime, ARRAY),
    row!(ToDate, "todate", Input, todate, STRING),
    row!(FromDate, "fromdate", Input, fromdate, NUMBER),
    row!(ToDateIso8601, "todateiso8601", Input, todateiso8601, STRING),
    row!(
        FromDateIso8601,
        "fromdateiso8601",
        Input,
        fromdateiso8601,
        NUMBER
    ),
    // jq 1.8: `def date: todate;`
    row!(Date, "date", Input, todate, STRING),
    row!(Ascii, "ascii", Input, ascii, ANY),
    row!(Error0, "error", Raise, error0, NOTHING),
    row!(ToArray, "toarray", Input, toarray, ARRAY),
    row!(ToBoolean, "toboolean", Input, toboolean, BOOL),
    row!(Log, "log", Input, log, NUMBER),
    row!(Transpose, "transpose", Input, transpose, ARRAY),
    row!(Has, "has", Unary, has, BOOL),
    row!(In, "in", Unary, in_, BOOL),
    row!(Contains, "contains", Unary, contains, BOOL),
    row!(Inside, "inside", Unary, inside, BOOL),
    row!(StartsWith, "startswith", Unary, startswith, BOOL),
    row!(EndsWith, "endswith", Unary, endswith, BOOL),
    row!(LTrimStr, "ltrimstr", Unary, ltrimstr, ANY),
    row!(RTrimStr, "rtrimstr", Unary, rtrimstr, ANY),
    row!(Split1, "split", Unary, split, ARRAY),
    row!(Join, "join", Unary, join, STRING),
    row!(Flatten1, "flatten", Unary, flatten_depth, ARRAY),
    row!(Strptime, "strptime", Unary, strptime, ARRAY),
    row!(Strftime, "strftime", Unary, strftime, STRING),
    row!(Strflocaltime, "strflocaltime", Unary, strflocaltime, STRING),
    row!(Error1, "error", RaiseArg, error, NOTHING, false),
    row!(IndexOf, "index", Unary, index_of, NUMBER),
    row!(RIndexOf, "rindex", Unary, rindex_of, NUMBER),
    row!(Indices, "indices", Unary, indices, ARRAY),
    row!(GetPath, "getpath", Unary, getpath, ANY),
    row!(TrimStr, "trimstr", Unary, trimstr, ANY),
    row!(DelPaths, "delpaths", Unary, delpaths, ANY),
    row!(Bsearch, "bsearch", Unary, bsearch, NUMBER),
    // Not reachable by name: `pick(f)` lowers to it when f's paths are literal.
    row!(PickPaths, "$pick_paths", Unary, pick_paths, ANY),
    row!(SetPath, "setpath", Binary, setpath, ANY),
    row!(Pow, "pow", Binary, pow, NUMBER, false),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_follow_the_enum() {
        for (i, native) in NATIVES.iter().enumerate() {
            assert_eq!(native.builtin as usize, i, "row {i} is `{}`", native.name);
        }
        assert_eq!(Builtin::Pow as usize + 1, NATIVES.len());
    }

    #[test]
    fn names_and_arities_are_unique() {
        for (i, a) in NATIVES.iter().enumerate() {
            for b in &NATIVES[i + 1..] {
                assert!(
                    !(a.name == b.name && a.imp.arity() == b.imp.arity()),
                    "`{}/{}` twice",
                    a.name,
                    a.imp.arity()
                );
            }
        }
    }
}
