//! IR → [`Node`] tree, once per program: what codegen decides while generating (literal keys
//! become field lookups, constant regexes are compiled, number literals built, `break`s checked
//! against their labels) is decided here, so evaluation only looks things up.
//!
//! Written by hand because it mirrors codegen's decisions one by one (the comments name the
//! codegen branch where it matters). Each `VarId` gets a slot, numbered densely (ids are unique
//! per program, so one slot per id is enough); labels, and the early exits of `first`, `limit`,
//! `isempty` and `any`/`all`, get jump numbers (0 is the caller's, [`super::HALT`]).

use super::break_out_of_closure;
use crate::jq::builtins::Imp;
use crate::jq::ir::*;
use opsgenie_port_jq::{self as rt, Error, Number, PathKey, Regex, Value, R};
use std::collections::HashMap;

pub(super) type MathFn = fn(&Value, &Value) -> R<Value>;
pub(super) type CmpFn = fn(&Value, &Value) -> R<bool>;
pub(super) type KeyedFn = fn(&Value, Vec<Value>) -> R<Value>;

pub(super) struct Node {
    pub kind: Kind,
    /// Exactly one output, or a jump: [`Node::one`] evaluates it without a continuation.
    pub single: bool,
}

pub(super) enum Kind {
    Identity,
    Recurse,
    Const(Value),
    /// A string with at least one interpolation.
    Str(Option<Format>, Vec<Part>),
    Array(Option<Box<Node>>),
    Object(Vec<(Node, Node)>),
    Neg(Box<Node>),
    Pipe(Box<Node>, Box<Node>),
    Bind(Box<Node>, usize, Box<Node>),
    Comma(Box<Node>, Box<Node>),
    Alt(Box<Node>, Box<Node>),
    /// `and` (true) / `or` (false).
    Logic(bool, Box<Node>, Box<Node>),
    Math(MathFn, Box<Node>, Box<Node>),
    Cmp(CmpFn, Box<Node>, Box<Node>),
    If(Box<Node>, Box<Node>, Box<Node>),
    Try(Box<Node>, Option<Box<Node>>),
    Fold(Box<FoldNode>),
    /// `label`: catches jumps to its number.
    Label(u32, Box<Node>),
    Break(u32),
    /// `base.key` (`None`: the input), codegen's `index_field`.
    Field(Option<Box<Node>>, Box<str>, bool),
    /// `base[literal]` for non-string literals.
    IndexLit(Option<Box<Node>>, Value, bool),
    /// `base[key]`: base, key, opt.
    Index(Box<Node>, Box<Node>, bool),
    Slice(Box<SliceNode>),
    Iterate(Box<Node>, bool),
    Var(usize),
    Empty,
    Call(Imp, Vec<Node>),
    Format(&'static str),
    Keyed(KeyedFn, Box<Node>),
    Walk(Box<Node>),
    Regex(Box<RegexNode>),
    First(u32, Box<Node>),
    Limit(u32, Box<Node>, Box<Node>),
    IsEmpty(u32, Box<Node>),
    AnyAll(Box<AnyAllNode>),
    Range(Box<Node>, Box<Node>, Box<Node>),
    Update(Box<UpdateNode>),
    /// Raises this error when reached (unsupported constructs, unresolvable `break`s).
    Fail(Error),
}

pub(super) enum Part {
    Lit(String),
    Interp(Node),
}

pub(super) struct FoldNode {
    pub source: Node,
    pub var: usize,
    pub init: Node,
    pub update: Node,
    pub extract: Option<Node>,
    pub is_foreach: bool,
}

pub(super) struct SliceNode {
    pub base: Node,
    pub from: Node,
    pub to: Node,
    pub opt: bool,
}

pub(super) struct AnyAllNode {
    pub id: u32,
    pub all: bool,
    pub generator: Node,
    pub cond: Node,
}

pub(super) struct RegexNode {
    pub op: RegexOp,
    pub source: RegexSource,
    /// `scan`, `splits`, `split/2`, `gsub` are global whatever their flags.
    pub global_by_op: bool,
    /// `sub`/`gsub`'s replacement filter.
    pub replacement: Option<Node>,
}

pub(super) enum RegexSource {
    /// Literal pattern and flags, compiled once (codegen's regex static), with its `g`.
    Const(R<Regex>, bool),
    /// Computed pattern (outer loop) and flags: `regex_dynamic` per pair.
    Dynamic(Node, Node),
}

pub(super) struct UpdateNode {
    pub steps: Steps,
    pub rhs: Node,
    pub mode: UpdateMode,
}

pub(super) enum Steps {
    /// Every step literal: the path keys are built once.
    Const(Vec<PathKey>),
    /// Some key is computed on the input first.
    Dynamic(Vec<Step>),
}

pub(super) enum Step {
    Iterate,
    Index(Node),
    Slice(Node, Node),
}

impl Node {
    fn new(kind: Kind) -> Node {
        let single = is_single(&kind);
        Node { kind, single }
    }
}

/// Whether a node has exactly one output or raises/jumps, so [`Node::one`] can evaluate it.
fn is_single(kind: &Kind) -> bool {
    let opt_single = |n: &Option<Box<Node>>| n.as_ref().is_none_or(|n| n.single);
    match kind {
        Kind::Identity
        | Kind::Const(_)
        | Kind::Var(_)
        | Kind::Format(_)
        | Kind::Array(_)
        | Kind::Keyed(..)
        | Kind::Break(_)
        | Kind::Fail(_)
        | Kind::IsEmpty(..)
        | Kind::AnyAll(_) => true,
        Kind::Str(_, parts) => parts.iter().all(|p| match p {
            Part::Lit(_) => true,
            Part::Interp(n) => n.single,
        }),
        Kind::Object(entries) => entries.iter().all(|(k, v)| k.single && v.single),
        Kind::Neg(a) | Kind::First(_, a) => a.single,
        // `a // b` with one output each: `a` if truthy, else `b`.
        Kind::Pipe(a, b)
        | Kind::Alt(a, b)
        | Kind::Logic(_, a, b)
        | Kind::Math(_, a, b)
        | Kind::Cmp(_, a, b)
        | Kind::Bind(a, _, b) => a.single && b.single,
        Kind::If(c, t, o) => c.single && t.single && o.single,
        // `try a catch b`: `a`'s output or `b`'s; without a handler an error gives nothing.
        Kind::Try(body, handler) => body.single && handler.as_ref().is_some_and(|h| h.single),
        Kind::Field(base, _, opt) | Kind::IndexLit(base, _, opt) => !opt && opt_single(base),
        Kind::Index(base, key, opt) => !opt && base.single && key.single,
        Kind::Slice(s) => !s.opt && s.base.single && s.from.single && s.to.single,
        Kind::Call(_, args) => args.iter().all(|a| a.single),
        Kind::Regex(r) => {
            matches!(r.op, RegexOp::Test | RegexOp::Split)
                && match &r.source {
                    RegexSource::Const(..) => true,
                    RegexSource::Dynamic(p, f) => p.single && f.single,
                }
        }
        Kind::Fold(f) => !f.is_foreach && f.init.single,
        Kind::Update(u) => u.mode == UpdateMode::Modify || u.rhs.single,
        Kind::Recurse
        | Kind::Comma(..)
        | Kind::Label(..)
        | Kind::Iterate(..)
        | Kind::Empty
        | Kind::Walk(_)
        | Kind::Limit(..)
        | Kind::Range(..) => false,
    }
}

pub(super) struct Prepared {
    pub root: Node,
    pub slots: usize,
    pub rejected: Option<Error>,
}

pub(super) fn prepare(expr: &Expr) -> Prepared {
    let mut p = Prep {
        slots: HashMap::new(),
        next_jump: super::HALT + 1,
        labels: Vec::new(),
        closure_depth: 0,
        rejected: None,
    };
    let root = p.node(expr);
    Prepared {
        root,
        slots: p.slots.len(),
        rejected: p.rejected,
    }
}

struct Prep {
    /// Slot of each variable, numbered densely (ids count every variable lowering created).
    slots: HashMap<VarId, usize>,
    next_jump: u32,
    /// Labels in scope: IR label, its jump number, the closure depth it was declared at.
    labels: Vec<(LabelId, u32, u32)>,
    /// How many closures (codegen's `try` bodies, `walk` filters, `sub` replacements, `|=`
    /// right-hand sides) enclose the node being prepared: `break` cannot leave them.
    closure_depth: u32,
    rejected: Option<Error>,
}

impl Prep {
    fn jump(&mut self) -> u32 {
        let id = self.next_jump;
        self.next_jump += 1;
        id
    }

