//! jaq's syntax tree → our IR ([`super::ir`]).
//!
//! Resolves names (variables, user `def`s, builtins), expands jq-defined builtins (`map`,
//! `select`, `with_entries`, …) into core IR, inlines user definitions (non-recursive ones), and
//! rejects what is not compiled natively with an error that names the construct. jq 1.8.2's
//! grammar is followed where jaq's tree differs: a postfix `?` covers the whole term before it
//! (`.a.b?` is `try .a.b`), as in jq's parser.
//!
//! Submodules: [`env`] (scopes), [`spans`] (byte ranges of terms), [`ops`] (binary operators),
//! [`paths`] (assignments and path builtins), [`patterns`] (destructuring, `reduce`/`foreach`).
//!
//! Lowering is bounded: inlining and builtin expansion may multiply the text, so it stops at the
//! first program larger or deeper than [`limits::MAX_IR_NODES`] / [`limits::MAX_IR_DEPTH`]
//! (checked exactly on the result by [`limits::check_ir`]), and after [`MAX_ERRORS`] errors.
//! It also rejects what the code generator cannot generate (a `break` out of a closure), so
//! code generation cannot fail.

mod env;
mod ops;
mod paths;
mod patterns;
mod spans;

use super::ir::*;
use super::limits;
pub(in crate::jq) use env::Env;
use env::{Binding, Closure, UserDef};
use jaq_core::load::lex::StrPart as JStrPart;
use jaq_core::load::parse::Term;
use jaq_core::path::{Opt, Part};
use spans::Spans;
use std::ops::Range;
use std::rc::Rc;

/// Errors reported for one program before lowering gives up on it.
pub const MAX_ERRORS: usize = 16;

/// Why a program cannot be compiled.
#[derive(Clone, Debug, PartialEq)]
pub struct LowerError {
    /// `E0101` unknown function or wrong arity, `E0102` unsupported construct, `E0104` undefined
    /// variable or label, `E0105`/`E0106` too deep or too large once expanded.
    pub code: &'static str,
    pub span: Range<usize>,
    pub message: String,
    pub help: Option<String>,
}

/// Lowers a parsed program. `text` is the program the term was parsed from (for spans).
pub fn lower(text: &str, term: &Term<&str>) -> Result<Expr, Vec<LowerError>> {
    let mut cx = Lowerer {
        text,
        spans: Spans::compute(text, term),
        next_var: 0,
        next_label: 0,
        next_def: 0,
        errors: Vec::new(),
        stopped: false,
        inlining: Vec::new(),
        depth: 0,
        nodes: 0,
        closure_depth: 0,
    };
    let env = Env::root();
    let whole = 0..text.len();
    let expr = cx.term(term, &env, whole);
    if cx.errors.is_empty() {
        Ok(expr)
    } else {
        Err(cx.errors)
    }
}

pub(in crate::jq) struct Lowerer<'a> {
    pub(super) text: &'a str,
    spans: Spans,
    next_var: u32,
    next_label: u32,
    next_def: usize,
    errors: Vec<LowerError>,
    /// Set by a limit error or [`MAX_ERRORS`]: the rest of the program is not lowered.
    stopped: bool,
    /// Ids of user definitions being inlined, to refuse recursion.
    inlining: Vec<usize>,
    /// Nesting of the term being lowered, and nodes made so far: the IR's depth and size are
    /// bounded while it is built (an exponential `def` must not be built to be measured).
    depth: usize,
    nodes: usize,
    /// How many closures the code generator will put around the code being lowered (`try`
    /// bodies, `walk` filters, `sub`/`gsub` replacements, `|=` right sides): a `break` cannot
    /// leave one.
    pub(in crate::jq) closure_depth: u32,
}

pub(in crate::jq) fn boxed(e: Expr) -> Box<Expr> {
    Box::new(e)
}

