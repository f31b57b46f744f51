//! Static analysis of a lowered jq expression against the source object's type: what type it
//! yields, which fields of the input it reads (so decoding can skip the rest, and enrichment
//! is fetched only when read), and which field accesses cannot exist.
//!
//! It is an abstract interpretation: each expression maps an abstract input (a type plus the
//! input paths the value may come from) to an abstract output. A value whose path reaches
//! anything but `.field`, `.[n]`, `.[]` or a truthiness test is *consumed whole*, which marks its
//! path as fully read. This is conservative: it may read more than needed, never less.

use crate::jq::ir::*;
use crate::jq::types::{Field, Kinds, Schemas, Ty};
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

/// One step of a path from the item's root.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    Field(String),
    Elem,
}

/// What of the input is read: the tree behind [`opsgenie_port_jq::Projection`] (crate `opsgenie-port-jq`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReadTree {
    pub all: bool,
    pub fields: BTreeMap<String, ReadTree>,
    pub elements: Option<Box<ReadTree>>,
}

impl ReadTree {
    pub fn everything() -> ReadTree {
        ReadTree {
            all: true,
            ..ReadTree::default()
        }
    }

    fn node(&mut self, path: &[Step]) -> &mut ReadTree {
        let mut cur = self;
        for step in path {
            if cur.all {
                break;
            }
            cur = match step {
                Step::Field(f) => cur.fields.entry(f.clone()).or_default(),
                Step::Elem => cur.elements.get_or_insert_with(Default::default),
            };
        }
        cur
    }

    /// Marks `path` as read whole.
    pub fn read_all(&mut self, path: &[Step]) {
        let node = self.node(path);
        *node = ReadTree::everything();
    }

    /// Marks `path` as present (its kind and truthiness are needed, not its contents).
    pub fn touch(&mut self, path: &[Step]) {
        self.node(path);
    }

    pub fn merge(&mut self, other: &ReadTree) {
        if self.all {
            return;
        }
        if other.all {
            *self = ReadTree::everything();
            return;
        }
        for (k, v) in &other.fields {
            self.fields.entry(k.clone()).or_default().merge(v);
        }
        if let Some(e) = &other.elements {
            self.elements.get_or_insert_with(Default::default).merge(e);
        }
    }

    /// Top-level field names read (all of them are "read" when the whole item is).
    pub fn top_fields(&self) -> Option<Vec<&str>> {
        (!self.all).then(|| self.fields.keys().map(String::as_str).collect())
    }
}

/// A field access that cannot succeed on the source type.
#[derive(Clone, Debug)]
pub struct FieldProblem {
    pub span: Range<usize>,
    pub name: String,
    /// `None`: the object has no such field (candidates for did-you-mean); `Some(kinds)`: the
    /// value is not an object but one of `kinds`.
    pub not_object: Option<Kinds>,
    pub candidates: Vec<String>,
}

/// The outcome of analysing one expression.
pub struct Analysis<'a> {
    pub ty: Ty<'a>,
    pub reads: ReadTree,
    pub problems: Vec<FieldProblem>,
    /// Paths the output comes from (for `itemsToParse`).
    pub output_paths: Vec<Vec<Step>>,
}

/// Abstract value: a type and the input paths it may be (part of).
#[derive(Clone, Debug)]
struct Abs<'a> {
    ty: Ty<'a>,
    paths: Vec<Vec<Step>>,
}

impl<'a> Abs<'a> {
    fn computed(ty: Ty<'a>) -> Abs<'a> {
        Abs {
            ty,
            paths: Vec::new(),
        }
    }

    fn union(mut self, other: Abs<'a>) -> Abs<'a> {
        self.ty = self.ty.union(other.ty);
        for p in other.paths {
            if !self.paths.contains(&p) {
                self.paths.push(p);
            }
        }
        self
    }
}

/// Analyses `expr` applied to the root of an item of type `input`. The output is treated as
/// consumed whole when `consume_output` is set (mapping fields are sent to Port).
pub fn analyze<'a>(
    expr: &Expr,
    input: Ty<'a>,
    schemas: &Schemas<'a>,
    consume_output: bool,
) -> Analysis<'a> {
    let mut a = Analyzer {
        schemas,
        reads: ReadTree::default(),
        problems: Vec::new(),
        env: HashMap::new(),
    };
    let root = Abs {
        ty: input,
        paths: vec![Vec::new()],
    };
    let out = a.expr(expr, &root);
    if consume_output {
        a.consume(&out);
    }
    Analysis {
        ty: out.ty,
        reads: a.reads,
        problems: a.problems,
        output_paths: out.paths,
    }
}

