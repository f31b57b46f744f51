//! Control flow that needs more than a continuation: `try`, `reduce`/`foreach`, regex builtins
//! with replacement filters, and path updates.

use super::{ok, Cont, FnGen};
use crate::jq::ir::*;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

impl FnGen<'_> {
    pub(super) fn try_(
        &mut self,
        body: &Expr,
        handler: Option<&Expr>,
        input: &TokenStream,
        k: &mut Cont<'_>,
    ) -> TokenStream {
        let rt = self.rt();
        let outs = self.fresh("outs");
        let res = self.fresh("res");
        self.closure_depth += 1;
        let inner = self.expr(body, input, &mut |_, v| quote!(#outs.push(#v);));
        self.closure_depth -= 1;
        let item = self.fresh("item");
        let each = k(self, quote!(#item));
        let caught = match handler {
            None => TokenStream::new(),
            Some(h) => {
                let ev = self.fresh("err");
                let handle = self.expr(h, &quote!(&#ev), k);
                quote! {
                    if let ::core::result::Result::Err(e) = #res {
                        let #ev = #rt::catch_value(e)?;
                        #handle
                    }
                }
            }
        };
        let reraise = if handler.is_none() {
            quote! {
                if let ::core::result::Result::Err(e) = #res {
                    #rt::catch_value(e)?;
                }
            }
        } else {
            TokenStream::new()
        };
        let ok = ok();
        quote! {
            let mut #outs: ::std::vec::Vec<#rt::Value> = ::std::vec::Vec::new();
            let #res: #rt::R<()> = (|| {
                #inner
                #ok
            })();
            for #item in #outs {
                #each
            }
            #reraise
            #caught
        }
    }

    pub(super) fn fold(
        &mut self,
        fold: &Fold,
        input: &TokenStream,
        k: &mut Cont<'_>,
    ) -> TokenStream {
        let rt = self.rt();
        let state = self.fresh("state");
        let var = Self::var_ident(fold.var);
        self.expr(&fold.init, input, &mut |g, vi| {
            let upd = g.fresh("upd");
            let update = g.expr(
                &fold.update,
                &quote!(&#state),
                &mut |_, v| quote!(#upd.push(#v);),
            );
            let source_loop = if fold.is_foreach {
                let u = g.fresh("u");
                let each = match &fold.extract {
                    None => k(g, quote!(#u.clone())),
                    Some(x) => g.expr(x, &quote!(&#u), k),
                };
                g.expr(&fold.source, input, &mut |_, vs| {
                    quote! {
                        let #var: #rt::Value = #vs;
                        let mut #upd: ::std::vec::Vec<#rt::Value> = ::std::vec::Vec::new();
                        #update
                        for #u in #upd {
                            #state = #u.clone();
                            #each
                        }
                    }
                })
            } else {
                g.expr(&fold.source, input, &mut |_, vs| {
                    quote! {
                        let #var: #rt::Value = #vs;
                        let mut #upd: ::std::vec::Vec<#rt::Value> = ::std::vec::Vec::new();
                        #update
                        // jq 1.8: the last output of the update is the new state; none → null.
                        #state = #upd.pop().unwrap_or(#rt::Value::Null);
                    }
                })
            };
            let finish = if fold.is_foreach {
                TokenStream::new()
            } else {
                k(g, quote!(#state.clone()))
            };
            quote! {
                let mut #state: #rt::Value = #vi;
                #source_loop
                #finish
            }
        })
    }

    pub(super) fn regex(
        &mut self,
        op: RegexOp,
        pattern: &Expr,
        flags: &Expr,
        replacement: Option<&Expr>,
        input: &TokenStream,
        k: &mut Cont<'_>,
    ) -> TokenStream {
        let rt = self.rt();
        let global_by_op = matches!(
            op,
            RegexOp::Gsub | RegexOp::Scan | RegexOp::Splits | RegexOp::Split
        );
        // Compile constant patterns once, in a static.
        let constant = match (&pattern.kind, &flags.kind) {
            (ExprKind::Lit(Lit::Str(p)), ExprKind::Lit(Lit::Str(f))) => {
                Some((p.clone(), f.clone()))
            }
            (ExprKind::Lit(Lit::Str(p)), ExprKind::Lit(Lit::Null)) => {
                Some((p.clone(), String::new()))
            }
            _ => None,
        };
        let re = self.fresh("re");
        let global = self.fresh("global");
        let apply = |g: &mut FnGen<'_>, k: &mut Cont<'_>| -> TokenStream {
            let rt = g.rt();
            let many = |g: &mut FnGen<'_>, call: TokenStream, k: &mut Cont<'_>| {
                let item = g.fresh("item");
                let rest = k(g, quote!(#item));
                quote! {
                    for #item in #call {
                        #rest
                    }
                }
            };
            match op {
                RegexOp::Test => g.bind_then(quote!(#rt::test(#input, #re)?), k),
                RegexOp::Match => many(g, quote!(#rt::regex_match(#input, #re, #global)?), k),
                RegexOp::Capture => many(g, quote!(#rt::capture(#input, #re, #global)?), k),
                RegexOp::Scan => many(g, quote!(#rt::scan(#input, #re, #global)?), k),
                RegexOp::Splits => many(g, quote!(#rt::splits(#input, #re)?), k),
                RegexOp::Split => g.bind_then(quote!(#rt::split_re(#input, #re)?), k),
                RegexOp::Sub | RegexOp::Gsub => {
                    let repl = replacement.expect("sub has a replacement");
                    let caps = g.fresh("caps");
                    let outs = g.fresh("outs");
                    g.closure_depth += 1;
                    let body = g.expr(repl, &quote!(&#caps), &mut |_, v| quote!(#outs.push(#v);));
                    g.closure_depth -= 1;
                    let call = quote! {
                        #rt::regex_sub(#input, #re, #global, &mut |#caps: #rt::Value| -> #rt::R<::std::vec::Vec<#rt::Value>> {
                            let mut #outs: ::std::vec::Vec<#rt::Value> = ::std::vec::Vec::new();
                            #body
                            ::core::result::Result::Ok(#outs)
                        })?
                    };
                    many(g, call, k)
                }
            }
        };
        let is_gsub = matches!(op, RegexOp::Gsub);
        match constant {
            Some((p, f)) => {
                let mut flags_text = f.clone();
                if is_gsub && !flags_text.contains('g') {
                    flags_text.push('g');
                }
                let st = self.m.regex_static(&p, &flags_text);
                let body = apply(self, k);
                let g_val = global_by_op || flags_text.contains('g');
                quote! {
                    let #re: &#rt::Regex = match &*#st {
                        ::core::result::Result::Ok(r) => r,
                        ::core::result::Result::Err(e) => return ::core::result::Result::Err(e.clone()),
                    };
                    let #global: bool = #g_val;
                    #body
                }
            }
            None => {
                let pv = self.fresh("pat");
                let fv = self.fresh("flg");
                let re_owned = format_ident!("{}_owned", re);
                let body = apply(self, k);
                let inner = quote! {
                    let #re_owned = #rt::regex_dynamic(&#pv, &#fv, #is_gsub)?;
                    let #re: &#rt::Regex = &#re_owned.0;
                    let #global: bool = #global_by_op || #re_owned.1;
                    #body
                };
                let exprs = [flags, pattern];
                let idents = [fv, pv];
                self.nest_values(&exprs, &idents, input, &mut |_| inner.clone())
            }
        }
    }

    pub(super) fn update(
        &mut self,
        path: &[PathStep],
        rhs: &Expr,
        mode: UpdateMode,
        input: &TokenStream,
        k: &mut Cont<'_>,
    ) -> TokenStream {
        let rt = self.rt();
        // Evaluate the path's key expressions on the input (all outputs: several keys = several paths).
        let mut setup = Vec::new();
        let mut steps = Vec::new();
        for step in path {
            match step {
                PathStep::Iterate => steps.push(quote!(#rt::PathKey::Iterate)),
                PathStep::Index(e) => {
                    let keys = self.fresh("keys");
                    let fill = self.expr(e, input, &mut |_, v| quote!(#keys.push(#v);));
                    setup.push(quote! {
                        let mut #keys: ::std::vec::Vec<#rt::Value> = ::std::vec::Vec::new();
                        #fill
                    });
                    steps.push(quote!(#rt::PathKey::Keys(#keys.clone())));
                }
                PathStep::Slice(a, b) => {
                    let (ka, kb) = (self.fresh("from"), self.fresh("to"));
                    let fa = self.expr(a, input, &mut |_, v| quote!(#ka = #v;));
                    let fb = self.expr(b, input, &mut |_, v| quote!(#kb = #v;));
                    setup.push(quote! {
                        let mut #ka = #rt::Value::Null;
                        #fa
                        let mut #kb = #rt::Value::Null;
                        #fb
                    });
                    steps.push(quote!(#rt::PathKey::Slice(#ka.clone(), #kb.clone())));
                }
            }
        }
        let steps_id = self.fresh("steps");
        let old = self.fresh("old");
        let rhs_value = self.fresh("rhs");
        // For `|=` the rhs runs on each old value (first output; none deletes); the other modes
        // evaluate rhs on the input first and update with each of its outputs.
        let result = match mode {
            UpdateMode::Modify => {
                // jq 1.8's `_modify` keeps the first output and evaluates no further.
                self.closure_depth += 1;
                let body = self.expr(rhs, &quote!(&#old), &mut |_, v| {
                    quote!(return ::core::result::Result::Ok(::core::option::Option::Some(#v));)
                });
                self.closure_depth -= 1;
                self.bind_then(
                    quote! {
                        #rt::update_path((#input).clone(), &#steps_id, &mut |#old: #rt::Value| -> #rt::R<::core::option::Option<#rt::Value>> {
                            #body
                            ::core::result::Result::Ok(::core::option::Option::None)
                        })?
                    },
                    k,
                )
            }
            other => {
                let combine = match other {
                    UpdateMode::Assign => quote!(#rhs_value.clone()),
                    UpdateMode::Arith(op) => {
                        let f = match op {
                            MathOp::Add => quote!(add),
                            MathOp::Sub => quote!(sub),
                            MathOp::Mul => quote!(mul),
                            MathOp::Div => quote!(div),
                            MathOp::Rem => quote!(rem),
                        };
                        quote!(#rt::#f(&#old, &#rhs_value)?)
                    }
                    UpdateMode::Alt => quote! {
                        if #rt::truthy(&#old) { #old.clone() } else { #rhs_value.clone() }
                    },
                    UpdateMode::Modify => unreachable!(),
                };
                self.expr(rhs, input, &mut |g, v| {
                    let rest = g.bind_then(
                        quote! {
                            #rt::update_path((#input).clone(), &#steps_id, &mut |#old: #rt::Value| -> #rt::R<::core::option::Option<#rt::Value>> {
                                ::core::result::Result::Ok(::core::option::Option::Some(#combine))
                            })?
                        },
                        k,
                    );
                    quote! {
                        let #rhs_value = #v;
                        #rest
                    }
                })
            }
        };
        quote! {
            #(#setup)*
            let #steps_id = [#(#steps),*];
            #result
        }
    }
}
