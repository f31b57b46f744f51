//! Binary operators.
//!
//! Chains of the associative `,`, `//`, `and` and `or` are regrouped: jaq nests them to the left,
//! one level per operand. A `,` list becomes a balanced tree (depth log₂ n, so long lists stay
//! shallow); `//`, `and` and `or` nest to the right, where the code generator inlines the rest of
//! the program once per operand instead of once per operand *per level* (left-nested `and`s
//! doubled the generated code at every level). Regrouping does not change what they compute:
//! each evaluates its operands left to right and the same outputs and errors come out in the
//! same order whichever way the chain is grouped.

use super::{balanced, boxed, Env, Lowerer};
use crate::jq::ir::*;
use jaq_core::load::parse::{BinaryOp, Term};
use jaq_core::ops::{Cmp, Math};
use std::ops::Range;

impl<'s, 't> Lowerer<'_> {
    pub(super) fn binop(
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
            BinaryOp::Comma | BinaryOp::Alt | BinaryOp::And | BinaryOp::Or => {
                return self.chain(l, op, r, env, span)
            }
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

    /// `l op r` for an associative `op`, with every operand of the chain it heads (found with
    /// an explicit stack: a `,` list is as deep as it is long).
    fn chain(
        &mut self,
        l: &'t Term<&'s str>,
        op: &'t BinaryOp<&'s str>,
        r: &'t Term<&'s str>,
        env: &Env<'s, 't>,
        span: Range<usize>,
    ) -> Expr {
        let same = |t: &Term<&'s str>| match t {
            Term::BinOp(_, o, _) => std::mem::discriminant(o) == std::mem::discriminant(op),
            _ => false,
        };
        let mut operands: Vec<&'t Term<&'s str>> = Vec::new();
        let mut todo: Vec<&'t Term<&'s str>> = vec![r, l];
        while let Some(t) = todo.pop() {
            match t {
                Term::BinOp(a, _, b) if same(t) => {
                    todo.push(b);
                    todo.push(a);
                }
                _ => operands.push(t),
            }
        }
        let items: Vec<Expr> = operands
            .into_iter()
            .map(|t| self.term(t, env, span.clone()))
            .collect();
        let joined = |a: Expr, b: Expr| {
            let sp = a.span.start.min(b.span.start)..a.span.end.max(b.span.end);
            let kind = match op {
                BinaryOp::Comma => ExprKind::Comma(boxed(a), boxed(b)),
                BinaryOp::Alt => ExprKind::Alt(boxed(a), boxed(b)),
                BinaryOp::And => ExprKind::And(boxed(a), boxed(b)),
                _ => ExprKind::Or(boxed(a), boxed(b)),
            };
            Expr::new(kind, sp)
        };
        let expr = if matches!(op, BinaryOp::Comma) {
            balanced(items, &mut |a, b| joined(a, b))
        } else {
            items.into_iter().rev().reduce(|rest, a| joined(a, rest))
        };
        let mut expr = expr.expect("a chain has two operands or more");
        expr.span = span;
        expr
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
