//! Continuation-passing evaluation: [`Node::run`] calls `k` on every output of a node, in
//! codegen's order. Each branch names the loop nesting codegen generates (see
//! `backend/codegen/{mod,parts}.rs`): binary operators loop over the right operand outside the
//! left; object entries, string interpolations and call arguments nest through [`nest`].
//!
//! Written by hand because this *is* the semantics: an output order or error that differs from
//! the generated code is a bug here. Nodes with exactly one output go through
//! [`Node::one`](super::single) instead, so continuations only appear where a node can yield
//! zero or several values.

use super::prepare::{CmpFn, Kind, Node, Part, SliceNode};
use super::{Cont, Env, Flow, Jump};
use crate::jq::builtins::Imp;
use crate::jq::ir::Format;
use opsgenie_port_jq::{self as rt, Map, Value, R};

/// A continuation for the combinations [`nest`] produces.
pub(super) type Done<'a> = dyn FnMut(&mut Env, &[Value]) -> Flow + 'a;

impl Node {
    /// Runs `k` on every output. A thin dispatcher: each kind has its own function, so the
    /// frame that recursion repeats stays small (debug builds do not share stack slots between
    /// match arms).
    pub(super) fn run(&self, input: &Value, env: &mut Env, k: &mut Cont<'_>) -> Flow {
        if self.single {
            let v = self.one(input, env)?;
            return k(env, v);
        }
        match &self.kind {
            Kind::Recurse => recurse(input, env, k),
            Kind::Str(fmt, parts) => string(*fmt, parts, input, env, k),
            Kind::Object(entries) => object(entries, input, env, k),
            Kind::Neg(a) => neg(a, input, env, k),
            Kind::Pipe(a, b) => pipe(a, b, input, env, k),
            Kind::Bind(source, slot, body) => bind(source, *slot, body, input, env, k),
            Kind::Comma(a, b) => comma(a, b, input, env, k),
            Kind::Alt(a, b) => alt(a, b, input, env, k),
            Kind::Logic(is_and, a, b) => logic(*is_and, a, b, input, env, k),
            Kind::Math(f, a, b) => binary(a, b, input, env, k, f),
            Kind::Cmp(f, a, b) => compare(*f, a, b, input, env, k),
            Kind::If(cond, then, otherwise) => if_(cond, then, otherwise, input, env, k),
            Kind::Try(body, handler) => {
                super::control::try_(body, handler.as_deref(), input, env, k)
            }
            Kind::Fold(fold) => super::control::fold(fold, input, env, k),
            Kind::Label(id, body) => label(*id, body, input, env, k),
            Kind::Field(base, key, opt) => field(base.as_deref(), key, *opt, input, env, k),
            Kind::IndexLit(base, key, opt) => index_lit(base.as_deref(), key, *opt, input, env, k),
            Kind::Index(base, key, opt) => index(base, key, *opt, input, env, k),
            Kind::Slice(s) => slice(s, input, env, k),
            Kind::Iterate(base, opt) => iterate(base, *opt, input, env, k),
            Kind::Empty => Ok(()),
            Kind::Call(imp, args) => call(*imp, args, input, env, k),
            Kind::Walk(f) => super::control::walk(f, input, env, k),
            Kind::Regex(r) => super::control::regex(r, input, env, k),
            Kind::First(id, f) => first(*id, f, input, env, k),
            Kind::Limit(id, n, f) => super::control::limit(*id, n, f, input, env, k),
            Kind::Range(from, upto, by) => range(from, upto, by, input, env, k),
            Kind::Update(u) => super::control::update(u, input, env, k),
            // Always single: handled above.
            Kind::Identity
            | Kind::Const(_)
            | Kind::Array(_)
            | Kind::Var(_)
            | Kind::Format(_)
            | Kind::Keyed(..)
            | Kind::Break(_)
            | Kind::IsEmpty(..)
            | Kind::AnyAll(_)
            | Kind::Fail(_) => single(self, input, env, k),
        }
    }

