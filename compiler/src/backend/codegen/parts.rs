//! Values and operators: literals, indexing, strings, objects, builtin calls.

use super::{Cont, FnGen};
use crate::jq::builtins::Imp;
use crate::jq::ir::*;
use proc_macro2::{Ident, TokenStream};
use quote::quote;

impl FnGen<'_> {
    pub(super) fn lit(&mut self, lit: &Lit) -> TokenStream {
        let rt = self.rt();
        match lit {
            Lit::Null => quote!(#rt::Value::Null),
            Lit::Bool(b) => quote!(#rt::Value::Bool(#b)),
            Lit::Num(text) => match lit.plain_int() {
                Some(n) => quote!(#rt::Value::number(#n)),
                None => {
                    let id = self.m.number_static(text);
                    quote!(#id.clone())
                }
            },
            Lit::Str(s) => {
                let id = self.m.string_static(s);
                quote!(#id.clone())
            }
        }
    }

    /// Binary operators: the right operand is the outer loop, the left the inner (jq's order).
    pub(super) fn binary(
        &mut self,
        a: &Expr,
        b: &Expr,
        input: &TokenStream,
        k: &mut Cont<'_>,
        op: impl Fn(&TokenStream, &Ident, &Ident) -> TokenStream,
    ) -> TokenStream {
        self.expr(b, input, &mut |g, vb| {
            let tb = g.fresh("r");
            let inner = g.expr(a, input, &mut |g, va| {
                let ta = g.fresh("l");
                let rt = g.rt();
                let value = op(&rt, &ta, &tb);
                let rest = g.bind_then(value, k);
                quote! {
                    let #ta = #va;
                    #rest
                }
            });
            quote! {
                let #tb = #vb;
                #inner
            }
        })
    }

    /// Runs the fallible step `value` (an `R<Value>` expression): its error raises, or with
    /// `opt` (jq's `?` on a path step) makes the step produce nothing.
    pub(super) fn step(&mut self, value: TokenStream, opt: bool, k: &mut Cont<'_>) -> TokenStream {
        if !opt {
            return self.bind_then(quote!(#value?), k);
        }
        let t = self.fresh("t");
        let rest = k(self, quote!(#t));
        quote! {
            if let ::core::result::Result::Ok(#t) = #value {
                #rest
            }
        }
    }

    pub(super) fn index(
        &mut self,
        base: &Expr,
        key: &Expr,
        opt: bool,
        input: &TokenStream,
        k: &mut Cont<'_>,
    ) -> TokenStream {
        // `.key` and `.[n]` with literal keys: no key evaluation, and no clone of the base when
        // it is the input itself.
        if let ExprKind::Lit(lit) = &key.kind {
            let lit = lit.clone();
            if let ExprKind::Identity = base.kind {
                let value = self.index_lit(input, &lit);
                return self.step(value, opt, k);
            }
            return self.expr(base, input, &mut |g, vb| {
                let t = g.fresh("b");
                let value = g.index_lit(&quote!(&#t), &lit);
                let rest = g.step(value, opt, k);
                quote! {
                    let #t = #vb;
                    #rest
                }
            });
        }
        self.expr(key, input, &mut |g, vk| {
            let tk = g.fresh("k");
            let inner = g.expr(base, input, &mut |g, vb| {
                let rt = g.rt();
                g.step(quote!(#rt::index(&#vb, &#tk)), opt, k)
            });
            quote! {
                let #tk = #vk;
                #inner
            }
        })
    }

    /// `R<Value>` expression indexing `base` (a `&Value` expression) with a literal key.
    pub(super) fn index_lit(&mut self, base: &TokenStream, lit: &Lit) -> TokenStream {
        let rt = self.rt();
        match lit {
            Lit::Str(s) => quote!(#rt::index_field(#base, #s)),
            other => {
                let key = self.lit(other);
                quote!(#rt::index(#base, &#key))
            }
        }
    }

    pub(super) fn string(
        &mut self,
        fmt: Option<Format>,
        parts: &[StrPart],
        input: &TokenStream,
        k: &mut Cont<'_>,
    ) -> TokenStream {
        // Interpolated parts are evaluated like `+` chains: the last part is the outermost loop.
        let interps: Vec<&Expr> = parts
            .iter()
            .filter_map(|p| match p {
                StrPart::Interp(e) => Some(e),
                StrPart::Lit(_) => None,
            })
            .collect();
        let idents: Vec<Ident> = interps.iter().map(|_| self.fresh("s")).collect();
        let rt = self.rt();
        let mut build = Vec::new();
        let mut i = 0;
        for part in parts {
            match part {
                StrPart::Lit(s) => build.push(quote!(out.push_str(#s);)),
                StrPart::Interp(_) => {
                    let id = &idents[i];
                    i += 1;
                    build.push(match fmt {
                        None | Some(Format::Text) => {
                            quote!(#rt::push_interpolated(&mut out, &#id);)
                        }
                        Some(f) => {
                            let name = f.name();
                            quote! {
                                match #rt::format(#name, &#id)? {
                                    #rt::Value::String(s) => out.push_str(&s),
                                    other => out.push_str(&#rt::tojson_string(&other)),
                                }
                            }
                        }
                    });
                }
            }
        }
        let build = quote! {
            {
                let mut out = ::std::string::String::new();
                #(#build)*
                #rt::Value::from(out)
            }
        };
        self.nest_values(&interps, &idents, input, &mut |g| {
            g.bind_then(build.clone(), k)
        })
    }

    /// Evaluates `exprs` in reverse order (last outermost), binding each output to `idents`.
    pub(super) fn nest_values(
        &mut self,
        exprs: &[&Expr],
        idents: &[Ident],
        input: &TokenStream,
        inner: &mut dyn FnMut(&mut FnGen<'_>) -> TokenStream,
    ) -> TokenStream {
        let Some((last, rest_exprs)) = exprs.split_last() else {
            return inner(self);
        };
        let (last_id, rest_ids) = idents.split_last().expect("same length");
        self.expr(last, input, &mut |g, v| {
            let rest = g.nest_values(rest_exprs, rest_ids, input, inner);
            quote! {
                let #last_id = #v;
                #rest
            }
        })
    }

    pub(super) fn object(
        &mut self,
        entries: &[(Expr, Expr)],
        input: &TokenStream,
        k: &mut Cont<'_>,
    ) -> TokenStream {
        // Entries in source order, first outermost; within an entry the key is the outer loop.
        let map = self.fresh("obj");
        let rt = self.rt();
        let mut exprs: Vec<&Expr> = Vec::new();
        for (key, value) in entries {
            exprs.push(key);
            exprs.push(value);
        }
        // nest_values puts the last expression outermost, so feed it reversed.
        exprs.reverse();
        let idents: Vec<Ident> = exprs.iter().map(|_| self.fresh("o")).collect();
        let mut inserts = Vec::new();
        for pair in idents.chunks(2).rev() {
            // reversed: pair[1] is the key, pair[0] the value
            let (value, key) = (&pair[0], &pair[1]);
            inserts.push(quote!(#rt::object_insert(&mut #map, #key.clone(), #value.clone())?;));
        }
        let n = entries.len();
        let build = quote! {
            {
                let mut #map = #rt::Map::with_capacity(#n);
                #(#inserts)*
                #rt::Value::from(#map)
            }
        };
        self.nest_values(&exprs, &idents, input, &mut |g| {
            g.bind_then(build.clone(), k)
        })
    }

    pub(super) fn call(
        &mut self,
        b: Builtin,
        args: &[Expr],
        input: &TokenStream,
        k: &mut Cont<'_>,
    ) -> TokenStream {
        let rt = self.rt();
        let native = b.native();
        let f = syn::Ident::new(native.rust, proc_macro2::Span::call_site());
        // Arguments: the first is the outermost loop.
        let arg_refs: Vec<&Expr> = args.iter().rev().collect();
        let idents: Vec<Ident> = args.iter().map(|_| self.fresh("a")).collect();
        let ids_rev: Vec<Ident> = idents.iter().rev().cloned().collect();
        let (call, diverges) = match native.imp {
            Imp::Const(_) => (quote!(#rt::#f()), false),
            Imp::Raise(_) => (
                quote!(return ::core::result::Result::Err(#rt::#f(#input))),
                true,
            ),
            Imp::RaiseArg(_) => {
                let a = &idents[0];
                (
                    quote!(return ::core::result::Result::Err(#rt::#f(&#a))),
                    true,
                )
            }
            Imp::Input(_) | Imp::Unary(_) | Imp::Binary(_) => {
                (quote!(#rt::#f(#input #(, &#idents)*)?), false)
            }
        };
        self.nest_values(&arg_refs, &ids_rev, input, &mut |g| {
            if diverges {
                quote!(#call;)
            } else {
                g.bind_then(call.clone(), k)
            }
        })
    }

    /// `@base64` and friends on the input.
    pub(super) fn format(
        &mut self,
        fmt: Format,
        input: &TokenStream,
        k: &mut Cont<'_>,
    ) -> TokenStream {
        let rt = self.rt();
        let name = fmt.name();
        self.bind_then(quote!(#rt::format(#name, #input)?), k)
    }
}