struct Analyzer<'s, 'a> {
    schemas: &'s Schemas<'a>,
    reads: ReadTree,
    problems: Vec<FieldProblem>,
    env: HashMap<VarId, Abs<'a>>,
}

/// Paths deeper than this are read whole (keeps the analysis finite on `..`-like patterns).
const MAX_DEPTH: usize = 12;

/// Input paths one abstract value tracks; past this they are read whole. Each `,` or `//`
/// unions the paths of its operands, and a pipe applies every step to each of them, so
/// `(.a, .b) | (.c, .d) | …` would otherwise double them at every step.
pub const MAX_PATHS: usize = 32;

/// Field problems recorded for one expression (each becomes a diagnostic).
pub const MAX_PROBLEMS: usize = 16;

impl<'a> Analyzer<'_, 'a> {
    fn consume(&mut self, v: &Abs<'a>) {
        for p in &v.paths {
            self.reads.read_all(p);
        }
    }

    /// `x ∪ y`, reading the paths whole when there are more than [`MAX_PATHS`].
    fn union(&mut self, x: Abs<'a>, y: Abs<'a>) -> Abs<'a> {
        let mut v = x.union(y);
        if v.paths.len() > MAX_PATHS {
            self.consume(&v);
            v.paths.clear();
        }
        v
    }

    fn problem(&mut self, p: FieldProblem) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(p);
        }
    }

    fn touch(&mut self, v: &Abs<'a>) {
        for p in &v.paths {
            self.reads.touch(p);
        }
    }

    fn kinds(k: Kinds) -> Abs<'a> {
        Abs::computed(Ty::of_kinds(k))
    }

    fn expr(&mut self, e: &Expr, input: &Abs<'a>) -> Abs<'a> {
        match &e.kind {
            ExprKind::Identity => input.clone(),
            ExprKind::Recurse => {
                self.consume(input);
                Abs::computed(Ty::Any)
            }
            ExprKind::Lit(l) => Self::kinds(match l {
                Lit::Null => Kinds::NULL,
                Lit::Bool(_) => Kinds::BOOL,
                Lit::Num(_) => Kinds::NUMBER,
                Lit::Str(_) => Kinds::STRING,
            }),
            ExprKind::Str(_, parts) => {
                for p in parts {
                    if let StrPart::Interp(x) = p {
                        let v = self.expr(x, input);
                        self.consume(&v);
                    }
                }
                Self::kinds(Kinds::STRING)
            }
            ExprKind::Array(None) => Abs::computed(Ty::array_of(Ty::never())),
            ExprKind::Array(Some(f)) => {
                let v = self.expr(f, input);
                self.consume(&v);
                Abs::computed(Ty::array_of(v.ty))
            }
            ExprKind::Object(entries) => {
                for (k, v) in entries {
                    let k = self.expr(k, input);
                    self.consume(&k);
                    let v = self.expr(v, input);
                    self.consume(&v);
                }
                Self::kinds(Kinds::OBJECT)
            }
            ExprKind::Neg(a) => {
                let v = self.expr(a, input);
                self.consume(&v);
                Self::kinds(Kinds::NUMBER)
            }
            ExprKind::Pipe(a, b) => {
                let v = self.expr(a, input);
                self.expr(b, &v)
            }
            ExprKind::Bind { source, var, body } => {
                let v = self.expr(source, input);
                self.env.insert(*var, v);
                self.expr(body, input)
            }
            ExprKind::Comma(a, b) => {
                let x = self.expr(a, input);
                let y = self.expr(b, input);
                self.union(x, y)
            }
            ExprKind::Alt(a, b) => {
                let x = self.expr(a, input);
                let y = self.expr(b, input);
                let x = Abs {
                    ty: x.ty.without_null(),
                    paths: x.paths,
                };
                self.union(x, y)
            }
            ExprKind::And(a, b) | ExprKind::Or(a, b) => {
                let x = self.expr(a, input);
                self.touch(&x);
                let y = self.expr(b, input);
                self.touch(&y);
                Self::kinds(Kinds::BOOL)
            }
            ExprKind::Math(op, a, b) => {
                let x = self.expr(a, input);
                let y = self.expr(b, input);
                self.consume(&x);
                self.consume(&y);
                Abs::computed(math_type(*op, &x.ty, &y.ty))
            }
            ExprKind::Cmp(_, a, b) => {
                let x = self.expr(a, input);
                let y = self.expr(b, input);
                self.consume(&x);
                self.consume(&y);
                Self::kinds(Kinds::BOOL)
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                let c = self.expr(cond, input);
                self.touch(&c);
                let x = self.expr(then, input);
                let y = self.expr(otherwise, input);
                self.union(x, y)
            }
            ExprKind::Try { body, handler } => {
                let x = self.expr(body, input);
                match handler {
                    Some(h) => {
                        let y = self.expr(h, &Abs::computed(Ty::Any));
                        self.union(x, y)
                    }
                    None => x,
                }
            }
            ExprKind::Fold(fold) => {
                let init = self.expr(&fold.init, input);
                self.consume(&init);
                let source = self.expr(&fold.source, input);
                self.env.insert(fold.var, source);
                let state = Abs::computed(Ty::Any);
                let u = self.expr(&fold.update, &state);
                self.consume(&u);
                if let Some(x) = &fold.extract {
                    let out = self.expr(x, &state);
                    self.consume(&out);
                }
                Abs::computed(Ty::Any)
            }
            ExprKind::Label(_, body) => self.expr(body, input),
            ExprKind::Break(_) | ExprKind::Empty => Abs::computed(Ty::never()),
            ExprKind::Index { base, key, .. } => self.index(e, base, key, input),
            ExprKind::Slice { base, from, to, .. } => {
                let f = self.expr(from, input);
                self.consume(&f);
                let t = self.expr(to, input);
                self.consume(&t);
                let b = self.expr(base, input);
                self.consume(&b);
                let kinds =
                    b.ty.kinds()
                        .map(|k| Kinds(k.0 & (Kinds::ARRAY.0 | Kinds::STRING.0 | Kinds::NULL.0)));
                Abs::computed(kinds.map_or(Ty::Any, Ty::of_kinds))
            }
            ExprKind::Iterate(base, _) => {
                let b = self.expr(base, input);
                let ty = b.ty.element();
                Abs {
                    ty,
                    paths: self.extend(&b.paths, Step::Elem),
                }
            }
            ExprKind::Var(v) => self
                .env
                .get(v)
                .cloned()
                .unwrap_or_else(|| Abs::computed(Ty::Any)),
            ExprKind::Call(b, args) => {
                let native = b.native();
                if native.reads_input {
                    self.consume(input);
                }
                for a in args {
                    let v = self.expr(a, input);
                    self.consume(&v);
                }
                Abs::computed(native.yields.map_or(Ty::Any, Ty::of_kinds))
            }
            ExprKind::Format(_) => {
                self.consume(input);
                Self::kinds(Kinds::STRING)
            }
            ExprKind::Walk(f) => {
                // `f` sees every value of the input, rebuilt: nothing is known of it.
                self.consume(input);
                let any = Abs::computed(Ty::Any);
                let out = self.expr(f, &any);
                self.consume(&out);
                Abs::computed(Ty::Any)
            }
            ExprKind::Keyed(op, f) => {
                self.consume(input);
                let elem = Abs::computed(input.ty.element());
                let k = self.expr(f, &elem);
                self.consume(&k);
                match op {
                    KeyedOp::SortBy | KeyedOp::UniqueBy => {
                        Abs::computed(Ty::array_of(input.ty.element()))
                    }
                    KeyedOp::GroupBy => {
                        Abs::computed(Ty::array_of(Ty::array_of(input.ty.element())))
                    }
                    KeyedOp::MinBy | KeyedOp::MaxBy => {
                        Abs::computed(input.ty.element().union(Ty::null()))
                    }
                }
            }
            ExprKind::Regex {
                op,
                pattern,
                flags,
                replacement,
            } => {
                self.consume(input);
                let p = self.expr(pattern, input);
                self.consume(&p);
                let f = self.expr(flags, input);
                self.consume(&f);
                if let Some(r) = replacement {
                    let out = self.expr(r, &Self::kinds(Kinds::OBJECT));
                    self.consume(&out);
                }
                Self::kinds(match op {
                    RegexOp::Test => Kinds::BOOL,
                    RegexOp::Match | RegexOp::Capture => Kinds::OBJECT,
                    RegexOp::Scan => Kinds::STRING.union(Kinds::ARRAY),
                    RegexOp::Splits | RegexOp::Sub | RegexOp::Gsub => Kinds::STRING,
                    RegexOp::Split => Kinds::ARRAY,
                })
            }
            ExprKind::First(f) => self.expr(f, input),
            ExprKind::Limit(n, f) => {
                let n = self.expr(n, input);
                self.consume(&n);
                self.expr(f, input)
            }
            ExprKind::IsEmpty(f) => {
                let v = self.expr(f, input);
                self.touch(&v);
                Self::kinds(Kinds::BOOL)
            }
            ExprKind::AnyAll {
                generator, cond, ..
            } => {
                let g = self.expr(generator, input);
                let c = self.expr(cond, &g);
                self.touch(&c);
                Self::kinds(Kinds::BOOL)
            }
            ExprKind::Range(a, b, c) => {
                for x in [a, b, c] {
                    let v = self.expr(x, input);
                    self.consume(&v);
                }
                Self::kinds(Kinds::NUMBER)
            }
            ExprKind::Update { path, rhs, .. } => {
                self.consume(input);
                for step in path {
                    match step {
                        PathStep::Index(k) => {
                            let v = self.expr(k, input);
                            self.consume(&v);
                        }
                        PathStep::Slice(a, b) => {
                            for x in [a, b] {
                                let v = self.expr(x, input);
                                self.consume(&v);
                            }
                        }
                        PathStep::Iterate => {}
                    }
                }
                let r = self.expr(rhs, &Abs::computed(Ty::Any));
                self.consume(&r);
                Abs::computed(Ty::Any)
            }
        }
    }

    fn extend(&mut self, paths: &[Vec<Step>], step: Step) -> Vec<Vec<Step>> {
        let mut out = Vec::new();
        for p in paths {
            if p.len() >= MAX_DEPTH {
                self.reads.read_all(p);
                continue;
            }
            let mut q = p.clone();
            q.push(step.clone());
            out.push(q);
        }
        out
    }

    fn index(&mut self, e: &Expr, base: &Expr, key: &Expr, input: &Abs<'a>) -> Abs<'a> {
        match &key.kind {
            ExprKind::Lit(Lit::Str(name)) => {
                let b = self.expr(base, input);
                let ty = match b.ty.field(self.schemas, name) {
                    Field::Found(t) => t,
                    Field::Missing(candidates) => {
                        self.problem(FieldProblem {
                            span: e.span.clone(),
                            name: name.clone(),
                            not_object: None,
                            candidates,
                        });
                        Ty::null()
                    }
                    Field::NotObject(kinds) => {
                        self.problem(FieldProblem {
                            span: e.span.clone(),
                            name: name.clone(),
                            not_object: Some(kinds),
                            candidates: Vec::new(),
                        });
                        Ty::Any
                    }
                };
                let paths = self.extend(&b.paths, Step::Field(name.clone()));
                Abs { ty, paths }
            }
            ExprKind::Lit(Lit::Num(_)) => {
                let b = self.expr(base, input);
                // `.[n]` on an array is an element; on anything else a runtime error or null.
                let ty = b.ty.element().union(Ty::null());
                let paths = self.extend(&b.paths, Step::Elem);
                Abs { ty, paths }
            }
            _ => {
                let k = self.expr(key, input);
                self.consume(&k);
                let b = self.expr(base, input);
                self.consume(&b);
                Abs::computed(Ty::Any)
            }
        }
    }
}

fn math_type<'a>(op: MathOp, a: &Ty<'a>, b: &Ty<'a>) -> Ty<'a> {
    let (Some(x), Some(y)) = (a.kinds(), b.kinds()) else {
        return Ty::Any;
    };
    let only = |k: Kinds, of: Kinds| {
        !k.is_empty() && k.minus(of).minus(Kinds::NULL).is_empty() && k.has(of)
    };
    match op {
        MathOp::Add if only(x, Kinds::STRING) || only(y, Kinds::STRING) => {
            Ty::of_kinds(Kinds::STRING)
        }
        MathOp::Add if only(x, Kinds::ARRAY) && only(y, Kinds::ARRAY) => Ty::of_kinds(Kinds::ARRAY),
        MathOp::Add if only(x, Kinds::OBJECT) && only(y, Kinds::OBJECT) => {
            Ty::of_kinds(Kinds::OBJECT)
        }
        _ if only(x, Kinds::NUMBER) && only(y, Kinds::NUMBER) => Ty::of_kinds(Kinds::NUMBER),
        _ => Ty::Any,
    }
}
