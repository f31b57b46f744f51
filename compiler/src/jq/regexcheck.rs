//! Build-time validation of constant regexes, with the same engine the runtime uses.
//!
//! Each distinct (pattern, flags) is compiled once: an inlined `def` repeats its regexes.

use super::ir::{Expr, ExprKind, Lit, StrPart};
use super::ExprError;
use std::collections::HashMap;

/// Errors for every constant `test`/`match`/`sub`/… pattern or flag string that the runtime
/// would reject.
pub fn check(expr: &Expr) -> Vec<ExprError> {
    let mut errors = Vec::new();
    let mut seen: HashMap<(&str, &str), Option<String>> = HashMap::new();
    visit(expr, &mut |e| {
        if let ExprKind::Regex { pattern, flags, .. } = &e.kind {
            let flags_text = match &flags.kind {
                ExprKind::Lit(Lit::Str(f)) => Some(f.as_str()),
                ExprKind::Lit(Lit::Null) => Some(""),
                _ => None,
            };
            if let (ExprKind::Lit(Lit::Str(p)), Some(f)) = (&pattern.kind, flags_text) {
                let invalid = seen.entry((p.as_str(), f)).or_insert_with(|| {
                    opsgenie_port_jq::Regex::new(p, f)
                        .err()
                        .map(|err| err.message())
                });
                if let Some(message) = invalid {
                    errors.push(ExprError {
                        code: "E0103",
                        span: pattern.span.clone(),
                        message: format!("invalid regex: {message}"),
                        help: Some(
                            "jq uses Oniguruma syntax; check escaping: in YAML and jq strings a regex backslash is written `\\\\`"
                                .into(),
                        ),
                    });
                }
            }
        }
    });
    errors
}

/// Calls `f` on every node of `expr`.
pub fn visit<'e>(expr: &'e Expr, f: &mut dyn FnMut(&'e Expr)) {
    f(expr);
    let mut go = |e: &'e Expr| visit(e, f);
    match &expr.kind {
        ExprKind::Identity
        | ExprKind::Recurse
        | ExprKind::Lit(_)
        | ExprKind::Var(_)
        | ExprKind::Empty
        | ExprKind::Break(_)
        | ExprKind::Format(_)
        | ExprKind::Array(None) => {}
        ExprKind::Str(_, parts) => {
            for p in parts {
                if let StrPart::Interp(e) = p {
                    go(e);
                }
            }
        }
        ExprKind::Array(Some(a))
        | ExprKind::Neg(a)
        | ExprKind::Iterate(a, _)
        | ExprKind::Label(_, a)
        | ExprKind::Keyed(_, a)
        | ExprKind::Walk(a)
        | ExprKind::First(a)
        | ExprKind::IsEmpty(a) => go(a),
        ExprKind::Object(entries) => {
            for (k, v) in entries {
                go(k);
                go(v);
            }
        }
        ExprKind::Pipe(a, b)
        | ExprKind::Comma(a, b)
        | ExprKind::Alt(a, b)
        | ExprKind::And(a, b)
        | ExprKind::Or(a, b)
        | ExprKind::Math(_, a, b)
        | ExprKind::Cmp(_, a, b)
        | ExprKind::Limit(a, b) => {
            go(a);
            go(b);
        }
        ExprKind::Bind { source, body, .. } => {
            go(source);
            go(body);
        }
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => {
            go(cond);
            go(then);
            go(otherwise);
        }
        ExprKind::Try { body, handler } => {
            go(body);
            if let Some(h) = handler {
                go(h);
            }
        }
        ExprKind::Fold(fold) => {
            go(&fold.source);
            go(&fold.init);
            go(&fold.update);
            if let Some(x) = &fold.extract {
                go(x);
            }
        }
        ExprKind::Index { base, key, .. } => {
            go(base);
            go(key);
        }
        ExprKind::Slice { base, from, to, .. } => {
            go(base);
            go(from);
            go(to);
        }
        ExprKind::Call(_, args) => args.iter().for_each(&mut go),
        ExprKind::Regex {
            pattern,
            flags,
            replacement,
            ..
        } => {
            go(pattern);
            go(flags);
            if let Some(r) = replacement {
                go(r);
            }
        }
        ExprKind::AnyAll {
            generator, cond, ..
        } => {
            go(generator);
            go(cond);
        }
        ExprKind::Range(a, b, c) => {
            go(a);
            go(b);
            go(c);
        }
        ExprKind::Update { path, rhs, .. } => {
            for step in path {
                match step {
                    super::ir::PathStep::Index(e) => go(e),
                    super::ir::PathStep::Slice(a, b) => {
                        go(a);
                        go(b);
                    }
                    super::ir::PathStep::Iterate => {}
                }
            }
            go(rhs);
        }
    }
}