impl<'s, 't> Lowerer<'_> {
    pub(in crate::jq) fn fresh_var(&mut self) -> VarId {
        self.next_var += 1;
        VarId(self.next_var)
    }

    pub(in crate::jq) fn fresh_label(&mut self) -> LabelId {
        self.next_label += 1;
        LabelId(self.next_label)
    }

    pub(in crate::jq) fn error(
        &mut self,
        code: &'static str,
        span: Range<usize>,
        message: String,
    ) -> Expr {
        self.error_with_help(code, span, message, None)
    }

    pub(in crate::jq) fn error_with_help(
        &mut self,
        code: &'static str,
        span: Range<usize>,
        message: String,
        help: Option<String>,
    ) -> Expr {
        if !self.stopped {
            self.errors.push(LowerError {
                code,
                span: span.clone(),
                message,
                help,
            });
            self.stopped = self.errors.len() >= MAX_ERRORS;
        }
        Expr::new(ExprKind::Empty, span)
    }

    pub(in crate::jq) fn unsupported(&mut self, span: Range<usize>, what: &str) -> Expr {
        self.error_with_help(
            "E0102",
            span,
            format!("{what} is not supported by opsgenie-port's jq compiler"),
            Some(
                "only the jq subset real Port mappings use is compiled natively; rewrite the expression with supported builtins"
                    .to_string(),
            ),
        )
    }

    /// Reports a limit ([`limits`]) and stops lowering: what follows would only be larger.
    fn limit(&mut self, e: super::ExprError) -> Expr {
        let span = e.span.clone();
        self.error_with_help(e.code, e.span, e.message, e.help);
        self.stopped = true;
        Expr::new(ExprKind::Empty, span)
    }

    /// A copy of `e`, counted against the node budget: copies can hold copies (the key of
    /// `{"\(f)"}` is also its value's index), so uncounted they could grow exponentially.
    pub(super) fn copy(&mut self, e: &Expr) -> Expr {
        if self.stopped {
            return Expr::new(ExprKind::Empty, e.span.clone());
        }
        self.nodes = self.nodes.saturating_add(limits::measure(e).0);
        if self.nodes > limits::MAX_IR_NODES {
            return self.limit(limits::too_many_nodes(e.span.clone()));
        }
        e.clone()
    }

    pub(super) fn span_of(&self, term: &Term<&'s str>, fallback: &Range<usize>) -> Range<usize> {
        self.spans.of(term, fallback)
    }

    /// Lowers `term` as the body of a closure of the generated code (see `closure_depth`).
    pub(in crate::jq) fn term_in_closure(
        &mut self,
        term: &'t Term<&'s str>,
        env: &Env<'s, 't>,
        parent: Range<usize>,
    ) -> Expr {
        self.closure_depth += 1;
        let e = self.term(term, env, parent);
        self.closure_depth -= 1;
        e
    }

    /// Lowers one term, within the IR budgets.
    pub(in crate::jq) fn term(
        &mut self,
        term: &'t Term<&'s str>,
        env: &Env<'s, 't>,
        parent: Range<usize>,
    ) -> Expr {
        let span = self.span_of(term, &parent);
        if self.stopped {
            return Expr::new(ExprKind::Empty, span);
        }
        self.nodes += 1;
        if self.nodes > limits::MAX_IR_NODES {
            return self.limit(limits::too_many_nodes(span));
        }
        if self.depth >= limits::MAX_IR_DEPTH {
            return self.limit(limits::too_deep(span));
        }
        self.depth += 1;
        let e = self.term_inner(term, env, span);
        self.depth -= 1;
        e
    }

    fn term_inner(
        &mut self,
        term: &'t Term<&'s str>,
        env: &Env<'s, 't>,
        span: Range<usize>,
    ) -> Expr {
        let kind = match term {
            Term::Id => ExprKind::Identity,
            Term::Recurse => ExprKind::Recurse,
            Term::Num(n) => {
                if n.starts_with('.') || n.parse::<f64>().is_err() {
                    return self.unsupported(span, &format!("the number literal `{n}`"));
                }
                self.nodes += n.len() / limits::LITERAL_BYTES_PER_NODE;
                ExprKind::Lit(Lit::Num(n.to_string()))
            }
            Term::Str(fmt, parts) => return self.string(fmt.as_ref().copied(), parts, env, span),
            Term::Arr(None) => ExprKind::Array(None),
            Term::Arr(Some(t)) => ExprKind::Array(Some(boxed(self.term(t, env, span.clone())))),
            Term::Obj(entries) => {
                let mut out = Vec::new();
                for (k, v) in entries {
                    out.push(self.object_entry(k, v.as_ref(), env, &span));
                }
                ExprKind::Object(out)
            }
            Term::Neg(t) => ExprKind::Neg(boxed(self.term(t, env, span.clone()))),
            Term::BinOp(l, op, r) => return self.binop(l, op, r, env, span),
            Term::Label(name, body) => {
                let id = self.fresh_label();
                let env = env.with(Binding::Label(name, id, self.closure_depth));
                ExprKind::Label(id, boxed(self.term(body, &env, span.clone())))
            }
            Term::Break(name) => match env.label(name) {
                Some((id, depth)) if depth == self.closure_depth => ExprKind::Break(id),
                Some(_) => {
                    return self.unsupported(
                        span,
                        &format!("`break {name}` out of a `try` body, a `walk` filter, a `sub`/`gsub` replacement or the right side of `|=`"),
                    )
                }
                None => {
                    return self.error(
                        "E0104",
                        span,
                        format!("`break {name}` has no matching label"),
                    )
                }
            },
            Term::Fold(kind, source, pattern, args) => {
                return self.fold(kind, source, pattern, args, env, span)
            }
            Term::TryCatch(body, handler) => ExprKind::Try {
                // The body runs in a closure, so that only its own errors are caught.
                body: boxed(self.term_in_closure(body, env, span.clone())),
                handler: handler
                    .as_ref()
                    .map(|h| boxed(self.term(h, env, span.clone()))),
            },
            Term::IfThenElse(branches, otherwise) => {
                let mut rest = match otherwise {
                    Some(o) => self.term(o, env, span.clone()),
                    // jq 1.7+: a missing `else` is `else .`
                    None => Expr::new(ExprKind::Identity, span.clone()),
                };
                for (cond, then) in branches.iter().rev() {
                    let cond = self.term(cond, env, span.clone());
                    let then = self.term(then, env, span.clone());
                    rest = Expr::new(
                        ExprKind::If {
                            cond: boxed(cond),
                            then: boxed(then),
                            otherwise: boxed(rest),
                        },
                        span.clone(),
                    );
                }
                return rest;
            }
            Term::Def(defs, body) => {
                let mut env = env.clone();
                for d in defs {
                    self.next_def += 1;
                    let id = self.next_def;
                    let def = UserDef {
                        id,
                        name: d.name,
                        params: d.args.clone(),
                        body: &d.body,
                        env: env.clone(),
                    };
                    env = env.with(Binding::Def(Rc::new(def)));
                }
                return self.term(body, &env, span);
            }
            Term::Call(name, args) => return self.call(name, args, env, span),
            Term::Var(name) => return self.var(name, env, span),
            Term::Path(base, path) => {
                // Each step nests the IR one level deeper.
                let steps = path.0.len();
                self.nodes += steps;
                if self.depth + steps > limits::MAX_IR_DEPTH {
                    return self.limit(limits::too_deep(span));
                }
                let mut cur = self.term(base, env, span.clone());
                for (part, opt) in &path.0 {
                    // jq's grammar: a `?` after a path step (`.a?`, `.[]?`, `.[e]?`) makes only
                    // that step optional (INDEX_OPT / EACH_OPT); errors before it still raise.
                    let opt = matches!(opt, Opt::Optional);
                    let kind = match part {
                        Part::Index(k) => ExprKind::Index {
                            base: boxed(cur),
                            key: boxed(self.term(k, env, span.clone())),
                            opt,
                        },
                        Part::Range(None, None) => ExprKind::Iterate(boxed(cur), opt),
                        Part::Range(from, to) => {
                            let null = || Expr::new(ExprKind::Lit(Lit::Null), span.clone());
                            ExprKind::Slice {
                                base: boxed(cur),
                                from: boxed(
                                    from.as_ref()
                                        .map_or_else(null, |t| self.term(t, env, span.clone())),
                                ),
                                to: boxed(
                                    to.as_ref()
                                        .map_or_else(null, |t| self.term(t, env, span.clone())),
                                ),
                                opt,
                            }
                        }
                    };
                    cur = Expr::new(kind, span.clone());
                }
                return cur;
            }
        };
        Expr::new(kind, span)
    }

    fn string(
        &mut self,
        fmt: Option<&'s str>,
        parts: &'t [JStrPart<&'s str, Term<&'s str>>],
        env: &Env<'s, 't>,
        span: Range<usize>,
    ) -> Expr {
        let format = match fmt {
            None => None,
            Some(name) => match Format::from_name(name) {
                Some(f) => Some(f),
                None => {
                    return self.error("E0101", span, format!("`{name}` is not a valid format"))
                }
            },
        };
        let mut out: Vec<StrPart> = Vec::new();
        for part in parts {
            match part {
                JStrPart::Str(s) => push_lit(&mut out, s),
                JStrPart::Char(c) => push_lit(&mut out, c.encode_utf8(&mut [0; 4])),
                JStrPart::Term(t) => out.push(StrPart::Interp(self.term(t, env, span.clone()))),
            }
        }
        let literal: usize = out
            .iter()
            .map(|p| match p {
                StrPart::Lit(s) => s.len(),
                StrPart::Interp(_) => 0,
            })
            .sum();
        self.nodes += literal / limits::LITERAL_BYTES_PER_NODE;
        if let [StrPart::Lit(s)] = &out[..] {
            return Expr::new(ExprKind::Lit(Lit::Str(s.clone())), span);
        }
        if out.is_empty() {
            return Expr::new(ExprKind::Lit(Lit::Str(String::new())), span);
        }
        Expr::new(ExprKind::Str(format, out), span)
    }

    fn object_entry(
        &mut self,
        key: &'t Term<&'s str>,
        value: Option<&'t Term<&'s str>>,
        env: &Env<'s, 't>,
        span: &Range<usize>,
    ) -> (Expr, Expr) {
        let kspan = self.span_of(key, span);
        match (key, value) {
            // `{$x}` = `{"x": $x}`; `{$__loc__}` is not supported.
            (Term::Var(name), None) => {
                let k = Expr::new(
                    ExprKind::Lit(Lit::Str(name[1..].to_string())),
                    kspan.clone(),
                );
                (k, self.var(name, env, kspan))
            }
            (Term::Var(_), Some(v)) => {
                // `{$x: v}` is parsed by jaq as a variable key; jq uses the variable's value as key.
                (self.term(key, env, kspan), self.term(v, env, span.clone()))
            }
            (k, Some(v)) => (self.term(k, env, kspan), self.term(v, env, span.clone())),
            // `{a}` / `{"a"}` / `{"\(f)"}` = `{a: .a}`
            (k, None) => {
                let key = self.term(k, env, kspan.clone());
                let value = Expr::new(
                    ExprKind::Index {
                        base: Expr::boxed(ExprKind::Identity, kspan.clone()),
                        key: boxed(self.copy(&key)),
                        opt: false,
                    },
                    kspan,
                );
                (key, value)
            }
        }
    }

    fn var(&mut self, name: &str, env: &Env<'s, 't>, span: Range<usize>) -> Expr {
        if let Some(id) = env.var(name) {
            return Expr::new(ExprKind::Var(id), span);
        }
        match name {
            "$ENV" => Expr::new(ExprKind::Call(Builtin::Env, vec![]), span),
            "$__loc__" => self.unsupported(span, "`$__loc__`"),
            "$__prog_args" => self.unsupported(span, "`$__prog_args`"),
            _ => self.error("E0104", span, format!("variable `{name}` is not defined")),
        }
    }

    fn call(
        &mut self,
        name: &'s str,
        args: &'t [Term<&'s str>],
        env: &Env<'s, 't>,
        span: Range<usize>,
    ) -> Expr {
        if let Some(binding) = env.function(name, args.len()) {
            return self.call_user(binding, args, env, span);
        }
        self.builtin(name, args, env, span)
    }

    fn call_user(
        &mut self,
        binding: Binding<'s, 't>,
        args: &'t [Term<&'s str>],
        env: &Env<'s, 't>,
        span: Range<usize>,
    ) -> Expr {
        match binding {
            Binding::Param(_, closure) => self.argument(&closure, closure.span.clone()),
            Binding::Def(def) => {
                if self.inlining.contains(&def.id) {
                    return self
                        .unsupported(span, &format!("the recursive function `{}`", def.name));
                }
                if self.inlining.len() > 64 {
                    return self.unsupported(span, "function definitions nested this deeply");
                }
                self.inlining.push(def.id);
                // The body sees its definition scope, itself (for the recursion check), and its
                // parameters; `$x` parameters are bound by evaluating the argument first.
                let mut body_env = def.env.with(Binding::Def(def.clone()));
                let mut value_params = Vec::new();
                for (param, arg) in def.params.iter().zip(args) {
                    let closure = Rc::new(Closure {
                        term: arg,
                        env: env.clone(),
                        span: span.clone(),
                        inlining: self.inlining.len() - 1,
                    });
                    match param.strip_prefix('$') {
                        Some(bare) => {
                            let var = self.fresh_var();
                            body_env = body_env.with(Binding::Param(bare, closure.clone()));
                            body_env = body_env.with(Binding::Var(param, var));
                            value_params.push((var, closure));
                        }
                        None => body_env = body_env.with(Binding::Param(param, closure)),
                    }
                }
                let mut expr = self.term(def.body, &body_env, span.clone());
                for (var, closure) in value_params.into_iter().rev() {
                    let source = self.argument(&closure, span.clone());
                    expr = Expr::new(
                        ExprKind::Bind {
                            source: boxed(source),
                            var,
                            body: boxed(expr),
                        },
                        span.clone(),
                    );
                }
                self.inlining.pop();
                expr
            }
            _ => unreachable!("Env::function only returns functions"),
        }
    }

    /// An argument of an inlined call, lowered where it was written: in the caller's scope and
    /// with the caller's definitions being inlined (so `f(f(.))` is not recursion).
    fn argument(&mut self, closure: &Closure<'s, 't>, span: Range<usize>) -> Expr {
        let inner = self.inlining.split_off(closure.inlining);
        let e = self.term(closure.term, &closure.env, span);
        self.inlining.extend(inner);
        e
    }
}