    /// Every output, in order (`[f]`, and what codegen pushes into a `Vec`).
    pub(super) fn collect(&self, input: &Value, env: &mut Env) -> Result<Vec<Value>, Jump> {
        let mut out = Vec::new();
        if self.single {
            out.push(self.one(input, env)?);
        } else {
            self.run(input, env, &mut |_, v| {
                out.push(v);
                Ok(())
            })?;
        }
        Ok(out)
    }
}

/// Ends a labelled region: a jump to `id` stops its outputs, anything else passes on.
pub(super) fn catch(id: u32, flow: Flow) -> Flow {
    match flow {
        Err(Jump::Break(j)) if j == id => Ok(()),
        other => other,
    }
}

fn single(node: &Node, input: &Value, env: &mut Env, k: &mut Cont<'_>) -> Flow {
    let v = node.one(input, env)?;
    k(env, v)
}

fn recurse(input: &Value, env: &mut Env, k: &mut Cont<'_>) -> Flow {
    for v in rt::recurse_values(input) {
        k(env, v)?;
    }
    Ok(())
}

fn neg(a: &Node, input: &Value, env: &mut Env, k: &mut Cont<'_>) -> Flow {
    a.run(input, env, &mut |env, v| {
        let v = rt::neg(&v)?;
        k(env, v)
    })
}

fn pipe(a: &Node, b: &Node, input: &Value, env: &mut Env, k: &mut Cont<'_>) -> Flow {
    a.run(input, env, &mut |env, v| b.run(&v, env, k))
}

fn bind(
    source: &Node,
    slot: usize,
    body: &Node,
    input: &Value,
    env: &mut Env,
    k: &mut Cont<'_>,
) -> Flow {
    source.run(input, env, &mut |env, v| {
        env.slots[slot] = v;
        body.run(input, env, k)
    })
}

fn comma(a: &Node, b: &Node, input: &Value, env: &mut Env, k: &mut Cont<'_>) -> Flow {
    a.run(input, env, k)?;
    b.run(input, env, k)
}

fn compare(f: CmpFn, a: &Node, b: &Node, input: &Value, env: &mut Env, k: &mut Cont<'_>) -> Flow {
    binary(a, b, input, env, k, &|l, r| Ok(Value::Bool(f(l, r)?)))
}

fn if_(
    cond: &Node,
    then: &Node,
    otherwise: &Node,
    input: &Value,
    env: &mut Env,
    k: &mut Cont<'_>,
) -> Flow {
    cond.run(input, env, &mut |env, c| {
        if rt::truthy(&c) {
            then.run(input, env, k)
        } else {
            otherwise.run(input, env, k)
        }
    })
}

fn label(id: u32, body: &Node, input: &Value, env: &mut Env, k: &mut Cont<'_>) -> Flow {
    catch(id, body.run(input, env, k))
}

/// `.key` (codegen's `index_field`); `base` `None` is the input itself.
fn field(
    base: Option<&Node>,
    key: &str,
    opt: bool,
    input: &Value,
    env: &mut Env,
    k: &mut Cont<'_>,
) -> Flow {
    match base {
        None => step(rt::index_field(input, key), opt, env, k),
        Some(b) => b.run(input, env, &mut |env, vb| {
            step(rt::index_field(&vb, key), opt, env, k)
        }),
    }
}

fn index_lit(
    base: Option<&Node>,
    key: &Value,
    opt: bool,
    input: &Value,
    env: &mut Env,
    k: &mut Cont<'_>,
) -> Flow {
    match base {
        None => step(rt::index(input, key), opt, env, k),
        Some(b) => b.run(input, env, &mut |env, vb| {
            step(rt::index(&vb, key), opt, env, k)
        }),
    }
}

