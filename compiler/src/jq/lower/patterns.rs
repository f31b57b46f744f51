//! Destructuring patterns (`. as [$a, {b: $c}] | …`) and `reduce`/`foreach`.

use super::env::Binding;
use super::{boxed, Env, Lowerer};
use crate::jq::ir::*;
use jaq_core::load::parse::{Pattern, Term};
use std::ops::Range;

impl<'s, 't> Lowerer<'_> {
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

    pub(super) fn fold(
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
        let wrap = |e: Expr, bindings: Vec<(VarId, Expr)>| {
            bindings.into_iter().rev().fold(e, |acc, (id, value)| {
                Expr::new(
                    ExprKind::Bind {
                        source: boxed(value),
                        var: id,
                        body: boxed(acc),
                    },
                    span.clone(),
                )
            })
        };
        let update = self.term(&args[1], &inner, span.clone());
        let extract = if args.len() == 3 {
            let e = self.term(&args[2], &inner, span.clone());
            let copies = bindings
                .iter()
                .map(|(_, id, value)| (*id, self.copy(value)))
                .collect();
            Some(boxed(wrap(e, copies)))
        } else {
            None
        };
        let update = wrap(
            update,
            bindings.into_iter().map(|(_, id, v)| (id, v)).collect(),
        );
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
}
