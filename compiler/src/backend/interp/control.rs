//! Nodes that collect outputs before going on: `try`, `reduce`/`foreach`, `walk`, keyed sorts,
//! regex builtins, `limit`/`isempty`/`any`/`all`, and path updates — codegen's `control.rs` and
//! the collecting branches of its `mod.rs`.
//!
//! Written by hand to keep codegen's exact collection points: a `try` body's outputs are all
//! collected before the continuation runs on them (so the continuation's errors are not
//! caught), `reduce` keeps the last output of the update (none → `null`), `|=` takes the first
//! output of its right-hand side but evaluates them all. The closures codegen hands to runtime
//! functions (`walk`, `sub`, `update_path`) are closures here too; a `break` cannot leave them
//! ([`break_out_of_closure`]).

use super::eval::{catch, nest};
use super::prepare::{
    math_fn, AnyAllNode, FoldNode, KeyedFn, Node, RegexNode, RegexSource, Step, Steps, UpdateNode,
};
use super::{break_out_of_closure, Cont, Env, Flow, Jump};
use crate::jq::ir::{RegexOp, UpdateMode};
use opsgenie_port_jq::{self as rt, PathKey, Regex, Value, R};
use std::borrow::Cow;

/// The outputs of a filter codegen runs inside a closure: a jump cannot leave it.
fn closure_outputs(f: &Node, input: &Value, env: &mut Env) -> R<Vec<Value>> {
    f.collect(input, env).map_err(|jump| match jump {
        Jump::Error(e) => e,
        Jump::Break(_) => break_out_of_closure(),
    })
}

/// The last output of `f`, `null` when it has none.
fn last_output(f: &Node, input: &Value, env: &mut Env) -> Result<Value, Jump> {
    if f.single {
        return f.one(input, env);
    }
    let mut last = Value::Null;
    f.run(input, env, &mut |_, v| {
        last = v;
        Ok(())
    })?;
    Ok(last)
}

/// `try body catch handler`: the body's outputs are collected first, then the continuation runs
/// on each — outside the `try`, so its errors propagate — then the handler on the error, if any.
pub(super) fn try_(
    body: &Node,
    handler: Option<&Node>,
    input: &Value,
    env: &mut Env,
    k: &mut Cont<'_>,
) -> Flow {
    let mut outs = Vec::new();
    let res = if body.single {
        body.one(input, env).map(|v| outs.push(v))
    } else {
        body.run(input, env, &mut |_, v| {
            outs.push(v);
            Ok(())
        })
    };
    for item in outs {
        k(env, item)?;
    }
    match res {
        Ok(()) => Ok(()),
        Err(Jump::Error(e)) => {
            // Without a handler `catch_value` decides what is re-raised (today: nothing).
            let caught = rt::catch_value(e)?;
            match handler {
                Some(h) => h.run(&caught, env, k),
                None => Ok(()),
            }
        }
        Err(Jump::Break(_)) => Err(break_out_of_closure().into()),
    }
}

/// `reduce`/`foreach`: for each output of `init`, a run over the source.
pub(super) fn fold(f: &FoldNode, input: &Value, env: &mut Env, k: &mut Cont<'_>) -> Flow {
    f.init.run(input, env, &mut |env, init| {
        if f.is_foreach {
            foreach(f, init, input, env, k)
        } else {
            let state = reduce(f, init, input, env)?;
            k(env, state)
        }
    })
}

/// jq 1.8: the last output of the update is the new state; none → `null`.
pub(super) fn reduce(
    f: &FoldNode,
    init: Value,
    input: &Value,
    env: &mut Env,
) -> Result<Value, Jump> {
    let mut state = init;
    f.source.run(input, env, &mut |env, v| {
        env.slots[f.var] = v;
        state = last_output(&f.update, &state, env)?;
        Ok(())
    })?;
    Ok(state)
}

/// Every output of the update becomes the state in turn, and goes through the extract.
fn foreach(f: &FoldNode, init: Value, input: &Value, env: &mut Env, k: &mut Cont<'_>) -> Flow {
    let mut state = init;
    f.source.run(input, env, &mut |env, v| {
        env.slots[f.var] = v;
        for u in f.update.collect(&state, env)? {
            state = u.clone();
            match &f.extract {
                None => k(env, u)?,
                Some(x) => x.run(&u, env, k)?,
            }
        }
        Ok(())
    })
}

