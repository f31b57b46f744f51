//! Byte ranges of jaq terms in the program text (jaq's tree keeps slices of the text, not
//! positions).
//!
//! A term's span is the union of its leaves' slices, computed once for the whole tree in one
//! post-order pass with an explicit stack (a `,` list is a left spine as long as the list), and
//! looked up by the term's address: recomputing it per node made lowering quadratic.

use jaq_core::load::lex::StrPart as JStrPart;
use jaq_core::load::parse::Term;
use jaq_core::path::Part;
use std::collections::HashMap;
use std::ops::Range;

/// The span of every term of one tree that has a leaf.
pub(super) struct Spans {
    by_term: HashMap<*const Term<&'static str>, Range<usize>>,
}

/// The address a term is looked up by (terms are borrowed for the whole lowering).
fn key(term: &Term<&str>) -> *const Term<&'static str> {
    (term as *const Term<&str>).cast()
}

/// Byte range of a slice of `text`, if it is one.
pub(super) fn slice_span(text: &str, s: &str) -> Option<Range<usize>> {
    let base = text.as_ptr() as usize;
    let p = s.as_ptr() as usize;
    (p >= base && p + s.len() <= base + text.len()).then(|| p - base..p - base + s.len())
}

fn join(acc: &mut Option<Range<usize>>, r: Range<usize>) {
    *acc = Some(match acc.take() {
        None => r,
        Some(a) => a.start.min(r.start)..a.end.max(r.end),
    });
}

/// Calls `f` on every direct subterm of `term`.
pub(super) fn each_subterm<'t, 's>(term: &'t Term<&'s str>, f: &mut dyn FnMut(&'t Term<&'s str>)) {
    match term {
        Term::Id | Term::Recurse | Term::Num(_) | Term::Var(_) | Term::Break(_) => {}
        Term::Arr(None) => {}
        Term::Call(_, args) => args.iter().for_each(f),
        Term::Str(_, parts) => {
            for p in parts {
                if let JStrPart::Term(t) = p {
                    f(t);
                }
            }
        }
        Term::Arr(Some(t)) | Term::Neg(t) | Term::Label(_, t) => f(t),
        Term::Obj(entries) => {
            for (k, v) in entries {
                f(k);
                if let Some(v) = v {
                    f(v);
                }
            }
        }
        Term::BinOp(l, _, r) => {
            f(l);
            f(r);
        }
        Term::Fold(_, xs, _, args) => {
            f(xs);
            args.iter().for_each(f);
        }
        Term::TryCatch(t, c) => {
            f(t);
            if let Some(c) = c {
                f(c);
            }
        }
        Term::IfThenElse(branches, otherwise) => {
            for (c, t) in branches {
                f(c);
                f(t);
            }
            if let Some(o) = otherwise {
                f(o);
            }
        }
        Term::Def(defs, body) => {
            for d in defs {
                f(&d.body);
            }
            f(body);
        }
        Term::Path(base, path) => {
            f(base);
            for (part, _) in &path.0 {
                match part {
                    Part::Index(i) => f(i),
                    Part::Range(a, b) => {
                        if let Some(a) = a {
                            f(a);
                        }
                        if let Some(b) = b {
                            f(b);
                        }
                    }
                }
            }
        }
    }
}

impl Spans {
    pub(super) fn compute(text: &str, root: &Term<&str>) -> Spans {
        let mut spans = Spans {
            by_term: HashMap::new(),
        };
        // Post-order: a term is finished once all its subterms are.
        let mut stack: Vec<(&Term<&str>, bool)> = vec![(root, false)];
        while let Some((term, children_done)) = stack.pop() {
            if children_done {
                if let Some(span) = spans.own(text, term) {
                    spans.by_term.insert(key(term), span);
                }
            } else {
                stack.push((term, true));
                each_subterm(term, &mut |t| stack.push((t, false)));
            }
        }
        spans
    }

    /// The span of a term, or `fallback` when it has no leaf (`.`, `..`, `[]`).
    pub(super) fn of(&self, term: &Term<&str>, fallback: &Range<usize>) -> Range<usize> {
        self.by_term
            .get(&key(term))
            .cloned()
            .unwrap_or_else(|| fallback.clone())
    }

    /// A term's own leaves joined with its subterms' (already computed) spans.
    fn own(&self, text: &str, term: &Term<&str>) -> Option<Range<usize>> {
        let mut acc: Option<Range<usize>> = None;
        let leaf = |s: &str, acc: &mut Option<Range<usize>>, widen: (usize, usize)| {
            if let Some(r) = slice_span(text, s) {
                join(
                    acc,
                    r.start.saturating_sub(widen.0)..(r.end + widen.1).min(text.len()),
                );
            }
        };
        let sub = |t: &Term<&str>, acc: &mut Option<Range<usize>>| {
            if let Some(r) = self.by_term.get(&key(t)) {
                join(acc, r.clone());
            }
        };
        match term {
            Term::Num(n) => leaf(n, &mut acc, (0, 0)),
            Term::Var(v) | Term::Break(v) => leaf(v, &mut acc, (0, 0)),
            Term::Call(name, args) => {
                leaf(name, &mut acc, (0, 0));
                args.iter().for_each(|a| sub(a, &mut acc));
                // Include the closing parenthesis of the argument list.
                if let (false, Some(r)) = (args.is_empty(), acc.clone()) {
                    if text[r.end..].trim_start().starts_with(')') {
                        let close = r.end + text[r.end..].find(')').unwrap_or(0) + 1;
                        acc = Some(r.start..close);
                    }
                }
            }
            Term::Str(fmt, parts) => {
                if let Some(f) = fmt {
                    leaf(f, &mut acc, (0, 0));
                }
                for p in parts {
                    match p {
                        JStrPart::Str(s) => leaf(s, &mut acc, (1, 1)),
                        JStrPart::Term(t) => sub(t, &mut acc),
                        JStrPart::Char(_) => {}
                    }
                }
            }
            Term::Path(base, path) => {
                sub(base, &mut acc);
                for (part, _) in &path.0 {
                    match part {
                        Part::Index(Term::Str(None, parts)) if parts.len() == 1 => {
                            // `.key`: include the dot.
                            if let JStrPart::Str(s) = &parts[0] {
                                if let Some(r) = slice_span(text, s) {
                                    let dot = r.start.saturating_sub(1);
                                    let quoted = text.as_bytes().get(dot) == Some(&b'"');
                                    let start = if quoted { dot.saturating_sub(1) } else { dot };
                                    let end = if quoted { r.end + 1 } else { r.end };
                                    join(&mut acc, start..end.min(text.len()));
                                }
                            }
                        }
                        Part::Index(i) => sub(i, &mut acc),
                        Part::Range(a, b) => {
                            a.iter().chain(b).for_each(|t| sub(t, &mut acc));
                        }
                    }
                }
            }
            other => each_subterm(other, &mut |t| sub(t, &mut acc)),
        }
        acc
    }
}
