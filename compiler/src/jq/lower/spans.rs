//! Byte ranges of jaq terms in the program text (jaq's tree keeps slices of the text, not
//! positions).

use super::Lowerer;
use jaq_core::load::lex::StrPart as JStrPart;
use jaq_core::load::parse::Term;
use jaq_core::path::Part;
use std::ops::Range;

impl<'s> Lowerer<'_> {
    /// Byte range of a slice of the program text, if it is one.
    pub(super) fn slice_span(&self, s: &str) -> Option<Range<usize>> {
        let base = self.text.as_ptr() as usize;
        let p = s.as_ptr() as usize;
        (p >= base && p + s.len() <= base + self.text.len()).then(|| p - base..p - base + s.len())
    }

    /// The span of a term: the union of the spans of its leaves, or `fallback`.
    pub(super) fn span_of(&self, term: &Term<&'s str>, fallback: &Range<usize>) -> Range<usize> {
        let mut acc: Option<Range<usize>> = None;
        self.collect_span(term, &mut acc);
        acc.unwrap_or_else(|| fallback.clone())
    }

    fn join(acc: &mut Option<Range<usize>>, r: Range<usize>) {
        *acc = Some(match acc.take() {
            None => r,
            Some(a) => a.start.min(r.start)..a.end.max(r.end),
        });
    }

    fn collect_span(&self, term: &Term<&'s str>, acc: &mut Option<Range<usize>>) {
        let leaf = |s: &str, acc: &mut Option<Range<usize>>, widen: (usize, usize)| {
            if let Some(r) = self.slice_span(s) {
                Self::join(
                    acc,
                    r.start.saturating_sub(widen.0)..(r.end + widen.1).min(self.text.len()),
                );
            }
        };
        match term {
            Term::Id | Term::Recurse => {}
            Term::Num(n) => leaf(n, acc, (0, 0)),
            Term::Var(v) | Term::Break(v) => leaf(v, acc, (0, 0)),
            Term::Call(name, args) => {
                leaf(name, acc, (0, 0));
                for a in args {
                    self.collect_span(a, acc);
                }
                // Include the closing parenthesis of the argument list.
                if !args.is_empty() {
                    if let Some(r) = acc.clone() {
                        if self.text[r.end..].trim_start().starts_with(')') {
                            let close = r.end + self.text[r.end..].find(')').unwrap_or(0) + 1;
                            *acc = Some(r.start..close);
                        }
                    }
                }
            }
            Term::Str(fmt, parts) => {
                if let Some(f) = fmt {
                    leaf(f, acc, (0, 0));
                }
                for p in parts {
                    match p {
                        JStrPart::Str(s) => leaf(s, acc, (1, 1)),
                        JStrPart::Term(t) => self.collect_span(t, acc),
                        JStrPart::Char(_) => {}
                    }
                }
            }
            Term::Arr(Some(t)) | Term::Neg(t) | Term::Label(_, t) => self.collect_span(t, acc),
            Term::Arr(None) => {}
            Term::Obj(entries) => {
                for (k, v) in entries {
                    self.collect_span(k, acc);
                    if let Some(v) = v {
                        self.collect_span(v, acc);
                    }
                }
            }
            Term::BinOp(l, _, r) => {
                self.collect_span(l, acc);
                self.collect_span(r, acc);
            }
            Term::Fold(_, xs, _, args) => {
                self.collect_span(xs, acc);
                for a in args {
                    self.collect_span(a, acc);
                }
            }
            Term::TryCatch(t, c) => {
                self.collect_span(t, acc);
                if let Some(c) = c {
                    self.collect_span(c, acc);
                }
            }
            Term::IfThenElse(branches, otherwise) => {
                for (c, t) in branches {
                    self.collect_span(c, acc);
                    self.collect_span(t, acc);
                }
                if let Some(o) = otherwise {
                    self.collect_span(o, acc);
                }
            }
            Term::Def(defs, body) => {
                for d in defs {
                    self.collect_span(&d.body, acc);
                }
                self.collect_span(body, acc);
            }
            Term::Path(base, path) => {
                self.collect_span(base, acc);
                for (part, _) in &path.0 {
                    match part {
                        Part::Index(Term::Str(None, parts)) if parts.len() == 1 => {
                            // `.key`: include the dot.
                            if let JStrPart::Str(s) = &parts[0] {
                                if let Some(r) = self.slice_span(s) {
                                    let dot = r.start.saturating_sub(1);
                                    let quoted = self.text.as_bytes().get(dot) == Some(&b'"');
                                    let start = if quoted { dot.saturating_sub(1) } else { dot };
                                    let end = if quoted { r.end + 1 } else { r.end };
                                    Self::join(acc, start..end.min(self.text.len()));
                                }
                            }
                        }
                        Part::Index(i) => self.collect_span(i, acc),
                        Part::Range(a, b) => {
                            if let Some(a) = a {
                                self.collect_span(a, acc);
                            }
                            if let Some(b) = b {
                                self.collect_span(b, acc);
                            }
                        }
                    }
                }
            }
        }
    }
}
