//! Direct evaluation of nodes with exactly one output ([`Node::single`]): `.a.b`, literals,
//! objects and strings of such parts, `a // b`, operators, builtin calls. Most mapping leaves
//! are entirely of this shape, so they run as plain recursive calls, with no continuation
//! closures.
//!
//! Written by hand, in step with [`super::eval`]: each branch evaluates its operands in the
//! order codegen's loops nest (the right operand of a binary operator first, the last string
//! interpolation first, object keys before their values), so the first error raised is the one
//! the generated code raises.

use super::eval::{apply, build_string};
use super::prepare::{CmpFn, FoldNode, Kind, MathFn, Node, Part, SliceNode};
use super::{break_out_of_closure, Env, Jump};
use crate::jq::builtins::Imp;
use opsgenie_port_jq::{self as rt, Map, Value};

/// What [`Node::one`] returns: the value, or the jump (error, `break`) that replaced it.
type One = Result<Value, Jump>;

impl Node {
    /// The output of a single node, or the jump (error, `break`) it raises. Like
    /// [`Node::run`](super::eval), a dispatcher with one function per non-trivial kind.
    pub(super) fn one(&self, input: &Value, env: &mut Env) -> One {
        match &self.kind {
            Kind::Identity => Ok(input.clone()),
            Kind::Const(v) => Ok(v.clone()),
            Kind::Var(slot) => Ok(env.slots[*slot].clone()),
            Kind::Field(None, key, _) => Ok(rt::index_field(input, key)?),
            Kind::Field(Some(base), key, _) => field(base, key, input, env),
            Kind::IndexLit(None, key, _) => Ok(rt::index(input, key)?),
            Kind::IndexLit(Some(base), key, _) => index_lit(base, key, input, env),
            Kind::Index(base, key, _) => index(base, key, input, env),
            Kind::Slice(s) => slice(s, input, env),
            Kind::Str(fmt, parts) => string(*fmt, parts, input, env),
            Kind::Array(f) => array(f.as_deref(), input, env),
            Kind::Object(entries) => object(entries, input, env),
            Kind::Neg(a) => neg(a, input, env),
            Kind::Pipe(a, b) => pipe(a, b, input, env),
            Kind::Bind(source, slot, body) => bind(source, *slot, body, input, env),
            Kind::Alt(a, b) => alt(a, b, input, env),
            Kind::Logic(is_and, a, b) => logic(*is_and, a, b, input, env),
            Kind::Math(f, a, b) => math(*f, a, b, input, env),
            Kind::Cmp(f, a, b) => compare(*f, a, b, input, env),
            Kind::If(cond, then, otherwise) => if_(cond, then, otherwise, input, env),
            Kind::Try(body, Some(handler)) => try_(body, handler, input, env),
            Kind::Call(imp, args) => call(*imp, args, input, env),
            Kind::Format(name) => Ok(rt::format(name, input)?),
            // `first` of a single filter is that filter: its one output, or its jump.
            Kind::First(_, f) => f.one(input, env),
            Kind::Break(id) => Err(Jump::Break(*id)),
            Kind::Fail(e) => Err(e.clone().into()),
            Kind::Keyed(f, key) => super::control::keyed(*f, key, input, env),
            Kind::IsEmpty(id, f) => super::control::is_empty(*id, f, input, env),
            Kind::AnyAll(a) => super::control::any_all(a, input, env),
            Kind::Regex(r) => super::control::regex_one(r, input, env),
            Kind::Fold(fold) => reduce(fold, input, env),
            Kind::Update(u) => super::control::update_one(u, input, env),
            Kind::Try(_, None)
            | Kind::Recurse
            | Kind::Comma(..)
            | Kind::Label(..)
            | Kind::Iterate(..)
            | Kind::Empty
            | Kind::Walk(_)
            | Kind::Limit(..)
            | Kind::Range(..) => {
                // Not single: prepare never marks these, so this is unreachable; fail safe.
                Err(rt::Error::msg("internal error: generator evaluated as a value").into())
            }
        }
    }
}

fn field(base: &Node, key: &str, input: &Value, env: &mut Env) -> One {
    Ok(rt::index_field(&base.one(input, env)?, key)?)
}

fn index_lit(base: &Node, key: &Value, input: &Value, env: &mut Env) -> One {
    Ok(rt::index(&base.one(input, env)?, key)?)
}

/// The key first (codegen's outer loop), then the base.
fn index(base: &Node, key: &Node, input: &Value, env: &mut Env) -> One {
    let vk = key.one(input, env)?;
    Ok(rt::index(&base.one(input, env)?, &vk)?)
}

