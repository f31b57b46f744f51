//! The interpreter back end: runs the jq IR directly, for mappings edited at run time (fetched
//! from Port) that cannot wait for a rebuild.
//!
//! It must give what the generated Rust ([`super::codegen`]) gives — the same outputs in the same
//! order and the same errors — so it mirrors codegen node by node rather than following jq's
//! own bytecode design: it is continuation-passing like codegen (evaluating a node takes the
//! code to run on each output), loops nest in codegen's order, and every builtin, operator and
//! path function is the `opsgenie-port-jq` function codegen calls (builtins through the table's
//! [`Imp`](crate::jq::builtins::Imp) pointers). Written by hand because no existing jq
//! interpreter has these semantics (jaq differs from libjq 1.8.2 in the ways `opsgenie-port-jq`
//! exists for) and because its evaluation order must track ours, not another project's.
//!
//! Layout: [`prepare`] turns the IR into a [`Node`](prepare::Node) tree once per program
//! (constant regexes compiled, literals built, variables and labels numbered, `break`s checked);
//! [`eval`] runs a node with a continuation; [`single`] evaluates nodes that have exactly one
//! output (or raise) without one, which keeps the common mapping shapes (`.a.b`, `{…}`,
//! `"\(.x)"`, `.x // "y"`) free of closures; [`control`] holds the nodes that collect outputs
//! (`try`, `reduce`/`foreach`, regexes, paths, `walk`, keyed sorts).
//!
//! Stack: evaluation recurses a few frames per IR level (a node, and the closure it hands to a
//! child), so depth is proportional to the IR's nesting, not to the data. `run` and `one` are
//! thin dispatchers with a function per kind, which keeps the repeated frames small. We assume
//! the front end's nesting limit of about 200 levels: 200 levels of generators (the deep case)
//! measured under 256 KiB of stack in release and under 1 MiB in debug builds (tokio's workers
//! have 2 MiB); a test runs them on a 1 MiB thread.

mod control;
mod eval;
mod prepare;
mod single;
#[cfg(test)]
mod tests;

use crate::jq::ir::Expr;
use opsgenie_port_jq::{Error, Value, R};
use prepare::Node;

/// A prepared program; cheap to share between threads (`Send + Sync`), each call keeps its own
/// variables.
pub struct Program {
    root: Node,
    /// Variable slots a call needs (one per `VarId`, which are unique in a program).
    slots: usize,
    /// Why this program cannot run: what codegen rejects (`break` out of a closure, an
    /// unsupported construct). Every call fails with it.
    rejected: Option<Error>,
}

/// How evaluation stops early: an error, or a jump to an enclosing `label`, `first`, `limit`,
/// `isempty`, `any`/`all` (numbered by [`prepare`]) or, with [`HALT`], to the caller.
pub(super) enum Jump {
    Error(Error),
    Break(u32),
}

impl From<Error> for Jump {
    fn from(e: Error) -> Jump {
        Jump::Error(e)
    }
}

/// The result of running a node: every output went to the continuation, or a [`Jump`].
pub(super) type Flow = Result<(), Jump>;

/// What runs on each output of a node.
pub(super) type Cont<'a> = dyn FnMut(&mut Env, Value) -> Flow + 'a;

/// The jump target of the caller: the sink is full, or `first` has its output.
pub(super) const HALT: u32 = 0;

/// Per-call state: the variables, indexed by `VarId`.
pub(super) struct Env {
    slots: Vec<Value>,
}

impl Env {
    fn new(slots: usize) -> Env {
        Env {
            slots: vec![Value::Null; slots],
        }
    }
}

/// The error for a `break` leaving a closure (a `try` body, `walk` filter, `sub`/`gsub`
/// replacement or `|=` right-hand side): codegen cannot compile it, so we refuse it too.
pub(super) fn break_out_of_closure() -> Error {
    Error::msg(
        "`break` out of a `try` body, a `walk` filter, a `sub`/`gsub` replacement or a `|=` \
         right-hand side is not supported",
    )
}

impl Program {
    /// Prepares `expr` (as [`crate::jq::compile`] returns it). Never fails: a program the code
    /// generator would reject fails every call instead (see [`Program::error`]).
    pub fn new(expr: Expr) -> Program {
        let prepared = prepare::prepare(&expr);
        Program {
            root: prepared.root,
            slots: prepared.slots,
            rejected: prepared.rejected,
        }
    }

    /// Why every call of this program fails, when the code generator would have rejected it;
    /// lets a caller refuse a mapping when it loads it rather than on every item.
    pub fn error(&self) -> Option<&Error> {
        self.rejected.as_ref()
    }

    /// Ocean's rule: the first output, computed lazily (later outputs and errors never evaluated).
    pub fn first(&self, input: &Value) -> R<Option<Value>> {
        if let Some(e) = &self.rejected {
            return Err(e.clone());
        }
        let mut env = Env::new(self.slots);
        if self.root.single {
            return match self.root.one(input, &mut env) {
                Ok(v) => Ok(Some(v)),
                Err(jump) => finish(Err(jump)).map(|()| None),
            };
        }
        let mut out = None;
        let flow = self.root.run(input, &mut env, &mut |_, v| {
            out = Some(v);
            Err(Jump::Break(HALT))
        });
        finish(flow).map(|()| out)
    }

    /// Every output into `sink` until it returns false.
    pub fn run(&self, input: &Value, sink: &mut dyn FnMut(Value) -> bool) -> R<()> {
        if let Some(e) = &self.rejected {
            return Err(e.clone());
        }
        let mut env = Env::new(self.slots);
        let flow = self.root.run(input, &mut env, &mut |_, v| {
            if sink(v) {
                Ok(())
            } else {
                Err(Jump::Break(HALT))
            }
        });
        finish(flow)
    }
}

fn finish(flow: Flow) -> R<()> {
    match flow {
        Ok(()) | Err(Jump::Break(HALT)) => Ok(()),
        Err(Jump::Error(e)) => Err(e),
        // Every other jump is caught by the node that owns it; prepare checked the labels.
        Err(Jump::Break(_)) => Err(Error::msg("`break` without a label in scope")),
    }
}
