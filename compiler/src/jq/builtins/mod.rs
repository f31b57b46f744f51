//! Builtin names and arities → IR.
//!
//! Natively compiled builtins ([`table`]) become [`ExprKind::Call`] (value arguments); others a
//! dedicated node;
//! builtins that jq itself defines in jq (`map`, `select`, `with_entries`, …) are expanded here
//! into core IR, following jq 1.8.2's `builtin.jq`.

use super::ir::*;
use super::lower::{boxed, comma_all, literal_array, Env, Lowerer};
use jaq_core::load::parse::Term;
use std::ops::Range;

mod table;

pub use table::{Builtin, Imp, Native, NATIVES};

/// Builtins jq defines in jq (`builtin.jq`) that lowering expands into core IR, or that have
/// their own IR node, with their arities. With [`NATIVES`] and [`NOT_COMPILED`] they are every
/// name this compiler knows (for arity errors and did-you-mean).
pub const EXPANDED: &[(&str, &[usize])] = &[
    ("empty", &[0]),
    ("null", &[0]),
    ("true", &[0]),
    ("false", &[0]),
    ("values", &[0]),
    ("add", &[1]),
    ("any", &[1, 2]),
    ("all", &[1, 2]),
    ("with_entries", &[1]),
    ("first", &[0, 1]),
    ("last", &[0, 1]),
    ("nth", &[1, 2]),
    ("recurse", &[0]),
    ("arrays", &[0]),
    ("objects", &[0]),
    ("iterables", &[0]),
    ("booleans", &[0]),
    ("numbers", &[0]),
    ("strings", &[0]),
    ("nulls", &[0]),
    ("scalars", &[0]),
    ("have_decnum", &[0]),
    ("have_literal_numbers", &[0]),
    ("map", &[1]),
    ("map_values", &[1]),
    ("select", &[1]),
    ("split", &[2]),
    ("splits", &[1, 2]),
    ("test", &[1, 2]),
    ("match", &[1, 2]),
    ("capture", &[1, 2]),
    ("scan", &[1, 2]),
    ("sub", &[2, 3]),
    ("gsub", &[2, 3]),
    ("sort_by", &[1]),
    ("group_by", &[1]),
    ("unique_by", &[1]),
    ("min_by", &[1]),
    ("max_by", &[1]),
    ("isempty", &[1]),
    ("limit", &[2]),
    ("skip", &[2]),
    ("range", &[1, 2, 3]),
    ("IN", &[1, 2]),
    ("debug", &[0, 1]),
    ("stderr", &[0]),
    ("input_filename", &[0]),
    ("path", &[1]),
    ("del", &[1]),
    ("walk", &[1]),
    ("pick", &[1]),
    ("@text", &[0]),
    ("@json", &[0]),
    ("@html", &[0]),
    ("@uri", &[0]),
    ("@csv", &[0]),
    ("@tsv", &[0]),
    ("@sh", &[0]),
    ("@base64", &[0]),
    ("@base64d", &[0]),
];

/// Builtins that exist in jq 1.8.2 but are not compiled natively (named in the diagnostic).
pub const NOT_COMPILED: &[(&str, &[usize])] = &[
    ("tostream", &[0]),
    ("paths", &[0, 1]),
    ("leaf_paths", &[0]),
    ("recurse", &[1, 2]),
    ("while", &[2]),
    ("until", &[2]),
    ("repeat", &[1]),
    ("input", &[0]),
    ("inputs", &[0]),
    ("halt", &[0]),
    ("halt_error", &[0, 1]),
    ("combinations", &[0, 1]),
    ("significand", &[0]),
    ("exp", &[0]),
    ("log10", &[0]),
    ("exp10", &[0]),
    ("log2", &[0]),
    ("exp2", &[0]),
    ("builtins", &[0]),
    ("input_line_number", &[0]),
    ("to_number", &[0]),
    ("dateadd", &[2]),
    ("datesub", &[2]),
];

/// Longest function name for which an unknown function gets a did-you-mean suggestion.
const MAX_SUGGESTED_NAME: usize = 64;

/// The arities under which jq knows `name` (empty when it is not a builtin at all).
fn known_arities(name: &str) -> Vec<usize> {
    let natives = NATIVES
        .iter()
        .filter(|n| n.name == name)
        .map(|n| n.imp.arity());
    let others = EXPANDED
        .iter()
        .chain(NOT_COMPILED)
        .filter(|(n, _)| *n == name)
        .flat_map(|(_, arities)| arities.iter().copied());
    let mut all: Vec<usize> = natives.chain(others).collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// Every builtin name, for did-you-mean.
fn known_names() -> impl Iterator<Item = &'static str> {
    NATIVES
        .iter()
        .map(|n| n.name)
        .filter(|n| !n.starts_with('$'))
        .chain(EXPANDED.iter().chain(NOT_COMPILED).map(|(n, _)| *n))
}