fn slice(s: &SliceNode, input: &Value, env: &mut Env) -> One {
    let vf = s.from.one(input, env)?;
    let vt = s.to.one(input, env)?;
    Ok(rt::slice(&s.base.one(input, env)?, &vf, &vt)?)
}

fn array(f: Option<&Node>, input: &Value, env: &mut Env) -> One {
    Ok(match f {
        None => Value::from(Vec::new()),
        Some(f) => Value::from(f.collect(input, env)?),
    })
}

fn neg(a: &Node, input: &Value, env: &mut Env) -> One {
    Ok(rt::neg(&a.one(input, env)?)?)
}

fn pipe(a: &Node, b: &Node, input: &Value, env: &mut Env) -> One {
    let v = a.one(input, env)?;
    b.one(&v, env)
}

fn bind(source: &Node, slot: usize, body: &Node, input: &Value, env: &mut Env) -> One {
    env.slots[slot] = source.one(input, env)?;
    body.one(input, env)
}

/// `a // b` with one output each: `a` if truthy, else `b`.
fn alt(a: &Node, b: &Node, input: &Value, env: &mut Env) -> One {
    let v = a.one(input, env)?;
    if rt::truthy(&v) {
        Ok(v)
    } else {
        b.one(input, env)
    }
}

fn logic(is_and: bool, a: &Node, b: &Node, input: &Value, env: &mut Env) -> One {
    let va = a.one(input, env)?;
    Ok(Value::Bool(if rt::truthy(&va) == is_and {
        rt::truthy(&b.one(input, env)?)
    } else {
        !is_and
    }))
}

/// Right operand first: it is codegen's outer loop.
fn math(f: MathFn, a: &Node, b: &Node, input: &Value, env: &mut Env) -> One {
    let vb = b.one(input, env)?;
    Ok(f(&a.one(input, env)?, &vb)?)
}

fn compare(f: CmpFn, a: &Node, b: &Node, input: &Value, env: &mut Env) -> One {
    let vb = b.one(input, env)?;
    Ok(Value::Bool(f(&a.one(input, env)?, &vb)?))
}

fn if_(cond: &Node, then: &Node, otherwise: &Node, input: &Value, env: &mut Env) -> One {
    if rt::truthy(&cond.one(input, env)?) {
        then.one(input, env)
    } else {
        otherwise.one(input, env)
    }
}

/// `try a catch b`, both single: `a`'s output, or `b` on what `a` raised.
fn try_(body: &Node, handler: &Node, input: &Value, env: &mut Env) -> One {
    match body.one(input, env) {
        Ok(v) => Ok(v),
        Err(Jump::Error(e)) => handler.one(&rt::catch_value(e)?, env),
        Err(Jump::Break(_)) => Err(break_out_of_closure().into()),
    }
}

/// Arguments in order (the first is codegen's outermost loop).
fn call(imp: Imp, args: &[Node], input: &Value, env: &mut Env) -> One {
    Ok(match args {
        [] => apply(imp, input, &[])?,
        [a] => apply(imp, input, &[a.one(input, env)?])?,
        [a, b, ..] => {
            let a = a.one(input, env)?;
            let b = b.one(input, env)?;
            apply(imp, input, &[a, b])?
        }
    })
}

fn reduce(fold: &FoldNode, input: &Value, env: &mut Env) -> One {
    let init = fold.init.one(input, env)?;
    super::control::reduce(fold, init, input, env)
}

/// Interpolations are evaluated last first (codegen's outermost loop), then joined in order.
fn string(
    fmt: Option<crate::jq::ir::Format>,
    parts: &[Part],
    input: &Value,
    env: &mut Env,
) -> Result<Value, Jump> {
    let mut vals = Vec::new();
    for part in parts.iter().rev() {
        if let Part::Interp(n) = part {
            vals.push(n.one(input, env)?);
        }
    }
    Ok(build_string(fmt, parts, vals.iter().rev())?)
}

/// Keys and values in source order; an invalid key raises only once every entry is evaluated
/// (codegen inserts after its loops).
fn object(entries: &[(Node, Node)], input: &Value, env: &mut Env) -> Result<Value, Jump> {
    let mut map = Map::with_capacity(entries.len());
    let mut bad_key = None;
    for (key, value) in entries {
        let k = key.one(input, env)?;
        let v = value.one(input, env)?;
        if bad_key.is_none() {
            if let Err(e) = rt::object_insert(&mut map, k, v) {
                bad_key = Some(e);
            }
        }
    }
    match bad_key {
        Some(e) => Err(e.into()),
        None => Ok(Value::from(map)),
    }
}