    fn var(&mut self, v: VarId) -> usize {
        let next = self.slots.len();
        *self.slots.entry(v).or_insert(next)
    }

    fn reject(&mut self, e: Error) -> Kind {
        self.rejected.get_or_insert_with(|| e.clone());
        Kind::Fail(e)
    }

    fn boxed(&mut self, e: &Expr) -> Box<Node> {
        Box::new(self.node(e))
    }

    fn in_closure(&mut self, e: &Expr) -> Node {
        self.closure_depth += 1;
        let n = self.node(e);
        self.closure_depth -= 1;
        n
    }

    /// `.` as a base is the input itself: no node, no clone (codegen's literal-key fast path).
    fn base(&mut self, e: &Expr) -> Option<Box<Node>> {
        match e.kind {
            ExprKind::Identity => None,
            _ => Some(self.boxed(e)),
        }
    }

    fn node(&mut self, e: &Expr) -> Node {
        Node::new(self.kind(e))
    }

    fn kind(&mut self, e: &Expr) -> Kind {
        match &e.kind {
            ExprKind::Identity => Kind::Identity,
            ExprKind::Recurse => Kind::Recurse,
            ExprKind::Lit(lit) => match lit_value(lit) {
                Ok(v) => Kind::Const(v),
                Err(e) => Kind::Fail(e),
            },
            ExprKind::Str(fmt, parts) => self.string(*fmt, parts),
            ExprKind::Array(f) => Kind::Array(f.as_ref().map(|f| self.boxed(f))),
            ExprKind::Object(entries) => Kind::Object(
                entries
                    .iter()
                    .map(|(k, v)| (self.node(k), self.node(v)))
                    .collect(),
            ),
            ExprKind::Neg(a) => Kind::Neg(self.boxed(a)),
            ExprKind::Pipe(a, b) => Kind::Pipe(self.boxed(a), self.boxed(b)),
            ExprKind::Bind { source, var, body } => {
                let source = self.boxed(source);
                let slot = self.var(*var);
                Kind::Bind(source, slot, self.boxed(body))
            }
            ExprKind::Comma(a, b) => Kind::Comma(self.boxed(a), self.boxed(b)),
            ExprKind::Alt(a, b) => Kind::Alt(self.boxed(a), self.boxed(b)),
            ExprKind::And(a, b) => Kind::Logic(true, self.boxed(a), self.boxed(b)),
            ExprKind::Or(a, b) => Kind::Logic(false, self.boxed(a), self.boxed(b)),
            ExprKind::Math(op, a, b) => Kind::Math(math_fn(*op), self.boxed(a), self.boxed(b)),
            ExprKind::Cmp(op, a, b) => {
                let f: CmpFn = match op {
                    CmpOp::Eq => rt::eq,
                    CmpOp::Ne => rt::ne,
                    CmpOp::Lt => rt::lt,
                    CmpOp::Le => rt::le,
                    CmpOp::Gt => rt::gt,
                    CmpOp::Ge => rt::ge,
                };
                Kind::Cmp(f, self.boxed(a), self.boxed(b))
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => Kind::If(self.boxed(cond), self.boxed(then), self.boxed(otherwise)),
            ExprKind::Try { body, handler } => {
                let body = Box::new(self.in_closure(body));
                Kind::Try(body, handler.as_ref().map(|h| self.boxed(h)))
            }
            ExprKind::Fold(fold) => {
                let init = self.node(&fold.init);
                let source = self.node(&fold.source);
                let var = self.var(fold.var);
                Kind::Fold(Box::new(FoldNode {
                    source,
                    var,
                    init,
                    update: self.node(&fold.update),
                    extract: fold.extract.as_ref().map(|x| self.node(x)),
                    is_foreach: fold.is_foreach,
                }))
            }
            ExprKind::Label(label, body) => {
                let id = self.jump();
                self.labels.push((*label, id, self.closure_depth));
                let body = self.boxed(body);
                self.labels.pop();
                Kind::Label(id, body)
            }
            ExprKind::Break(label) => match self.labels.iter().rev().find(|(l, _, _)| l == label) {
                None => self.reject(Error::msg("`break` without a label in scope")),
                Some(&(_, _, depth)) if depth != self.closure_depth => {
                    self.reject(break_out_of_closure())
                }
                Some(&(_, id, _)) => Kind::Break(id),
            },
            ExprKind::Index { base, key, opt } => match &key.kind {
                ExprKind::Lit(Lit::Str(s)) => Kind::Field(self.base(base), s.as_str().into(), *opt),
                ExprKind::Lit(lit) => match lit_value(lit) {
                    Ok(v) => Kind::IndexLit(self.base(base), v, *opt),
                    Err(e) => Kind::Fail(e),
                },
                _ => Kind::Index(self.boxed(base), self.boxed(key), *opt),
            },
            ExprKind::Slice {
                base,
                from,
                to,
                opt,
            } => Kind::Slice(Box::new(SliceNode {
                base: self.node(base),
                from: self.node(from),
                to: self.node(to),
                opt: *opt,
            })),
            ExprKind::Iterate(base, opt) => Kind::Iterate(self.boxed(base), *opt),
            ExprKind::Var(v) => Kind::Var(self.var(*v)),
            ExprKind::Empty => Kind::Empty,
            ExprKind::Call(b, args) => {
                let imp = b.native().imp;
                if args.len() != imp.arity() {
                    return self.reject(Error::msg(format!(
                        "{}/{} called with {} arguments",
                        b.native().name,
                        imp.arity(),
                        args.len()
                    )));
                }
                Kind::Call(imp, args.iter().map(|a| self.node(a)).collect())
            }
            ExprKind::Format(f) => Kind::Format(f.name()),
            ExprKind::Keyed(op, f) => {
                let func: KeyedFn = match op {
                    KeyedOp::SortBy => rt::sort_by_keys,
                    KeyedOp::GroupBy => rt::group_by_keys,
                    KeyedOp::UniqueBy => rt::unique_by_keys,
                    KeyedOp::MinBy => rt::min_by_keys,
                    KeyedOp::MaxBy => rt::max_by_keys,
                };
                Kind::Keyed(func, self.boxed(f))
            }
            ExprKind::Walk(f) => Kind::Walk(Box::new(self.in_closure(f))),
            ExprKind::Regex {
                op,
                pattern,
                flags,
                replacement,
            } => self.regex(*op, pattern, flags, replacement.as_deref()),
            ExprKind::First(f) => {
                let id = self.jump();
                Kind::First(id, self.boxed(f))
            }
            ExprKind::Limit(n, f) => {
                let id = self.jump();
                Kind::Limit(id, self.boxed(n), self.boxed(f))
            }
            ExprKind::IsEmpty(f) => {
                let id = self.jump();
                Kind::IsEmpty(id, self.boxed(f))
            }
            ExprKind::AnyAll {
                all,
                generator,
                cond,
            } => {
                let id = self.jump();
                Kind::AnyAll(Box::new(AnyAllNode {
                    id,
                    all: *all,
                    generator: self.node(generator),
                    cond: self.node(cond),
                }))
            }
            ExprKind::Range(from, upto, by) => {
                Kind::Range(self.boxed(from), self.boxed(upto), self.boxed(by))
            }
            ExprKind::Update { path, rhs, mode } => self.update(path, rhs, *mode),
        }
    }

    fn string(&mut self, fmt: Option<Format>, parts: &[StrPart]) -> Kind {
        if parts.iter().all(|p| matches!(p, StrPart::Lit(_))) {
            // No interpolation: the format never applies, the text is a constant.
            let text: String = parts
                .iter()
                .map(|p| match p {
                    StrPart::Lit(s) => s.as_str(),
                    StrPart::Interp(_) => "",
                })
                .collect();
            return Kind::Const(Value::from(text));
        }
        let parts = parts
            .iter()
            .map(|p| match p {
                StrPart::Lit(s) => Part::Lit(s.clone()),
                StrPart::Interp(e) => Part::Interp(self.node(e)),
            })
            .collect();
        Kind::Str(fmt, parts)
    }

    fn regex(
        &mut self,
        op: RegexOp,
        pattern: &Expr,
        flags: &Expr,
        replacement: Option<&Expr>,
    ) -> Kind {
        let global_by_op = matches!(
            op,
            RegexOp::Gsub | RegexOp::Scan | RegexOp::Splits | RegexOp::Split
        );
        let is_sub = matches!(op, RegexOp::Sub | RegexOp::Gsub);
        let replacement = match (is_sub, replacement) {
            (true, Some(r)) => Some(self.in_closure(r)),
            (true, None) => return Kind::Fail(Error::msg("sub without a replacement")),
            (false, _) => None,
        };
        // Codegen's constant case: string pattern, string or null flags; `gsub` adds `g`.
        let constant = match (&pattern.kind, &flags.kind) {
            (ExprKind::Lit(Lit::Str(p)), ExprKind::Lit(Lit::Str(f))) => Some((p, f.clone())),
            (ExprKind::Lit(Lit::Str(p)), ExprKind::Lit(Lit::Null)) => Some((p, String::new())),
            _ => None,
        };
        let source = match constant {
            Some((p, mut f)) => {
                if op == RegexOp::Gsub && !f.contains('g') {
                    f.push('g');
                }
                let global = global_by_op || f.contains('g');
                RegexSource::Const(Regex::new(p, &f), global)
            }
            None => RegexSource::Dynamic(self.node(pattern), self.node(flags)),
        };
        Kind::Regex(Box::new(RegexNode {
            op,
            source,
            global_by_op,
            replacement,
        }))
    }

    fn update(&mut self, path: &[PathStep], rhs: &Expr, mode: UpdateMode) -> Kind {
        let literal = |e: &Expr| match &e.kind {
            ExprKind::Lit(l) => lit_value(l).ok(),
            _ => None,
        };
        let constant: Option<Vec<PathKey>> = path
            .iter()
            .map(|step| match step {
                PathStep::Iterate => Some(PathKey::Iterate),
                PathStep::Index(e) => literal(e).map(|k| PathKey::Keys(vec![k])),
                PathStep::Slice(a, b) => Some(PathKey::Slice(literal(a)?, literal(b)?)),
            })
            .collect();
        let steps = match constant {
            Some(keys) => Steps::Const(keys),
            None => Steps::Dynamic(
                path.iter()
                    .map(|step| match step {
                        PathStep::Iterate => Step::Iterate,
                        PathStep::Index(e) => Step::Index(self.node(e)),
                        PathStep::Slice(a, b) => Step::Slice(self.node(a), self.node(b)),
                    })
                    .collect(),
            ),
        };
        let rhs = match mode {
            UpdateMode::Modify => self.in_closure(rhs),
            _ => self.node(rhs),
        };
        Kind::Update(Box::new(UpdateNode { steps, rhs, mode }))
    }
}

pub(super) fn math_fn(op: MathOp) -> MathFn {
    match op {
        MathOp::Add => rt::add,
        MathOp::Sub => rt::sub,
        MathOp::Mul => rt::mul,
        MathOp::Div => rt::div,
        MathOp::Rem => rt::rem,
    }
}

/// A literal's value as codegen's `lit` builds it: plain small integers computed, other
/// numbers keeping their text.
fn lit_value(lit: &Lit) -> R<Value> {
    Ok(match lit {
        Lit::Null => Value::Null,
        Lit::Bool(b) => Value::Bool(*b),
        Lit::Num(text) => match lit.plain_int() {
            Some(n) => Value::number(n),
            None => match Number::from_literal(text) {
                Some(n) => Value::Number(n),
                None => return Err(Error::msg(format!("not a number literal: {text:?}"))),
            },
        },
        Lit::Str(s) => Value::from(s.as_str()),
    })
}
