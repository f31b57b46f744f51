//! A static estimate of the Rust the code generator ([`crate::backend::codegen`]) emits for an
//! expression — its size in tokens and how deeply it nests — computed in one pass over the IR,
//! so that a program is rejected before any code is generated: E0106 past [`MAX_CODE_SIZE`],
//! E0105 past [`MAX_CODE_NESTING`].
//!
//! The generator is push-style: it generates each node with a *continuation* — the code for
//! the rest of the program — and inlines that continuation at every place the node produces an
//! output. So the code of a node is an affine function of the size `K` of its continuation,
//! `A + B·K`, where `B` is how many times the continuation is inlined: 1 for `.a`, 2 for an
//! `if` (both branches), the sum of both sides for `,` and `//`. Composing nodes composes these
//! functions: `(if … end) as $x | (if … end) as $y | …` doubles `B` at every step, which is
//! how a short program asks for exponentially much code. The constants follow the generator's
//! token templates loosely (the estimate is within a factor of two of the real size on the
//! conformance corpus); what matters is that every multiplication is there.
//!
//! Nesting composes the same way, with `max` and `+`: the continuation is generated *inside* the
//! node's code (in the generator's recursion, and in the Rust, within the node's loops and
//! blocks), so a pipeline nests as deep as the sum of its stages, however shallow each stage's
//! IR. Arithmetic saturates.

use super::builtins::Imp;
use super::ir::*;
use super::ExprError;

/// Largest estimated generated code for one jq expression, in tokens. Real mapping leaves need a
/// few hundred; the largest program of the Ocean corpus and the jq manual about two thousand.
pub const MAX_CODE_SIZE: u64 = 200_000;

/// Largest estimated generated code for all the expressions of one mapping, in tokens
/// (checked by [`crate::compile_dir`] and friends before generating code; generating and
/// formatting take about 200 bytes of memory per token).
pub const MAX_MAPPING_CODE_SIZE: u64 = 500_000;

/// Deepest nesting of the code generated for one expression: one level per IR node the
/// generator recurses through, continuations included (the corpus needs fewer than 50).
pub const MAX_CODE_NESTING: u32 = 256;

/// The continuation of a top-level function (`return Ok(Some(v))` / `sink(v)`), in tokens.
const TOP_CONTINUATION: u64 = 30;

/// Code of size `a + b·K` for a continuation of size `K`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Affine {
    a: u64,
    b: u64,
}

/// How deep code nests: `own` levels inside it, and the level its continuation is generated at
/// (`None`: never).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Nest {
    own: u32,
    at: Option<u32>,
}

/// The generated code of a node, as a function of its continuation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Code {
    size: Affine,
    nest: Nest,
}

impl Code {
    /// Fixed code that does not run the continuation.
    const fn fixed(a: u64) -> Code {
        Code {
            size: Affine { a, b: 0 },
            nest: Nest { own: 0, at: None },
        }
    }

    /// `a` tokens of its own around one copy of the continuation.
    const fn around(a: u64) -> Code {
        Code {
            size: Affine { a, b: 1 },
            nest: Nest {
                own: 0,
                at: Some(0),
            },
        }
    }

    /// `self` with `then` as its continuation: `self(then(K))`.
    fn then(self, then: Code) -> Code {
        let (x, y) = (self.nest, then.nest);
        Code {
            size: Affine {
                a: self
                    .size
                    .a
                    .saturating_add(self.size.b.saturating_mul(then.size.a)),
                b: self.size.b.saturating_mul(then.size.b),
            },
            nest: Nest {
                own: x.own.max(x.at.map_or(0, |at| at.saturating_add(y.own))),
                at: x.at.zip(y.at).map(|(a, b)| a.saturating_add(b)),
            },
        }
    }

    /// Both pieces of code, one after the other.
    fn plus(self, other: Code) -> Code {
        let (x, y) = (self.nest, other.nest);
        Code {
            size: Affine {
                a: self.size.a.saturating_add(other.size.a),
                b: self.size.b.saturating_add(other.size.b),
            },
            nest: Nest {
                own: x.own.max(y.own),
                at: match (x.at, y.at) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                },
            },
        }
    }

    /// The code of one IR node: one level deeper than what it holds.
    fn node(self) -> Code {
        Code {
            size: self.size,
            nest: Nest {
                own: self.nest.own.saturating_add(1),
                at: self.nest.at.map(|at| at.saturating_add(1)),
            },
        }
    }
}