fn push_lit(out: &mut Vec<StrPart>, s: &str) {
    if let Some(StrPart::Lit(last)) = out.last_mut() {
        last.push_str(s);
    } else {
        out.push(StrPart::Lit(s.to_string()));
    }
}

/// `a, b, …`; `None` for no items. Nested as a balanced tree, so that a long list is shallow.
pub(in crate::jq) fn comma_all(items: Vec<Expr>, span: &Range<usize>) -> Option<Expr> {
    balanced(items, &mut |a, b| {
        Expr::new(ExprKind::Comma(boxed(a), boxed(b)), span.clone())
    })
}

/// Joins `items` (in order) with an associative operator, as a balanced tree: depth log₂ n.
pub(super) fn balanced(
    mut items: Vec<Expr>,
    join: &mut dyn FnMut(Expr, Expr) -> Expr,
) -> Option<Expr> {
    // Pairwise rounds keep the order: ((a b) (c d)) (e …).
    while items.len() > 1 {
        let mut next = Vec::with_capacity(items.len().div_ceil(2));
        let mut it = items.into_iter();
        while let Some(a) = it.next() {
            next.push(match it.next() {
                Some(b) => join(a, b),
                None => a,
            });
        }
        items = next;
    }
    items.pop()
}

/// `[a, b, …]` of single-output items.
pub(in crate::jq) fn literal_array(items: Vec<Expr>, span: &Range<usize>) -> Expr {
    Expr::new(
        ExprKind::Array(comma_all(items, span).map(boxed)),
        span.clone(),
    )
}

