//! Assignments (`|=`, `=`, `+=`, …) on static paths, and the paths `path`/`del`/`pick` take.

use super::{boxed, literal_array, Env, Lowerer};
use crate::jq::ir::*;
use jaq_core::load::parse::{BinaryOp, Term};
use jaq_core::path::{Opt, Part};
use std::ops::Range;

impl<'s, 't> Lowerer<'_> {
    pub(super) fn update(
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
        // `|=` runs its right side in a closure of the generated code; the others do not.
        let rhs = if mode == UpdateMode::Modify {
            self.term_in_closure(rhs, env, span.clone())
        } else {
            self.term(rhs, env, span.clone())
        };
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
    pub(in crate::jq) fn literal_paths(
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
}