/// The generated code's size (tokens) and nesting for a whole function (`first_fn`/
/// `stream_fn`) of `expr`.
fn whole(expr: &Expr) -> (u64, u32) {
    let code = cost(expr).then(Code::fixed(TOP_CONTINUATION));
    (code.size.a.saturating_add(100), code.nest.own)
}

/// Estimated tokens of the function generated for `expr` (as `first_fn`/`stream_fn`).
pub fn estimate(expr: &Expr) -> u64 {
    whole(expr).0
}

/// Estimated nesting of the function generated for `expr`.
pub fn nesting(expr: &Expr) -> u32 {
    whole(expr).1
}

/// E0106 when `expr` would generate more than [`MAX_CODE_SIZE`] tokens, E0105 when the code
/// would nest deeper than [`MAX_CODE_NESTING`].
pub(super) fn check(expr: &Expr) -> Result<(), ExprError> {
    let (size, nesting) = whole(expr);
    if size > MAX_CODE_SIZE {
        return Err(ExprError {
            code: "E0106",
            span: expr.span.clone(),
            message: format!(
                "jq expression would compile to too much code (about {size} tokens of Rust)"
            ),
            help: Some(format!(
                "a jq expression may compile to at most {MAX_CODE_SIZE} tokens; each `if`, `//`, `and`/`or` and `try … catch` copies the rest of the expression after it, so a chain of them grows exponentially — bind the result once (`(if … end) as $x`) at the end of the expression or split it"
            )),
        });
    }
    if nesting > MAX_CODE_NESTING {
        return Err(ExprError {
            code: "E0105",
            span: expr.span.clone(),
            message: format!(
                "jq expression would compile to code nested too deeply (about {nesting} levels)"
            ),
            help: Some(format!(
                "the code of a jq expression may nest at most {MAX_CODE_NESTING} levels; each step of a pipeline runs inside the one before it, so a long pipeline of long paths nests as deep as all of them together — split it"
            )),
        });
    }
    Ok(())
}

/// The code of `exprs` nested one inside the other, the last outermost (how the
/// generator evaluates object entries, string interpolations and call arguments), around
/// `inner`.
fn nested<'e>(exprs: impl Iterator<Item = &'e Expr>, inner: Code) -> Code {
    // Innermost first: each part's code holds the next one, bound to a local.
    exprs.fold(inner, |acc, e| cost(e).then(Code::around(8)).then(acc))
}

/// Recursion is on the IR's depth, which [`super::limits::check_ir`] bounded first.
fn cost(e: &Expr) -> Code {
    own(e).node()
}