#[cfg(test)]
mod tests {
    use crate::jq::compile;
    use crate::jq::ir::{Expr, ExprKind};

    /// The code and the text under the first error.
    fn error(src: &str) -> (&'static str, &str) {
        let errors = compile(src).expect_err(src);
        (errors[0].code, &src[errors[0].span.clone()])
    }

    #[test]
    fn break_cannot_leave_a_closure_of_the_generated_code() {
        for src in [
            "label $out | try (break $out)",
            "label $out | (break $out)?",
            "label $out | walk(break $out)",
            "label $out | sub(\"a\"; break $out)",
            "label $out | .a |= break $out",
            "label $out | map_values(break $out)",
            "def f(g): try g; label $out | f(break $out)",
        ] {
            assert_eq!(error(src), ("E0102", "$out"), "{src}");
        }
        for src in [
            "label $out | break $out",
            "label $out | try . catch break $out",
            "label $out | reduce .[] as $x (0; break $out)",
            "label $out | [.[] | first(break $out)]",
            "label $out | .a = break $out",
            "try (label $in | break $in)",
        ] {
            assert!(compile(src).is_ok(), "{src}");
        }
    }

    #[test]
    fn arguments_are_lowered_where_they_were_written() {
        // `f(f(.))` nests calls, it does not recurse.
        assert!(compile("def f(g): g | g; f(f(.))").is_ok());
        assert!(compile("def f($x): $x + 1; f(f(1))").is_ok());
        assert_eq!(error("def f: f; f").0, "E0102");
        assert_eq!(error("def f(g): g; def k: f(k); k").0, "E0102");
    }

    fn depth(e: &Expr) -> usize {
        match &e.kind {
            ExprKind::Comma(a, b)
            | ExprKind::Alt(a, b)
            | ExprKind::And(a, b)
            | ExprKind::Or(a, b) => 1 + depth(a).max(depth(b)),
            _ => 1,
        }
    }

    #[test]
    fn associative_chains_are_regrouped() {
        let list = vec!["1"; 1000].join(", ");
        assert_eq!(depth(&compile(&list).unwrap()), 11);
        // `//`, `and` and `or` nest to the right.
        for op in ["//", "and", "or"] {
            let e = compile(&format!(".a {op} .b {op} .c")).unwrap();
            let (ExprKind::Alt(l, r) | ExprKind::And(l, r) | ExprKind::Or(l, r)) = &e.kind else {
                panic!("{op}: {e:?}")
            };
            assert_eq!((depth(l), depth(r)), (1, 2), "{op}");
        }
    }
}