/// `walk(f)`: the runtime rebuilds bottom-up and calls `f` on every value.
pub(super) fn walk(f: &Node, input: &Value, env: &mut Env, k: &mut Cont<'_>) -> Flow {
    for item in rt::walk(input, &mut |v| closure_outputs(f, v, env))? {
        k(env, item)?;
    }
    Ok(())
}

/// `sort_by(f)` and friends: `[f]` of every element, then the runtime's keyed operation.
pub(super) fn keyed(func: KeyedFn, f: &Node, input: &Value, env: &mut Env) -> Result<Value, Jump> {
    let elems = rt::iterate(input)?;
    let mut keys = Vec::with_capacity(elems.len());
    for elem in elems.iter() {
        keys.push(Value::from(f.collect(elem, env)?));
    }
    Ok(func(input, keys)?)
}

/// `isempty(f)`: stops `f` at its first output.
pub(super) fn is_empty(id: u32, f: &Node, input: &Value, env: &mut Env) -> Result<Value, Jump> {
    let mut empty = true;
    catch(
        id,
        f.run(input, env, &mut |_, _| {
            empty = false;
            Err(Jump::Break(id))
        }),
    )?;
    Ok(Value::Bool(empty))
}

/// `any(gen; cond)` / `all(gen; cond)`: `cond` on each generator output, stopping at the first
/// that decides.
pub(super) fn any_all(a: &AnyAllNode, input: &Value, env: &mut Env) -> Result<Value, Jump> {
    let mut result = a.all;
    catch(
        a.id,
        a.generator.run(input, env, &mut |env, g| {
            a.cond.run(&g, env, &mut |_, c| {
                if rt::truthy(&c) == a.all {
                    Ok(())
                } else {
                    result = !a.all;
                    Err(Jump::Break(a.id))
                }
            })
        }),
    )?;
    Ok(Value::Bool(result))
}

/// `limit(n; f)`: for each `n`, at most that many outputs of `f`.
pub(super) fn limit(
    id: u32,
    n: &Node,
    f: &Node,
    input: &Value,
    env: &mut Env,
    k: &mut Cont<'_>,
) -> Flow {
    n.run(input, env, &mut |env, vn| {
        let max = rt::limit_count(&vn)?;
        if max.is_nan() || max <= 0.0 {
            return Ok(());
        }
        let mut count: u64 = 0;
        catch(
            id,
            f.run(input, env, &mut |env, v| {
                count += 1;
                k(env, v)?;
                if count as f64 >= max {
                    Err(Jump::Break(id))
                } else {
                    Ok(())
                }
            }),
        )
    })
}

/// What a regex builtin returns: one value (`test`, `split/2`) or a stream.
enum Matched {
    One(Value),
    Many(Vec<Value>),
}

fn apply_regex(
    r: &RegexNode,
    re: &Regex,
    global: bool,
    input: &Value,
    env: &mut Env,
) -> R<Matched> {
    Ok(match r.op {
        RegexOp::Test => Matched::One(rt::test(input, re)?),
        RegexOp::Split => Matched::One(rt::split_re(input, re)?),
        RegexOp::Match => Matched::Many(rt::regex_match(input, re, global)?),
        RegexOp::Capture => Matched::Many(rt::capture(input, re, global)?),
        RegexOp::Scan => Matched::Many(rt::scan(input, re, global)?),
        RegexOp::Splits => Matched::Many(rt::splits(input, re)?),
        RegexOp::Sub | RegexOp::Gsub => {
            let Some(repl) = &r.replacement else {
                return Err(rt::Error::msg("sub without a replacement"));
            };
            Matched::Many(rt::regex_sub(input, re, global, &mut |caps| {
                closure_outputs(repl, &caps, env)
            })?)
        }
    })
}

/// Runs `with` on the regex: the constant one (its compile error raises here, as codegen's
/// static does), or one built from each pattern (outer loop) and flags output.
fn with_regex(
    r: &RegexNode,
    input: &Value,
    env: &mut Env,
    with: &mut dyn FnMut(&mut Env, &Regex, bool) -> Flow,
) -> Flow {
    match &r.source {
        RegexSource::Const(re, global) => {
            let re = re.as_ref().map_err(|e| Jump::Error(e.clone()))?;
            with(env, re, *global)
        }
        RegexSource::Dynamic(pattern, flags) => {
            let exprs = [pattern, flags];
            let mut vals = [Value::Null, Value::Null];
            nest(&exprs, 0, &mut vals, input, env, &mut |env, vals| {
                let (re, g) = rt::regex_dynamic(&vals[0], &vals[1], r.op == RegexOp::Gsub)?;
                with(env, &re, r.global_by_op || g)
            })
        }
    }
}

