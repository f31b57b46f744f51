//! Lexical scopes of the lowering: variables, labels, user `def`s and filter parameters.

use super::super::ir::{LabelId, VarId};
use jaq_core::load::parse::Term;
use std::ops::Range;
use std::rc::Rc;

/// A lexical scope: a persistent linked list of bindings.
#[derive(Clone)]
pub(in crate::jq) struct Env<'s, 't>(Option<Rc<Scope<'s, 't>>>);

pub(super) struct Scope<'s, 't> {
    binding: Binding<'s, 't>,
    parent: Env<'s, 't>,
}

#[derive(Clone)]
pub(super) enum Binding<'s, 't> {
    Var(&'s str, VarId),
    /// A label, with the closure depth it was declared at (a `break` cannot leave a closure).
    Label(&'s str, LabelId, u32),
    /// A user `def`, with the scope it was defined in (lexical scoping).
    Def(Rc<UserDef<'s, 't>>),
    /// A filter parameter of an inlined `def`: the argument term and the caller's scope.
    Param(&'s str, Rc<Closure<'s, 't>>),
}

pub(super) struct UserDef<'s, 't> {
    pub(super) id: usize,
    pub(super) name: &'s str,
    pub(super) params: Vec<&'s str>,
    pub(super) body: &'t Term<&'s str>,
    pub(super) env: Env<'s, 't>,
}

pub(super) struct Closure<'s, 't> {
    pub(super) term: &'t Term<&'s str>,
    pub(super) env: Env<'s, 't>,
    pub(super) span: Range<usize>,
    /// How many definitions were being inlined where the argument was written.
    pub(super) inlining: usize,
}

/// Unlinks the scopes no one else holds one by one: a run of `def`s makes a long chain, whose
/// default drop would recurse once per binding.
impl Drop for Env<'_, '_> {
    fn drop(&mut self) {
        let mut next = self.0.take();
        while let Some(scope) = next {
            match Rc::try_unwrap(scope) {
                Ok(mut scope) => next = scope.parent.0.take(),
                Err(_) => break,
            }
        }
    }
}

impl<'s, 't> Env<'s, 't> {
    pub(super) fn root() -> Self {
        Env(None)
    }

    pub(super) fn with(&self, binding: Binding<'s, 't>) -> Self {
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

    pub(super) fn var(&self, name: &str) -> Option<VarId> {
        self.iter().find_map(|b| match b {
            Binding::Var(n, id) if *n == name => Some(*id),
            _ => None,
        })
    }

    pub(super) fn label(&self, name: &str) -> Option<(LabelId, u32)> {
        self.iter().find_map(|b| match b {
            Binding::Label(n, id, depth) if *n == name => Some((*id, *depth)),
            _ => None,
        })
    }

    /// The innermost function or parameter named `name` with `arity` arguments.
    pub(super) fn function(&self, name: &str, arity: usize) -> Option<Binding<'s, 't>> {
        self.iter()
            .find(|b| match b {
                Binding::Def(d) => d.name == name && d.params.len() == arity,
                Binding::Param(n, _) => *n == name && arity == 0,
                _ => false,
            })
            .cloned()
    }

    pub(in crate::jq) fn function_names(&self) -> Vec<&'s str> {
        self.iter()
            .filter_map(|b| match b {
                Binding::Def(d) => Some(d.name),
                Binding::Param(n, _) => Some(*n),
                _ => None,
            })
            .collect()
    }
}