/// A node's code around its children's.
fn own(e: &Expr) -> Code {
    match &e.kind {
        ExprKind::Identity
        | ExprKind::Lit(_)
        | ExprKind::Var(_)
        | ExprKind::Array(None)
        | ExprKind::Format(_) => Code::around(16),
        ExprKind::Recurse => Code::around(24),
        ExprKind::Empty => Code::fixed(0),
        ExprKind::Break(_) => Code::fixed(8),
        ExprKind::Str(_, parts) => {
            let interps = parts.iter().filter_map(|p| match p {
                StrPart::Interp(x) => Some(x),
                StrPart::Lit(_) => None,
            });
            let build = Code::around(20 + 24 * parts.len() as u64);
            nested(interps, build)
        }
        ExprKind::Array(Some(f)) => cost(f).then(Code::fixed(12)).plus(Code::around(28)),
        ExprKind::Object(entries) => {
            let build = Code::around(20 + 28 * entries.len() as u64);
            // The first entry's key is outermost.
            let parts = entries.iter().flat_map(|(k, v)| [k, v]);
            nested(parts.rev(), build)
        }
        ExprKind::Neg(a) => cost(a).then(Code::around(20)),
        ExprKind::Pipe(a, b) => cost(a).then(Code::around(12)).then(cost(b)),
        ExprKind::Bind { source, body, .. } => cost(source).then(Code::around(16)).then(cost(body)),
        ExprKind::Comma(a, b) => cost(a).plus(cost(b)),
        // `a` with a test around the continuation, then `b` with it.
        ExprKind::Alt(a, b) => cost(a)
            .then(Code::around(40))
            .plus(cost(b))
            .plus(Code::fixed(24)),
        // For each output of `a`: the continuation (short circuit), or `b` with it (made a
        // boolean, unless `b` is one already).
        ExprKind::And(a, b) | ExprKind::Or(a, b) => {
            let long = match b.kind {
                ExprKind::And(..) | ExprKind::Or(..) => cost(b),
                _ => cost(b).then(Code::around(20)),
            };
            cost(a).then(Code::around(24).plus(long).plus(Code::fixed(24)))
        }
        // The right operand is the outer loop.
        ExprKind::Math(_, a, b) | ExprKind::Cmp(_, a, b) => cost(b)
            .then(Code::around(12))
            .then(cost(a))
            .then(Code::around(28)),
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => cost(cond).then(cost(then).plus(cost(otherwise)).plus(Code::fixed(24))),
        // The body fills a vector in a closure; the continuation runs once per item, and the
        // handler has it too.
        ExprKind::Try { body, handler } => {
            let own = cost(body).then(Code::fixed(12)).plus(Code::around(80));
            match handler {
                Some(h) => own.plus(cost(h)),
                None => own,
            }
        }
        ExprKind::Fold(fold) => {
            let update = cost(&fold.update).then(Code::fixed(12));
            // foreach: the extract (or the state) goes to the continuation per update output;
            // reduce: the continuation once, after the loop.
            let (each, after) = match (&fold.extract, fold.is_foreach) {
                (Some(x), _) => (cost(x), Code::fixed(0)),
                (None, true) => (Code::around(8), Code::fixed(0)),
                (None, false) => (Code::fixed(0), Code::around(8)),
            };
            let per_source = Code::fixed(32).plus(update).plus(each);
            cost(&fold.init).then(
                Code::fixed(20)
                    .plus(cost(&fold.source).then(per_source))
                    .plus(after),
            )
        }
        ExprKind::Label(_, body) => cost(body).plus(Code::fixed(16)),
        ExprKind::Index { base, key, .. } => match (&key.kind, &base.kind) {
            (ExprKind::Lit(_), ExprKind::Identity) => Code::around(20),
            (ExprKind::Lit(_), _) => cost(base).then(Code::around(28)),
            _ => cost(key)
                .then(Code::around(8))
                .then(cost(base))
                .then(Code::around(28)),
        },
        ExprKind::Slice { base, from, to, .. } => cost(from)
            .then(Code::around(8))
            .then(cost(to))
            .then(Code::around(8))
            .then(cost(base))
            .then(Code::around(32)),
        ExprKind::Iterate(base, _) => cost(base).then(Code::around(40)),
        ExprKind::Call(b, args) => {
            let call = match b.native().imp {
                Imp::Raise(_) | Imp::RaiseArg(_) => Code::fixed(24),
                _ => Code::around(24 + 8 * args.len() as u64),
            };
            // The first argument is outermost.
            nested(args.iter().rev(), call)
        }
        ExprKind::Walk(f) | ExprKind::Keyed(_, f) => {
            cost(f).then(Code::fixed(12)).plus(Code::around(100))
        }
        ExprKind::Regex {
            pattern,
            flags,
            replacement,
            ..
        } => {
            let apply = match replacement {
                Some(r) => cost(r).then(Code::fixed(12)).plus(Code::around(80)),
                None => Code::around(32),
            }
            .plus(Code::fixed(60));
            let constant = matches!(pattern.kind, ExprKind::Lit(Lit::Str(_)))
                && matches!(flags.kind, ExprKind::Lit(Lit::Str(_) | Lit::Null));
            if constant {
                apply
            } else {
                nested([flags.as_ref(), pattern.as_ref()].into_iter(), apply)
            }
        }
        ExprKind::First(f) => cost(f).then(Code::around(12)).plus(Code::fixed(16)),
        ExprKind::Limit(n, f) => cost(n).then(Code::fixed(60).plus(cost(f).then(Code::around(32)))),
        ExprKind::IsEmpty(f) => cost(f).then(Code::fixed(16)).plus(Code::around(40)),
        ExprKind::AnyAll {
            generator, cond, ..
        } => cost(generator)
            .then(Code::fixed(12).plus(cost(cond).then(Code::fixed(28))))
            .plus(Code::around(40)),
        ExprKind::Range(from, upto, by) => cost(from)
            .then(Code::around(8))
            .then(cost(upto))
            .then(Code::around(8))
            .then(cost(by))
            .then(Code::around(28)),
        ExprKind::Update { path, rhs, mode } => {
            let setup = path.iter().fold(Code::fixed(20), |acc, step| {
                acc.plus(match step {
                    PathStep::Iterate => Code::fixed(8),
                    PathStep::Index(k) => cost(k).then(Code::fixed(12)).plus(Code::fixed(20)),
                    PathStep::Slice(a, b) => cost(a)
                        .then(Code::fixed(12))
                        .plus(cost(b).then(Code::fixed(12)))
                        .plus(Code::fixed(32)),
                })
            });
            match mode {
                // `|=` runs the right side in a closure, then the continuation once.
                UpdateMode::Modify => setup
                    .plus(cost(rhs).then(Code::fixed(12)))
                    .plus(Code::around(80)),
                _ => setup.plus(cost(rhs).then(Code::around(80))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(src: &str) -> u64 {
        estimate(&crate::jq::compile(src).expect("compiles"))
    }

    #[test]
    fn sequenced_ifs_grow_exponentially_and_chains_linearly() {
        let ifs = |n: usize| {
            (0..n)
                .map(|i| format!("(if .a then 1 else 2 end) as $x{i} | "))
                .collect::<String>()
                + "."
        };
        // Each `if` doubles the rest.
        let (a, b) = (size(&ifs(6)), size(&ifs(7)));
        assert!(b > 2 * a - 200 && b < 2 * a + 200, "{a} {b}");
        let alts = |n: usize| vec![".a"; n].join(" // ");
        let ands = |n: usize| vec![".a"; n].join(" and ");
        for chain in [alts, ands] {
            let (a, b) = (size(&chain(30)), size(&chain(60)));
            assert!(b < 2 * a + 100, "{a} {b}");
        }
    }

    #[test]
    fn composition_follows_the_nesting() {
        let f = Code::around(3);
        let two = Code::around(5).plus(Code::around(0));
        assert_eq!(two.then(f).size, Affine { a: 11, b: 2 });
        assert_eq!(f.then(two).size, Affine { a: 8, b: 2 });
        let inner = Code::around(1).node().node();
        assert_eq!(
            inner.nest,
            Nest {
                own: 2,
                at: Some(2)
            }
        );
        // A continuation is generated inside: depths add up.
        assert_eq!(
            inner.then(inner).nest,
            Nest {
                own: 4,
                at: Some(4)
            }
        );
        assert_eq!(
            inner.plus(inner).nest,
            Nest {
                own: 2,
                at: Some(2)
            }
        );
        assert_eq!(
            Code::fixed(1).node().then(inner).nest,
            Nest { own: 1, at: None }
        );
        let huge = Code {
            size: Affine {
                a: u64::MAX,
                b: u64::MAX,
            },
            nest: Nest {
                own: u32::MAX,
                at: Some(u32::MAX),
            },
        };
        let both = huge.then(huge);
        assert_eq!((both.size.a, both.nest.own), (u64::MAX, u32::MAX));
    }

    #[test]
    fn pipelines_nest_as_deep_as_their_stages_together() {
        let stage = format!("({})", ".a".repeat(40));
        let (one, four) = (
            nesting(&crate::jq::compile(&stage).unwrap()),
            nesting(&crate::jq::compile(&[stage.as_str(); 4].join(" | ")).unwrap()),
        );
        assert!(four >= 4 * one - 8, "{one} {four}");
        let long = [stage.as_str(); 20].join(" | ");
        let errors = crate::jq::compile(&long).unwrap_err();
        assert_eq!(errors[0].code, "E0105");
    }
}