/// `base[key]`: the key is the outer loop (jq evaluates it first).
fn index(
    base: &Node,
    key: &Node,
    opt: bool,
    input: &Value,
    env: &mut Env,
    k: &mut Cont<'_>,
) -> Flow {
    key.run(input, env, &mut |env, vk| {
        base.run(input, env, &mut |env, vb| {
            step(rt::index(&vb, &vk), opt, env, k)
        })
    })
}

/// `base[from:to]`: `from` outermost, then `to`, then the base.
fn slice(s: &SliceNode, input: &Value, env: &mut Env, k: &mut Cont<'_>) -> Flow {
    s.from.run(input, env, &mut |env, vf| {
        s.to.run(input, env, &mut |env, vt| {
            s.base.run(input, env, &mut |env, vb| {
                step(rt::slice(&vb, &vf, &vt), s.opt, env, k)
            })
        })
    })
}

fn iterate(base: &Node, opt: bool, input: &Value, env: &mut Env, k: &mut Cont<'_>) -> Flow {
    base.run(input, env, &mut |env, vb| match rt::iterate(&vb) {
        Ok(items) => {
            for item in items {
                k(env, item)?;
            }
            Ok(())
        }
        // `.[]?`: a non-iterable yields nothing.
        Err(_) if opt => Ok(()),
        Err(e) => Err(e.into()),
    })
}

fn call(imp: Imp, args: &[Node], input: &Value, env: &mut Env, k: &mut Cont<'_>) -> Flow {
    let exprs: Vec<&Node> = args.iter().collect();
    let mut vals = vec![Value::Null; exprs.len()];
    nest(&exprs, 0, &mut vals, input, env, &mut |env, vals| {
        let v = apply(imp, input, vals)?;
        k(env, v)
    })
}

/// `first(f)`: after the continuation has run on `f`'s first output, `f` is stopped.
fn first(id: u32, f: &Node, input: &Value, env: &mut Env, k: &mut Cont<'_>) -> Flow {
    catch(
        id,
        f.run(input, env, &mut |env, v| {
            k(env, v)?;
            Err(Jump::Break(id))
        }),
    )
}

/// `range(from; upto; by)`: `from` is the outermost loop.
fn range(
    from: &Node,
    upto: &Node,
    by: &Node,
    input: &Value,
    env: &mut Env,
    k: &mut Cont<'_>,
) -> Flow {
    from.run(input, env, &mut |env, vf| {
        upto.run(input, env, &mut |env, vu| {
            by.run(input, env, &mut |env, vb| {
                for item in rt::range_values(&vf, &vu, &vb)? {
                    k(env, item)?;
                }
                Ok(())
            })
        })
    })
}