pub(super) fn regex(r: &RegexNode, input: &Value, env: &mut Env, k: &mut Cont<'_>) -> Flow {
    with_regex(
        r,
        input,
        env,
        &mut |env, re, global| match apply_regex(r, re, global, input, env)? {
            Matched::One(v) => k(env, v),
            Matched::Many(vs) => {
                for v in vs {
                    k(env, v)?;
                }
                Ok(())
            }
        },
    )
}

/// `test`/`split/2` with a single pattern and flags.
pub(super) fn regex_one(r: &RegexNode, input: &Value, env: &mut Env) -> Result<Value, Jump> {
    let mut out = Value::Null;
    with_regex(r, input, env, &mut |env, re, global| {
        match apply_regex(r, re, global, input, env)? {
            Matched::One(v) => out = v,
            // Not single: prepare does not mark these.
            Matched::Many(_) => return Err(rt::Error::msg("internal error: regex stream").into()),
        }
        Ok(())
    })?;
    Ok(out)
}

/// The path's keys: literal ones prepared once; computed ones evaluated on the input, in path
/// order (an index key's every output, a slice bound's last output).
fn path_keys<'u>(
    u: &'u UpdateNode,
    input: &Value,
    env: &mut Env,
) -> Result<Cow<'u, [PathKey]>, Jump> {
    let steps = match &u.steps {
        Steps::Const(keys) => return Ok(Cow::Borrowed(keys)),
        Steps::Dynamic(steps) => steps,
    };
    let mut keys = Vec::with_capacity(steps.len());
    for step in steps {
        keys.push(match step {
            Step::Iterate => PathKey::Iterate,
            Step::Index(e) => PathKey::Keys(e.collect(input, env)?),
            Step::Slice(a, b) => {
                let from = last_output(a, input, env)?;
                PathKey::Slice(from, last_output(b, input, env)?)
            }
        });
    }
    Ok(Cow::Owned(keys))
}

/// `path |= f`: the first output of `f` on each old value, later ones not evaluated (jq 1.8's
/// `_modify`: `label $out | (setpath(…; … | f) | ., break $out), delpaths(…)`); none deletes.
fn modify(u: &UpdateNode, steps: &[PathKey], input: &Value, env: &mut Env) -> R<Value> {
    rt::update_path(input.clone(), steps, &mut |old| {
        let mut first = None;
        let flow = if u.rhs.single {
            u.rhs.one(&old, env).map(|v| first = Some(v))
        } else {
            u.rhs.run(&old, env, &mut |_, v| {
                first = Some(v);
                Err(Jump::Break(super::HALT))
            })
        };
        match flow {
            Ok(()) | Err(Jump::Break(super::HALT)) => Ok(first),
            Err(Jump::Error(e)) => Err(e),
            Err(Jump::Break(_)) => Err(break_out_of_closure()),
        }
    })
}

/// `path = v`, `path op= v`, `path //= v` for one output `v` of the right-hand side.
fn combine(mode: UpdateMode, steps: &[PathKey], input: &Value, rhs: &Value) -> R<Value> {
    rt::update_path(input.clone(), steps, &mut |old| {
        Ok(Some(match mode {
            UpdateMode::Arith(op) => math_fn(op)(&old, rhs)?,
            UpdateMode::Alt if rt::truthy(&old) => old,
            // (`Modify` never gets here: it has its own function.)
            UpdateMode::Alt | UpdateMode::Assign | UpdateMode::Modify => rhs.clone(),
        }))
    })
}

/// Path updates: the keys first, then (except for `|=`) the right-hand side on the input.
pub(super) fn update(u: &UpdateNode, input: &Value, env: &mut Env, k: &mut Cont<'_>) -> Flow {
    let steps = path_keys(u, input, env)?;
    match u.mode {
        UpdateMode::Modify => {
            let v = modify(u, &steps, input, env)?;
            k(env, v)
        }
        mode => u.rhs.run(input, env, &mut |env, rhs| {
            let v = combine(mode, &steps, input, &rhs)?;
            k(env, v)
        }),
    }
}

pub(super) fn update_one(u: &UpdateNode, input: &Value, env: &mut Env) -> Result<Value, Jump> {
    let steps = path_keys(u, input, env)?;
    Ok(match u.mode {
        UpdateMode::Modify => modify(u, &steps, input, env)?,
        mode => {
            let rhs = u.rhs.one(input, env)?;
            combine(mode, &steps, input, &rhs)?
        }
    })
}
