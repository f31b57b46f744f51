//! jaq's syntax tree → our IR ([`super::ir`]).
//!
//! Resolves names (variables, user `def`s, builtins), expands jq-defined builtins (`map`,
//! `select`, `with_entries`, …) into core IR, inlines user definitions (non-recursive ones), and
//! rejects what is not compiled natively with an error that names the construct. jq 1.8.2's
//! grammar is followed where jaq's tree differs: a postfix `?` covers the whole term before it
//! (`.a.b?` is `try .a.b`), as in jq's parser.

use super::ir::*;
use jaq_core::load::lex::StrPart as JStrPart;
use jaq_core::load::parse::{BinaryOp, Pattern, Term};
use jaq_core::ops::{Cmp, Math};
use jaq_core::path::{Opt, Part};
use std::ops::Range;
use std::rc::Rc;

/// Why a program cannot be compiled.
#[derive(Clone, Debug, PartialEq)]
pub struct LowerError {
    /// `E0101` unknown function or wrong arity, `E0102` unsupported construct, `E0104` undefined
    /// variable or label.
    pub code: &'static str,
    pub span: Range<usize>,
    pub message: String,
    pub help: Option<String>,
}

/// Lowers a parsed program. `text` is the program the term was parsed from (for spans).
pub fn lower(text: &str, term: &Term<&str>) -> Result<Expr, Vec<LowerError>> {
    let mut cx = Lowerer {
        text,
        next_var: 0,
        next_label: 0,
        errors: Vec::new(),
        inlining: Vec::new(),
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

/// A lexical scope: a persistent linked list of bindings.
#[derive(Clone)]
pub(super) struct Env<'s, 't>(Option<Rc<Scope<'s, 't>>>);

struct Scope<'s, 't> {
    binding: Binding<'s, 't>,
    parent: Env<'s, 't>,
}

#[derive(Clone)]
enum Binding<'s, 't> {
    Var(&'s str, VarId),
    Label(&'s str, LabelId),
    /// A user `def`, with the scope it was defined in (lexical scoping).
    Def(Rc<UserDef<'s, 't>>),
    /// A filter parameter of an inlined `def`: the argument term and the caller's scope.
    Param(&'s str, Rc<Closure<'s, 't>>),
}

struct UserDef<'s, 't> {
    id: usize,
    name: &'s str,
    params: Vec<&'s str>,
    body: &'t Term<&'s str>,
    env: Env<'s, 't>,
}

struct Closure<'s, 't> {
    term: &'t Term<&'s str>,
    env: Env<'s, 't>,
    span: Range<usize>,
}

impl<'s, 't> Env<'s, 't> {
    fn root() -> Self {
        Env(None)
    }

    fn with(&self, binding: Binding<'s, 't>) -> Self {
        Env(Some(Rc::new(Scope {
            binding,
            parent: self.clone(),
        })))
    }

    fn iter(&self) -> impl Iterator<Item = &Binding<'s, 't>> {
        let mut cur = self.0.as_deref();
        std::iter::from_fn(move || {
            let scope = cur?;
            cur = scope.parent.0.as_deref();
            Some(&scope.binding)
        })
    }

    fn var(&self, name: &str) -> Option<VarId> {
        self.iter().find_map(|b| match b {
            Binding::Var(n, id) if *n == name => Some(*id),
            _ => None,
        })
    }

    fn label(&self, name: &str) -> Option<LabelId> {
        self.iter().find_map(|b| match b {
            Binding::Label(n, id) if *n == name => Some(*id),
            _ => None,
        })
    }

    /// The innermost function or parameter named `name` with `arity` arguments.
    fn function(&self, name: &str, arity: usize) -> Option<Binding<'s, 't>> {
        self.iter()
            .find(|b| match b {
                Binding::Def(d) => d.name == name && d.params.len() == arity,
                Binding::Param(n, _) => *n == name && arity == 0,
                _ => false,
            })
            .cloned()
    }

    pub(super) fn function_names(&self) -> Vec<&'s str> {
        self.iter()
            .filter_map(|b| match b {
                Binding::Def(d) => Some(d.name),
                Binding::Param(n, _) => Some(*n),
                _ => None,
            })
            .collect()
    }
}

pub(super) struct Lowerer<'a> {
    pub(super) text: &'a str,
    next_var: u32,
    next_label: u32,
    errors: Vec<LowerError>,
    /// Ids of user definitions being inlined, to refuse recursion.
    inlining: Vec<usize>,
}

pub(super) fn boxed(e: Expr) -> Box<Expr> {
    Box::new(e)
}

impl<'s, 't> Lowerer<'_> {
    pub(super) fn fresh_var(&mut self) -> VarId {
        self.next_var += 1;
        VarId(self.next_var)
    }

    pub(super) fn fresh_label(&mut self) -> LabelId {
        self.next_label += 1;
        LabelId(self.next_label)
    }

    pub(super) fn error(
        &mut self,
        code: &'static str,
        span: Range<usize>,
        message: String,
    ) -> Expr {
        self.errors.push(LowerError {
            code,
            span: span.clone(),
            message,
            help: None,
        });
        Expr::new(ExprKind::Empty, span)
    }

    pub(super) fn error_with_help(
        &mut self,
        code: &'static str,
        span: Range<usize>,
        message: String,
        help: Option<String>,
    ) -> Expr {
        self.errors.push(LowerError {
            code,
            span: span.clone(),
            message,
            help,
        });
        Expr::new(ExprKind::Empty, span)
    }

    pub(super) fn unsupported(&mut self, span: Range<usize>, what: &str) -> Expr {
        self.errors.push(LowerError {
            code: "E0102",
            span: span.clone(),
            message: format!("{what} is not supported by opsgenie-port's jq compiler"),
            help: Some(
                "only the jq subset real Port mappings use is compiled natively; rewrite the expression with supported builtins"
                    .to_string(),
            ),
        });
        Expr::new(ExprKind::Empty, span)
    }

    /// Byte range of a slice of the program text, if it is one.
    fn slice_span(&self, s: &str) -> Option<Range<usize>> {
        let base = self.text.as_ptr() as usize;
        let p = s.as_ptr() as usize;
        (p >= base && p + s.len() <= base + self.text.len()).then(|| p - base..p - base + s.len())
    }

    /// The span of a term: the union of the spans of its leaves, or `fallback`.
    fn span_of(&self, term: &Term<&'s str>, fallback: &Range<usize>) -> Range<usize> {
        let mut acc: Option<Range<usize>> = None;
        self.collect_span(term, &mut acc);
        acc.unwrap_or_else(|| fallback.clone())
    }

    fn join(acc: &mut Option<Range<usize>>, r: Range<usize>) {
        *acc = Some(match acc.take() {
            None => r,
            Some(a) => a.start.min(r.start)..a.end.max(r.end),
        });
    }

    fn collect_span(&self, term: &Term<&'s str>, acc: &mut Option<Range<usize>>) {
        let leaf = |s: &str, acc: &mut Option<Range<usize>>, widen: (usize, usize)| {
            if let Some(r) = self.slice_span(s) {
                Self::join(
                    acc,
                    r.start.saturating_sub(widen.0)..(r.end + widen.1).min(self.text.len()),
                );
            }
        };
        match term {
            Term::Id | Term::Recurse => {}
            Term::Num(n) => leaf(n, acc, (0, 0)),
            Term::Var(v) | Term::Break(v) => leaf(v, acc, (0, 0)),
            Term::Call(name, args) => {
                leaf(name, acc, (0, 0));
                for a in args {
                    self.collect_span(a, acc);
                }
                // Include the closing parenthesis of the argument list.
                if !args.is_empty() {
                    if let Some(r) = acc.clone() {
                        if self.text[r.end..].trim_start().starts_with(')') {
                            let close = r.end + self.text[r.end..].find(')').unwrap_or(0) + 1;
                            *acc = Some(r.start..close);
                        }
                    }
                }
            }
            Term::Str(fmt, parts) => {
                if let Some(f) = fmt {
                    leaf(f, acc, (0, 0));
                }
                for p in parts {
                    match p {
                        JStrPart::Str(s) => leaf(s, acc, (1, 1)),
                        JStrPart::Term(t) => self.collect_span(t, acc),
                        JStrPart::Char(_) => {}
                    }
                }
            }
            Term::Arr(Some(t)) | Term::Neg(t) | Term::Label(_, t) => self.collect_span(t, acc),
            Term::Arr(None) => {}
            Term::Obj(entries) => {
                for (k, v) in entries {
                    self.collect_span(k, acc);
                    if let Some(v) = v {
                        self.collect_span(v, acc);
                    }
                }
            }
            Term::BinOp(l, _, r) => {
                self.collect_span(l, acc);
                self.collect_span(r, acc);
            }
            Term::Fold(_, xs, _, args) => {
                self.collect_span(xs, acc);
                for a in args {
                    self.collect_span(a, acc);
                }
            }
            Term::TryCatch(t, c) => {
                self.collect_span(t, acc);
                if let Some(c) = c {
                    self.collect_span(c, acc);
                }
            }
            Term::IfThenElse(branches, otherwise) => {
                for (c, t) in branches {
                    self.collect_span(c, acc);
                    self.collect_span(t, acc);
                }
                if let Some(o) = otherwise {
                    self.collect_span(o, acc);
                }
            }
            Term::Def(defs, body) => {
                for d in defs {
                    self.collect_span(&d.body, acc);
                }
                self.collect_span(body, acc);
            }
            Term::Path(base, path) => {
                self.collect_span(base, acc);
                for (part, _) in &path.0 {
                    match part {
                        Part::Index(Term::Str(None, parts)) if parts.len() == 1 => {
                            // `.key`: include the dot.
                            if let JStrPart::Str(s) = &parts[0] {
                                if let Some(r) = self.slice_span(s) {
                                    let dot = r.start.saturating_sub(1);
                                    let quoted = self.text.as_bytes().get(dot) == Some(&b'"');
                                    let start = if quoted { dot.saturating_sub(1) } else { dot };
                                    let end = if quoted { r.end + 1 } else { r.end };
                                    Self::join(acc, start..end.min(self.text.len()));
                                }
                            }
                        }
                        Part::Index(i) => self.collect_span(i, acc),
                        Part::Range(a, b) => {
                            if let Some(a) = a {
                                self.collect_span(a, acc);
                            }
                            if let Some(b) = b {
                                self.collect_span(b, acc);
                            }
                        }
                    }
                }
            }
        }
    }

    pub(super) fn term(
        &mut self,
        term: &'t Term<&'s str>,
        env: &Env<'s, 't>,
        parent: Range<usize>,
    ) -> Expr {
        let span = self.span_of(term, &parent);
        let kind = match term {
            Term::Id => ExprKind::Identity,
            Term::Recurse => ExprKind::Recurse,
            Term::Num(n) => {
                if n.starts_with('.') || n.parse::<f64>().is_err() {
                    return self.unsupported(span, &format!("the number literal `{n}`"));
                }
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
                let env = env.with(Binding::Label(name, id));
                ExprKind::Label(id, boxed(self.term(body, &env, span.clone())))
            }
            Term::Break(name) => match env.label(name) {
                Some(id) => ExprKind::Break(id),
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
                body: boxed(self.term(body, env, span.clone())),
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
                    let id = self.next_var as usize + 1_000_000 * (self.inlining.len() + 1);
                    self.next_var += 1;
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
                        key: boxed(key.clone()),
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

    fn binop(
        &mut self,
        l: &'t Term<&'s str>,
        op: &'t BinaryOp<&'s str>,
        r: &'t Term<&'s str>,
        env: &Env<'s, 't>,
        span: Range<usize>,
    ) -> Expr {
        let sp = span.clone();
        let kind = match op {
            BinaryOp::Pipe(None) => ExprKind::Pipe(
                boxed(self.term(l, env, sp.clone())),
                boxed(self.term(r, env, sp)),
            ),
            BinaryOp::Pipe(Some(pattern)) => {
                let source = self.term(l, env, sp.clone());
                return self.bind_pattern(source, pattern, env, span, |cx, env| {
                    cx.term(r, env, sp.clone())
                });
            }
            BinaryOp::Comma => ExprKind::Comma(
                boxed(self.term(l, env, sp.clone())),
                boxed(self.term(r, env, sp)),
            ),
            BinaryOp::Alt => ExprKind::Alt(
                boxed(self.term(l, env, sp.clone())),
                boxed(self.term(r, env, sp)),
            ),
            BinaryOp::And => ExprKind::And(
                boxed(self.term(l, env, sp.clone())),
                boxed(self.term(r, env, sp)),
            ),
            BinaryOp::Or => ExprKind::Or(
                boxed(self.term(l, env, sp.clone())),
                boxed(self.term(r, env, sp)),
            ),
            BinaryOp::Math(m) => {
                if matches!(m, Math::Rem) || matches!(m, Math::Mul | Math::Div) {
                    if let Some(e) = self.check_rem_precedence(l, m, r, &span) {
                        return e;
                    }
                }
                ExprKind::Math(
                    math_op(m),
                    boxed(self.term(l, env, sp.clone())),
                    boxed(self.term(r, env, sp)),
                )
            }
            BinaryOp::Cmp(c) => ExprKind::Cmp(
                cmp_op(c),
                boxed(self.term(l, env, sp.clone())),
                boxed(self.term(r, env, sp)),
            ),
            BinaryOp::Assign => return self.update(l, r, UpdateMode::Assign, env, span),
            BinaryOp::Update => return self.update(l, r, UpdateMode::Modify, env, span),
            BinaryOp::UpdateMath(m) => {
                return self.update(l, r, UpdateMode::Arith(math_op(m)), env, span)
            }
            BinaryOp::UpdateAlt => return self.update(l, r, UpdateMode::Alt, env, span),
        };
        Expr::new(kind, span)
    }

    /// jaq gives `%` a higher precedence than `*` and `/`; jq gives them the same. Where the two
    /// would read a program differently we refuse it rather than compute the wrong thing.
    fn check_rem_precedence(
        &mut self,
        _l: &Term<&'s str>,
        m: &Math,
        r: &Term<&'s str>,
        span: &Range<usize>,
    ) -> Option<Expr> {
        let is_rem_child =
            |t: &Term<&'s str>| matches!(t, Term::BinOp(_, BinaryOp::Math(Math::Rem), _));
        let ambiguous = matches!(m, Math::Mul | Math::Div) && is_rem_child(r);
        if ambiguous {
            // The tree is the same whether or not the user wrote parentheses; look at the text.
            let rs = self.span_of(r, span);
            let before = self.text[..rs.start].trim_end();
            if !before.ends_with('(') {
                return Some(self.unsupported(
                    span.clone(),
                    "mixing `%` with `*` or `/` without parentheses (jq and jaq disagree on its precedence)",
                ));
            }
        }
        None
    }

    fn update(
        &mut self,
        lhs: &'t Term<&'s str>,
        rhs: &'t Term<&'s str>,
        mode: UpdateMode,
        env: &Env<'s, 't>,
        span: Range<usize>,
    ) -> Expr {
        let mut steps = Vec::new();
        if !self.static_path(lhs, env, &mut steps, &span) {
            return self.unsupported(
                span,
                "an assignment whose left side is not a simple path (`.a`, `.[0]`, `.[]`, `.a.b[1]`)",
            );
        }
        let rhs = self.term(rhs, env, span.clone());
        Expr::new(
            ExprKind::Update {
                path: steps,
                rhs: boxed(rhs),
                mode,
            },
            span,
        )
    }

    /// The paths `f` names when it is one or more (`,`) paths of literal keys and indexes
    /// (`.a`, `.a.b[0]`, `.a, .b`), each with the check jq's path tracking makes: `f_i | empty`,
    /// which raises the same indexing errors (`.a[0]` of `{"a": "x"}`) and yields nothing.
    pub(super) fn literal_paths(
        &mut self,
        term: &'t Term<&'s str>,
        env: &Env<'s, 't>,
        span: &Range<usize>,
    ) -> Option<Vec<(Expr, Expr)>> {
        let mut alternatives = vec![term];
        let mut paths = Vec::new();
        while let Some(term) = alternatives.pop() {
            if let Term::BinOp(l, BinaryOp::Comma, r) = term {
                alternatives.push(r);
                alternatives.push(l);
                continue;
            }
            let mut steps = Vec::new();
            if !self.static_path(term, env, &mut steps, span) {
                return None;
            }
            let keys = steps
                .into_iter()
                .map(|step| match step {
                    PathStep::Index(key)
                        if matches!(key.kind, ExprKind::Lit(Lit::Str(_) | Lit::Num(_))) =>
                    {
                        Some(key)
                    }
                    _ => None,
                })
                .collect::<Option<Vec<Expr>>>()?;
            let value = self.term(term, env, span.clone());
            let check = Expr::new(
                ExprKind::Pipe(
                    boxed(value),
                    boxed(Expr::new(ExprKind::Empty, span.clone())),
                ),
                span.clone(),
            );
            paths.push((check, literal_array(keys, span)));
        }
        Some(paths)
    }

    /// Collects the steps of a path made of `.`, `.k`, `.[e]`, `.[]`, `.[a:b]` and pipes of them.
    fn static_path(
        &mut self,
        term: &'t Term<&'s str>,
        env: &Env<'s, 't>,
        steps: &mut Vec<PathStep>,
        span: &Range<usize>,
    ) -> bool {
        match term {
            Term::Id => true,
            Term::BinOp(l, BinaryOp::Pipe(None), r) => {
                self.static_path(l, env, steps, span) && self.static_path(r, env, steps, span)
            }
            Term::Path(base, path) => {
                if !self.static_path(base, env, steps, span) {
                    return false;
                }
                for (part, opt) in &path.0 {
                    if let Opt::Optional = opt {
                        return false;
                    }
                    steps.push(match part {
                        Part::Index(k) => PathStep::Index(self.term(k, env, span.clone())),
                        Part::Range(None, None) => PathStep::Iterate,
                        Part::Range(a, b) => {
                            let null = || Expr::new(ExprKind::Lit(Lit::Null), span.clone());
                            let a = a
                                .as_ref()
                                .map_or_else(null, |t| self.term(t, env, span.clone()));
                            let b = b
                                .as_ref()
                                .map_or_else(null, |t| self.term(t, env, span.clone()));
                            PathStep::Slice(a, b)
                        }
                    });
                }
                true
            }
            _ => false,
        }
    }

    /// `source as PATTERN | body`, destructuring patterns into nested single-variable bindings.
    pub(super) fn bind_pattern(
        &mut self,
        source: Expr,
        pattern: &'t Pattern<&'s str>,
        env: &Env<'s, 't>,
        span: Range<usize>,
        body: impl FnOnce(&mut Self, &Env<'s, 't>) -> Expr,
    ) -> Expr {
        let var = self.fresh_var();
        match pattern {
            Pattern::Var(name) => {
                let env = env.with(Binding::Var(name, var));
                let body = body(self, &env);
                Expr::new(
                    ExprKind::Bind {
                        source: boxed(source),
                        var,
                        body: boxed(body),
                    },
                    span,
                )
            }
            _ => {
                // Bind the whole value to a hidden variable, then each part.
                let mut bindings = Vec::new();
                self.destructure(var, pattern, env, &span, &mut bindings);
                let mut inner_env = env.clone();
                for (name, id, _) in &bindings {
                    inner_env = inner_env.with(Binding::Var(name, *id));
                }
                let mut expr = body(self, &inner_env);
                for (_, id, value) in bindings.into_iter().rev() {
                    expr = Expr::new(
                        ExprKind::Bind {
                            source: boxed(value),
                            var: id,
                            body: boxed(expr),
                        },
                        span.clone(),
                    );
                }
                Expr::new(
                    ExprKind::Bind {
                        source: boxed(source),
                        var,
                        body: boxed(expr),
                    },
                    span,
                )
            }
        }
    }

    /// For `$whole` destructured by `pattern`: a list of `(name, var, value expression)`, where
    /// value expressions index `$whole`.
    fn destructure(
        &mut self,
        whole: VarId,
        pattern: &'t Pattern<&'s str>,
        env: &Env<'s, 't>,
        span: &Range<usize>,
        out: &mut Vec<(&'s str, VarId, Expr)>,
    ) {
        let index = |key: Expr| {
            Expr::new(
                ExprKind::Index {
                    base: Expr::boxed(ExprKind::Var(whole), span.clone()),
                    key: boxed(key),
                    opt: false,
                },
                span.clone(),
            )
        };
        let sub = |cx: &mut Self, value: Expr, p: &'t Pattern<&'s str>, out: &mut Vec<_>| match p {
            Pattern::Var(name) => {
                let id = cx.fresh_var();
                out.push((*name, id, value));
            }
            nested => {
                let id = cx.fresh_var();
                out.push(("", id, value));
                cx.destructure(id, nested, env, span, out);
            }
        };
        match pattern {
            Pattern::Var(_) => unreachable!("handled by bind_pattern"),
            Pattern::Arr(items) => {
                for (i, p) in items.iter().enumerate() {
                    let key = Expr::new(ExprKind::Lit(Lit::Num(i.to_string())), span.clone());
                    sub(self, index(key), p, out);
                }
            }
            Pattern::Obj(entries) => {
                for (key, p) in entries {
                    // The key filter may refer to variables bound earlier in the same pattern.
                    let mut key_env = env.clone();
                    for (name, id, _) in out.iter() {
                        if !name.is_empty() {
                            key_env = key_env.with(Binding::Var(name, *id));
                        }
                    }
                    let key = self.term(key, &key_env, span.clone());
                    sub(self, index(key), p, out);
                }
            }
        }
    }

    fn fold(
        &mut self,
        kind: &str,
        source: &'t Term<&'s str>,
        pattern: &'t Pattern<&'s str>,
        args: &'t [Term<&'s str>],
        env: &Env<'s, 't>,
        span: Range<usize>,
    ) -> Expr {
        let is_foreach = kind == "foreach";
        if !(args.len() == 2 || (is_foreach && args.len() == 3)) {
            return self.error(
                "E0101",
                span,
                format!(
                    "`{kind}` takes {} arguments",
                    if is_foreach { "2 or 3" } else { "2" }
                ),
            );
        }
        let source = self.term(source, env, span.clone());
        let init = self.term(&args[0], env, span.clone());
        // Bind the pattern's variables around update (and extract) via a hidden variable.
        let var = self.fresh_var();
        let mut bindings = Vec::new();
        let mut inner = env.clone();
        match pattern {
            Pattern::Var(name) => inner = inner.with(Binding::Var(name, var)),
            _ => {
                self.destructure(var, pattern, env, &span, &mut bindings);
                for (name, id, _) in &bindings {
                    inner = inner.with(Binding::Var(name, *id));
                }
            }
        }
        let wrap = |e: Expr, bindings: &[(&str, VarId, Expr)]| {
            bindings.iter().rev().fold(e, |acc, (_, id, value)| {
                Expr::new(
                    ExprKind::Bind {
                        source: boxed(value.clone()),
                        var: *id,
                        body: boxed(acc),
                    },
                    span.clone(),
                )
            })
        };
        let update = self.term(&args[1], &inner, span.clone());
        let update = wrap(update, &bindings);
        let extract = if args.len() == 3 {
            let e = self.term(&args[2], &inner, span.clone());
            Some(boxed(wrap(e, &bindings)))
        } else {
            None
        };
        Expr::new(
            ExprKind::Fold(Fold {
                source: boxed(source),
                var,
                init: boxed(init),
                update: boxed(update),
                extract,
                is_foreach,
            }),
            span,
        )
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
            Binding::Param(_, closure) => {
                let closure = closure.clone();
                self.term(closure.term, &closure.env, closure.span.clone())
            }
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
                    let source = self.term(closure.term, &closure.env, span.clone());
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
}

fn push_lit(out: &mut Vec<StrPart>, s: &str) {
    if let Some(StrPart::Lit(last)) = out.last_mut() {
        last.push_str(s);
    } else {
        out.push(StrPart::Lit(s.to_string()));
    }
}

fn math_op(m: &Math) -> MathOp {
    match m {
        Math::Add => MathOp::Add,
        Math::Sub => MathOp::Sub,
        Math::Mul => MathOp::Mul,
        Math::Div => MathOp::Div,
        Math::Rem => MathOp::Rem,
    }
}

fn cmp_op(c: &Cmp) -> CmpOp {
    match c {
        Cmp::Eq => CmpOp::Eq,
        Cmp::Ne => CmpOp::Ne,
        Cmp::Lt => CmpOp::Lt,
        Cmp::Le => CmpOp::Le,
        Cmp::Gt => CmpOp::Gt,
        Cmp::Ge => CmpOp::Ge,
    }
}

/// `a, b, …`; `None` for no items.
pub(super) fn comma_all(items: Vec<Expr>, span: &Range<usize>) -> Option<Expr> {
    items
        .into_iter()
        .reduce(|a, b| Expr::new(ExprKind::Comma(boxed(a), boxed(b)), span.clone()))
}

/// `[a, b, …]` of single-output items.
pub(super) fn literal_array(items: Vec<Expr>, span: &Range<usize>) -> Expr {
    Expr::new(
        ExprKind::Array(comma_all(items, span).map(boxed)),
        span.clone(),
    )
}