/// A fallible path step: its error raises, or with `opt` (`.a?`) it yields nothing.
fn step(r: R<Value>, opt: bool, env: &mut Env, k: &mut Cont<'_>) -> Flow {
    match r {
        Ok(v) => k(env, v),
        Err(_) if opt => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// `a op b`: the right operand is the outer loop, the left the inner (jq's order).
fn binary(
    a: &Node,
    b: &Node,
    input: &Value,
    env: &mut Env,
    k: &mut Cont<'_>,
    op: &dyn Fn(&Value, &Value) -> R<Value>,
) -> Flow {
    b.run(input, env, &mut |env, vb| {
        a.run(input, env, &mut |env, va| {
            let v = op(&va, &vb)?;
            k(env, v)
        })
    })
}

/// `a // b`: every truthy output of `a`; if there was none, the outputs of `b`. Errors of `a`
/// propagate.
fn alt(a: &Node, b: &Node, input: &Value, env: &mut Env, k: &mut Cont<'_>) -> Flow {
    let mut found = false;
    a.run(input, env, &mut |env, v| {
        if rt::truthy(&v) {
            found = true;
            k(env, v)
        } else {
            Ok(())
        }
    })?;
    if found {
        Ok(())
    } else {
        b.run(input, env, k)
    }
}

/// `a and b` / `a or b`: for each output of `a`, the short-circuit value or each of `b`'s
/// truthiness.
fn logic(is_and: bool, a: &Node, b: &Node, input: &Value, env: &mut Env, k: &mut Cont<'_>) -> Flow {
    a.run(input, env, &mut |env, va| {
        if rt::truthy(&va) == is_and {
            b.run(input, env, &mut |env, vb| {
                k(env, Value::Bool(rt::truthy(&vb)))
            })
        } else {
            k(env, Value::Bool(!is_and))
        }
    })
}

/// Evaluates `exprs[at..]` as nested loops, the first outermost, storing each output in
/// `vals`; `done` runs on each combination. Single-output expressions are computed in place
/// (one stack level per generator, not per expression).
pub(super) fn nest(
    exprs: &[&Node],
    at: usize,
    vals: &mut [Value],
    input: &Value,
    env: &mut Env,
    done: &mut Done<'_>,
) -> Flow {
    let mut i = at;
    while i < exprs.len() && exprs[i].single {
        vals[i] = exprs[i].one(input, env)?;
        i += 1;
    }
    if i == exprs.len() {
        return done(env, vals);
    }
    exprs[i].run(input, env, &mut |env, v| {
        vals[i] = v;
        nest(exprs, i + 1, vals, input, env, done)
    })
}

/// A builtin call on evaluated arguments, as codegen's `call` emits it.
pub(super) fn apply(imp: Imp, input: &Value, args: &[Value]) -> R<Value> {
    match imp {
        Imp::Const(f) => Ok(f()),
        Imp::Raise(f) => Err(f(input)),
        Imp::RaiseArg(f) => Err(f(&args[0])),
        Imp::Input(f) => f(input),
        Imp::Unary(f) => f(input, &args[0]),
        Imp::Binary(f) => f(input, &args[0], &args[1]),
    }
}

/// Interpolations nest like `+` chains: the last is the outermost loop.
fn string(
    fmt: Option<Format>,
    parts: &[Part],
    input: &Value,
    env: &mut Env,
    k: &mut Cont<'_>,
) -> Flow {
    let exprs: Vec<&Node> = parts
        .iter()
        .rev()
        .filter_map(|p| match p {
            Part::Interp(n) => Some(n),
            Part::Lit(_) => None,
        })
        .collect();
    let mut vals = vec![Value::Null; exprs.len()];
    nest(&exprs, 0, &mut vals, input, env, &mut |env, vals| {
        let s = build_string(fmt, parts, vals.iter().rev())?;
        k(env, s)
    })
}

/// The string of `parts` with the interpolated values in source order.
pub(super) fn build_string<'v>(
    fmt: Option<Format>,
    parts: &[Part],
    mut values: impl Iterator<Item = &'v Value>,
) -> R<Value> {
    let mut out = String::new();
    for part in parts {
        match part {
            Part::Lit(s) => out.push_str(s),
            Part::Interp(_) => {
                let Some(v) = values.next() else { break };
                match fmt {
                    None | Some(Format::Text) => rt::push_interpolated(&mut out, v),
                    Some(f) => match rt::format(f.name(), v)? {
                        Value::String(s) => out.push_str(&s),
                        other => out.push_str(&rt::tojson_string(&other)),
                    },
                }
            }
        }
    }
    Ok(Value::from(out))
}

/// Entries in source order, the first outermost; within an entry the key is the outer loop.
fn object(entries: &[(Node, Node)], input: &Value, env: &mut Env, k: &mut Cont<'_>) -> Flow {
    let exprs: Vec<&Node> = entries.iter().flat_map(|(k, v)| [k, v]).collect();
    let mut vals = vec![Value::Null; exprs.len()];
    nest(&exprs, 0, &mut vals, input, env, &mut |env, vals| {
        let mut map = Map::with_capacity(entries.len());
        for pair in vals.chunks(2) {
            rt::object_insert(&mut map, pair[0].clone(), pair[1].clone())?;
        }
        k(env, Value::from(map))
    })
}