fn keyed(name: &str) -> Option<KeyedOp> {
    Some(match name {
        "sort_by" => KeyedOp::SortBy,
        "group_by" => KeyedOp::GroupBy,
        "unique_by" => KeyedOp::UniqueBy,
        "min_by" => KeyedOp::MinBy,
        "max_by" => KeyedOp::MaxBy,
        _ => return None,
    })
}

fn regex(name: &str, arity: usize) -> Option<(RegexOp, bool)> {
    // (op, has replacement)
    Some(match (name, arity) {
        ("test", 1 | 2) => (RegexOp::Test, false),
        ("match", 1 | 2) => (RegexOp::Match, false),
        ("capture", 1 | 2) => (RegexOp::Capture, false),
        ("scan", 1 | 2) => (RegexOp::Scan, false),
        ("splits", 1 | 2) => (RegexOp::Splits, false),
        ("split", 2) => (RegexOp::Split, false),
        ("sub", 2 | 3) => (RegexOp::Sub, true),
        ("gsub", 2 | 3) => (RegexOp::Gsub, true),
        _ => return None,
    })
}

impl<'s, 't> Lowerer<'_> {
    pub(super) fn builtin(
        &mut self,
        name: &'s str,
        args: &'t [Term<&'s str>],
        env: &Env<'s, 't>,
        span: Range<usize>,
    ) -> Expr {
        let e = |kind: ExprKind| Expr::new(kind, span.clone());
        let lit = |l: Lit| Expr::new(ExprKind::Lit(l), span.clone());
        let arity = args.len();
        macro_rules! arg {
            ($i:expr) => {
                self.term(&args[$i], env, span.clone())
            };
        }
        // An argument the generated code runs inside a closure (see `Lowerer::closure_depth`).
        macro_rules! in_closure {
            ($i:expr) => {
                self.term_in_closure(&args[$i], env, span.clone())
            };
        }
        match (name, arity) {
            ("empty", 0) => return e(ExprKind::Empty),
            ("null", 0) => return lit(Lit::Null),
            ("true", 0) => return lit(Lit::Bool(true)),
            ("false", 0) => return lit(Lit::Bool(false)),
            ("have_decnum" | "have_literal_numbers", 0) => return lit(Lit::Bool(true)),
            ("recurse", 0) => return e(ExprKind::Recurse),
            ("first", 0) => return index_num(e(ExprKind::Identity), "0", &span),
            ("last", 0) => return index_num(e(ExprKind::Identity), "-1", &span),
            ("values", 0) => return self.select_type(&span, None),
            (
                "arrays" | "objects" | "iterables" | "booleans" | "numbers" | "strings" | "nulls"
                | "scalars",
                0,
            ) => return self.select_type(&span, Some(name)),
            ("debug" | "stderr", 0) => return e(ExprKind::Identity),
            ("input_filename", 0) => return lit(Lit::Null),
            _ => {}
        }
        if let Some(b) = Builtin::by_name(name, arity) {
            let args = (0..arity).map(|i| arg!(i)).collect();
            return e(ExprKind::Call(b, args));
        }
        if arity == 0 {
            if let Some(f) = Format::from_name(name) {
                return e(ExprKind::Format(f));
            }
        }
        if arity == 1 {
            if let Some(op) = keyed(name) {
                let f = arg!(0);
                return e(ExprKind::Keyed(op, boxed(f)));
            }
        }
        if let Some((op, has_replacement)) = regex(name, arity) {
            let pattern = arg!(0);
            let (replacement, flags_at) = if has_replacement {
                (Some(boxed(in_closure!(1))), 2)
            } else {
                (None, 1)
            };
            let flags = if arity > flags_at {
                arg!(flags_at)
            } else {
                lit(Lit::Null)
            };
            return e(ExprKind::Regex {
                op,
                pattern: boxed(pattern),
                flags: boxed(flags),
                replacement,
            });
        }
        match (name, arity) {
            ("map", 1) => {
                // def map(f): [.[] | f];
                let f = arg!(0);
                let it = e(ExprKind::Iterate(boxed(e(ExprKind::Identity)), false));
                e(ExprKind::Array(Some(boxed(e(ExprKind::Pipe(
                    boxed(it),
                    boxed(f),
                ))))))
            }
            ("select", 1) => {
                // def select(f): if f then . else empty end;
                let f = arg!(0);
                e(ExprKind::If {
                    cond: boxed(f),
                    then: boxed(e(ExprKind::Identity)),
                    otherwise: boxed(e(ExprKind::Empty)),
                })
            }
            ("map_values", 1) => {
                // def map_values(f): .[] |= f;
                let f = in_closure!(0);
                e(ExprKind::Update {
                    path: vec![PathStep::Iterate],
                    rhs: boxed(f),
                    mode: UpdateMode::Modify,
                })
            }
            ("with_entries", 1) => {
                // def with_entries(f): to_entries | map(f) | from_entries;
                let f = arg!(0);
                let it = e(ExprKind::Iterate(boxed(e(ExprKind::Identity)), false));
                let mapped = e(ExprKind::Array(Some(boxed(e(ExprKind::Pipe(
                    boxed(it),
                    boxed(f),
                ))))));
                let to = e(ExprKind::Call(Builtin::ToEntries, vec![]));
                let from = e(ExprKind::Call(Builtin::FromEntries, vec![]));
                e(ExprKind::Pipe(
                    boxed(to),
                    boxed(e(ExprKind::Pipe(boxed(mapped), boxed(from)))),
                ))
            }
            ("add", 1) => {
                // def add(f): reduce f as $x (null; . + $x);
                let f = arg!(0);
                let var = self.fresh_var();
                e(ExprKind::Fold(Fold {
                    source: boxed(f),
                    var,
                    init: boxed(lit(Lit::Null)),
                    update: boxed(e(ExprKind::Math(
                        MathOp::Add,
                        boxed(e(ExprKind::Identity)),
                        boxed(e(ExprKind::Var(var))),
                    ))),
                    extract: None,
                    is_foreach: false,
                }))
            }
            ("any" | "all", 1) => {
                // def any(f): any(.[]; f);
                let cond = arg!(0);
                let generator = e(ExprKind::Iterate(boxed(e(ExprKind::Identity)), false));
                e(ExprKind::AnyAll {
                    all: name == "all",
                    generator: boxed(generator),
                    cond: boxed(cond),
                })
            }
            ("any" | "all", 2) => {
                let generator = arg!(0);
                let cond = arg!(1);
                e(ExprKind::AnyAll {
                    all: name == "all",
                    generator: boxed(generator),
                    cond: boxed(cond),
                })
            }
            ("IN", 1) => {
                // def IN(s): any(s == .; .);
                let s = arg!(0);
                let cmp = e(ExprKind::Cmp(
                    CmpOp::Eq,
                    boxed(s),
                    boxed(e(ExprKind::Identity)),
                ));
                e(ExprKind::AnyAll {
                    all: false,
                    generator: boxed(cmp),
                    cond: boxed(e(ExprKind::Identity)),
                })
            }
            ("IN", 2) => {
                // def IN(src; s): any(src == s; .);
                let src = arg!(0);
                let s = arg!(1);
                let cmp = e(ExprKind::Cmp(CmpOp::Eq, boxed(src), boxed(s)));
                e(ExprKind::AnyAll {
                    all: false,
                    generator: boxed(cmp),
                    cond: boxed(e(ExprKind::Identity)),
                })
            }
            ("first", 1) => {
                let f = arg!(0);
                e(ExprKind::First(boxed(f)))
            }
            ("last", 1) => {
                // jq 1.8: the last output, nothing if there is none.
                let f = arg!(0);
                self.last(f, &span)
            }
            ("nth", 1) => {
                // def nth($n): .[$n];
                let n = arg!(0);
                e(ExprKind::Index {
                    base: boxed(e(ExprKind::Identity)),
                    key: boxed(n),
                    opt: false,
                })
            }
            ("nth", 2) => {
                // def nth($n; f): if $n < 0 then error("Out of bounds negative array index")
                //                 else first(skip($n; f)) end;
                let n = arg!(0);
                let f = arg!(1);
                let var = self.fresh_var();
                let skip = self.skip(e(ExprKind::Var(var)), f, &span);
                let body = e(ExprKind::If {
                    cond: boxed(e(ExprKind::Cmp(
                        CmpOp::Lt,
                        boxed(e(ExprKind::Var(var))),
                        boxed(lit(Lit::Num("0".into()))),
                    ))),
                    then: boxed(error_lit("Out of bounds negative array index", &span)),
                    otherwise: boxed(e(ExprKind::First(boxed(skip)))),
                });
                e(ExprKind::Bind {
                    source: boxed(n),
                    var,
                    body: boxed(body),
                })
            }
            ("isempty", 1) => {
                let f = arg!(0);
                e(ExprKind::IsEmpty(boxed(f)))
            }
            ("limit", 2) => {
                let n = arg!(0);
                let f = arg!(1);
                e(ExprKind::Limit(boxed(n), boxed(f)))
            }
            ("skip", 2) => {
                let n = arg!(0);
                let f = arg!(1);
                let var = self.fresh_var();
                let body = self.skip(e(ExprKind::Var(var)), f, &span);
                e(ExprKind::Bind {
                    source: boxed(n),
                    var,
                    body: boxed(body),
                })
            }
            ("range", 1) => {
                let upto = arg!(0);
                e(ExprKind::Range(
                    boxed(lit(Lit::Num("0".into()))),
                    boxed(upto),
                    boxed(lit(Lit::Num("1".into()))),
                ))
            }
            ("range", 2) => {
                let from = arg!(0);
                let upto = arg!(1);
                e(ExprKind::Range(
                    boxed(from),
                    boxed(upto),
                    boxed(lit(Lit::Num("1".into()))),
                ))
            }
            ("range", 3) => {
                let from = arg!(0);
                let upto = arg!(1);
                let by = arg!(2);
                e(ExprKind::Range(boxed(from), boxed(upto), boxed(by)))
            }
            ("debug", 1) => e(ExprKind::Identity),
            ("walk", 1) => {
                let f = in_closure!(0);
                e(ExprKind::Walk(boxed(f)))
            }
            // The path builtins, for paths of literal keys (`.a`, `.a.b[0]`, `.a, .b`), whose
            // paths are then known: `del(f)` is `delpaths([path(f)])`, `pick(f)` sets each
            // path to the input's value there, `path(f)` yields them.
            ("del" | "pick" | "path", 1) => match self.literal_paths(&args[0], env, &span) {
                Some(paths) if name == "path" => {
                    // Each path after its check, as jq yields them.
                    let items = paths.into_iter().flat_map(|(check, path)| [check, path]);
                    comma_all(items.collect(), &span).unwrap_or_else(|| e(ExprKind::Empty))
                }
                Some(paths) => {
                    // Every check first: jq collects `[path(f)]` before it deletes or picks.
                    let (checks, paths): (Vec<Expr>, Vec<Expr>) = paths.into_iter().unzip();
                    let op = if name == "del" {
                        Builtin::DelPaths
                    } else {
                        Builtin::PickPaths
                    };
                    let call = e(ExprKind::Call(op, vec![literal_array(paths, &span)]));
                    checks.into_iter().rfold(call, |rest, check| {
                        e(ExprKind::Comma(boxed(check), boxed(rest)))
                    })
                }
                None => self.unsupported(
                    span.clone(),
                    &format!(
                        "`{name}/1` of anything but paths of literal keys (`.a`, `.a.b[0]`, `.a, .b`)"
                    ),
                ),
            },
            _ => self.unknown(name, arity, env, span),
        }
    }

    fn unknown(&mut self, name: &str, arity: usize, env: &Env<'s, 't>, span: Range<usize>) -> Expr {
        let key = format!("{name}/{arity}");
        let not_compiled = NOT_COMPILED
            .iter()
            .any(|(n, arities)| *n == name && arities.contains(&arity));
        if not_compiled {
            return self.unsupported(span, &format!("the builtin `{key}`"));
        }
        let arities = known_arities(name);
        let (message, help) = if !arities.is_empty() {
            let list: Vec<String> = arities.iter().map(|a| format!("{name}/{a}")).collect();
            (
                format!("`{name}` does not take {arity} argument(s)"),
                Some(format!("`{name}` exists as {}", list.join(", "))),
            )
        } else {
            let user = env.function_names();
            let mut candidates: Vec<&str> = known_names().collect();
            candidates.extend(user);
            // Edit distances cost the product of the lengths; a name this long is no typo.
            candidates.retain(|c| c.len() <= MAX_SUGGESTED_NAME);
            let help = (name.len() <= MAX_SUGGESTED_NAME)
                .then(|| crate::suggest::did_you_mean(name, candidates))
                .flatten()
                .map(|s| format!("did you mean `{s}`?"));
            (format!("unknown function `{key}`"), help)
        };
        self.error_with_help("E0101", span, message, help)
    }

    /// `select(type == "array")` and friends; `None` is `values` (`select(. != null)`).
    fn select_type(&mut self, span: &Range<usize>, which: Option<&str>) -> Expr {
        let e = |kind: ExprKind| Expr::new(kind, span.clone());
        let s = |s: &str| e(ExprKind::Lit(Lit::Str(s.into())));
        let ty = || e(ExprKind::Call(Builtin::Type, vec![]));
        let is = |t: &str| e(ExprKind::Cmp(CmpOp::Eq, boxed(ty()), boxed(s(t))));
        let cond = match which {
            None => e(ExprKind::Cmp(
                CmpOp::Ne,
                boxed(e(ExprKind::Identity)),
                boxed(e(ExprKind::Lit(Lit::Null))),
            )),
            Some("iterables") => e(ExprKind::Or(boxed(is("array")), boxed(is("object")))),
            Some("scalars") => e(ExprKind::And(
                boxed(e(ExprKind::Cmp(CmpOp::Ne, boxed(ty()), boxed(s("array"))))),
                boxed(e(ExprKind::Cmp(CmpOp::Ne, boxed(ty()), boxed(s("object"))))),
            )),
            Some(plural) => is(match plural {
                "arrays" => "array",
                "objects" => "object",
                "booleans" => "boolean",
                "numbers" => "number",
                "strings" => "string",
                _ => "null",
            }),
        };
        e(ExprKind::If {
            cond: boxed(cond),
            then: boxed(e(ExprKind::Identity)),
            otherwise: boxed(e(ExprKind::Empty)),
        })
    }

    /// The last output of `f` (nothing if none): `foreach`-free, via a fold that keeps a flag.
    fn last(&mut self, f: Expr, span: &Range<usize>) -> Expr {
        // [f] | if length > 0 then .[-1] else empty end — simple and exact; `f` is finite here.
        let e = |kind: ExprKind| Expr::new(kind, span.clone());
        let arr = e(ExprKind::Array(Some(boxed(f))));
        let len = e(ExprKind::Call(Builtin::Length, vec![]));
        let nonempty = e(ExprKind::Cmp(
            CmpOp::Gt,
            boxed(len),
            boxed(e(ExprKind::Lit(Lit::Num("0".into())))),
        ));
        let pick = e(ExprKind::If {
            cond: boxed(nonempty),
            then: boxed(index_num(e(ExprKind::Identity), "-1", span)),
            otherwise: boxed(e(ExprKind::Empty)),
        });
        e(ExprKind::Pipe(boxed(arr), boxed(pick)))
    }

    /// jq 1.8's `skip($n; f)`: drop the first `$n` outputs of `f` (error if negative).
    fn skip(&mut self, n: Expr, f: Expr, span: &Range<usize>) -> Expr {
        // foreach f as $x ($n; . - 1; if . < 0 then $x else empty end), after a sign check.
        let e = |kind: ExprKind| Expr::new(kind, span.clone());
        let x = self.fresh_var();
        let zero = || e(ExprKind::Lit(Lit::Num("0".into())));
        let dec = e(ExprKind::Math(
            MathOp::Sub,
            boxed(e(ExprKind::Identity)),
            boxed(e(ExprKind::Lit(Lit::Num("1".into())))),
        ));
        let extract = e(ExprKind::If {
            cond: boxed(e(ExprKind::Cmp(
                CmpOp::Lt,
                boxed(e(ExprKind::Identity)),
                boxed(zero()),
            ))),
            then: boxed(e(ExprKind::Var(x))),
            otherwise: boxed(e(ExprKind::Empty)),
        });
        let fold = e(ExprKind::Fold(Fold {
            source: boxed(f),
            var: x,
            init: boxed(n.clone()),
            update: boxed(dec),
            extract: Some(boxed(extract)),
            is_foreach: true,
        }));
        e(ExprKind::If {
            cond: boxed(e(ExprKind::Cmp(CmpOp::Lt, boxed(n), boxed(zero())))),
            then: boxed(error_lit("Invalid skip count", span)),
            otherwise: boxed(fold),
        })
    }
}

fn index_num(base: Expr, n: &str, span: &Range<usize>) -> Expr {
    Expr::new(
        ExprKind::Index {
            base: boxed(base),
            key: Expr::boxed(ExprKind::Lit(Lit::Num(n.into())), span.clone()),
            opt: false,
        },
        span.clone(),
    )
}

fn error_lit(message: &str, span: &Range<usize>) -> Expr {
    Expr::new(
        ExprKind::Call(
            Builtin::Error1,
            vec![Expr::new(
                ExprKind::Lit(Lit::Str(message.into())),
                span.clone(),
            )],
        ),
        span.clone(),
    )
}
