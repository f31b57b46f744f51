//! IR → Rust tokens.
//!
//! Generated code is push-style and fully inlined: generating an expression takes a
//! *continuation* — the code to run for each output — and returns statements that compute the
//! outputs and run the continuation on each. Generators become `for` loops, exactly-one
//! expressions become straight-line `let`s, and stopping early (`first(f)`, `limit`, Ocean's
//! first-output rule) is a `break` to a labelled block or a `return`, so nothing is collected
//! that does not have to be. Errors propagate with `?`; `try` bodies run inside an immediately
//! called closure so that only errors raised *inside* the body are caught, never those raised by
//! the continuation (jq's rule).

use crate::jq::ir::*;

mod control;
mod mapping;
mod parts;
pub use mapping::{empty_mapping, generate, Embedded};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};
use std::collections::HashMap;

/// Why an IR could not be turned into Rust (constructs valid in the IR that this generator
/// does not handle).
#[derive(Clone, Debug, PartialEq)]
pub struct CodegenError {
    pub span: std::ops::Range<usize>,
    pub message: String,
}

/// Shared state while generating one module: statics (string literals, regexes) are pooled.
pub struct ModuleGen {
    rt: TokenStream,
    statics: Vec<TokenStream>,
    /// Statics by (name prefix, text, second text): string and number literals, regexes.
    pooled: HashMap<(&'static str, String, String), Ident>,
    next: u32,
}

impl ModuleGen {
    /// `rt` is the path of the runtime support module, e.g. `::opsgenie_port_runtime::__private`.
    pub fn new(rt: TokenStream) -> ModuleGen {
        ModuleGen {
            rt,
            statics: Vec::new(),
            pooled: HashMap::new(),
            next: 0,
        }
    }

    /// The `static` items generated functions refer to.
    pub fn statics(&self) -> TokenStream {
        let s = &self.statics;
        quote!(#(#s)*)
    }

    pub(super) fn fresh(&mut self, prefix: &str) -> Ident {
        self.next += 1;
        format_ident!("{}{}", prefix, self.next)
    }

    /// A function `fn name(input: &Value, sink: &mut dyn FnMut(Value) -> bool) -> R<()>` that
    /// pushes every output of `expr` into `sink` until it returns `false`.
    pub fn stream_fn(&mut self, name: &Ident, expr: &Expr) -> Result<TokenStream, CodegenError> {
        let rt = self.rt.clone();
        let mut f = FnGen {
            m: self,
            closure_depth: 0,
            labels: Vec::new(),
        };
        let body = f.expr(expr, &quote!(input), &mut |_, v| {
            quote! {
                if !sink(#v) {
                    return ::core::result::Result::Ok(());
                }
            }
        })?;
        Ok(quote! {
            #[allow(unused_variables, unused_mut, unused_assignments, unused_labels, unreachable_code, clippy::all)]
            pub fn #name(
                input: &#rt::Value,
                sink: &mut dyn ::core::ops::FnMut(#rt::Value) -> bool,
            ) -> #rt::R<()> {
                #body
                ::core::result::Result::Ok(())
            }
        })
    }

    /// A function `fn name(input: &Value) -> R<Option<Value>>`: the first output (Ocean's rule),
    /// computed lazily — later outputs and later errors are never evaluated.
    pub fn first_fn(&mut self, name: &Ident, expr: &Expr) -> Result<TokenStream, CodegenError> {
        let rt = self.rt.clone();
        let mut f = FnGen {
            m: self,
            closure_depth: 0,
            labels: Vec::new(),
        };
        let body = f.expr(expr, &quote!(input), &mut |_, v| {
            quote! { return ::core::result::Result::Ok(::core::option::Option::Some(#v)); }
        })?;
        Ok(quote! {
            #[allow(unused_variables, unused_mut, unused_assignments, unused_labels, unreachable_code, clippy::all)]
            pub fn #name(input: &#rt::Value) -> #rt::R<::core::option::Option<#rt::Value>> {
                #body
                ::core::result::Result::Ok(::core::option::Option::None)
            }
        })
    }

    /// A pooled `static` (one per distinct key) initialised by `init`; returns its name.
    fn pooled_static(
        &mut self,
        key: (&'static str, String, String),
        ty: TokenStream,
        init: TokenStream,
    ) -> Ident {
        if let Some(id) = self.pooled.get(&key) {
            return id.clone();
        }
        let id = self.fresh(key.0);
        self.statics.push(quote! {
            static #id: ::std::sync::LazyLock<#ty> = ::std::sync::LazyLock::new(|| #init);
        });
        self.pooled.insert(key, id.clone());
        id
    }

    fn string_static(&mut self, s: &str) -> Ident {
        let rt = self.rt.clone();
        self.pooled_static(
            ("STR_", s.to_string(), String::new()),
            quote!(#rt::Value),
            quote!(#rt::Value::from(#s)),
        )
    }

    fn number_static(&mut self, text: &str) -> Ident {
        let rt = self.rt.clone();
        self.pooled_static(
            ("NUM_", text.to_string(), String::new()),
            quote!(#rt::Value),
            quote!(#rt::Value::number_literal(#text)),
        )
    }

    fn regex_static(&mut self, pattern: &str, flags: &str) -> Ident {
        let rt = self.rt.clone();
        self.pooled_static(
            ("RE_", pattern.to_string(), flags.to_string()),
            quote!(#rt::R<#rt::Regex>),
            quote!(#rt::Regex::new(#pattern, #flags)),
        )
    }
}

type Cont<'a> = dyn FnMut(&mut FnGen<'_>, TokenStream) -> TokenStream + 'a;

struct FnGen<'m> {
    m: &'m mut ModuleGen,
    /// How many `try` closures enclose the code being generated.
    closure_depth: u32,
    /// Labels in scope: (label, its Rust label, closure depth where it was declared).
    labels: Vec<(LabelId, syn::Lifetime, u32)>,
}

/// Continuations return tokens, not results: an error met inside one is kept here and raised
/// by [`finish`] once the enclosing expression is generated.
fn stash(slot: &mut Option<CodegenError>, e: CodegenError) -> TokenStream {
    slot.get_or_insert(e);
    TokenStream::new()
}

fn finish(slot: Option<CodegenError>, code: TokenStream) -> Result<TokenStream, CodegenError> {
    match slot {
        Some(e) => Err(e),
        None => Ok(code),
    }
}

fn ok() -> TokenStream {
    quote!(::core::result::Result::Ok(()))
}

impl FnGen<'_> {
    pub(super) fn rt(&self) -> TokenStream {
        self.m.rt.clone()
    }

    pub(super) fn fresh(&mut self, prefix: &str) -> Ident {
        self.m.fresh(prefix)
    }

    pub(super) fn var_ident(v: VarId) -> Ident {
        format_ident!("var_{}", v.0)
    }

    /// Binds the value expression `v` to a fresh local and passes the local to `k`.
    pub(super) fn bind_then(&mut self, v: TokenStream, k: &mut Cont<'_>) -> TokenStream {
        // Continuations use their value exactly once, so the local is moved, not cloned.
        let t = self.fresh("t");
        let rest = k(self, quote!(#t));
        quote! {
            let #t = #v;
            #rest
        }
    }

    pub(super) fn expr(
        &mut self,
        e: &Expr,
        input: &TokenStream,
        k: &mut Cont<'_>,
    ) -> Result<TokenStream, CodegenError> {
        let rt = self.rt();
        Ok(match &e.kind {
            ExprKind::Identity => k(self, quote!((#input).clone())),
            ExprKind::Recurse => {
                let v = self.fresh("v");
                let body = k(self, quote!(#v));
                quote! {
                    for #v in #rt::recurse_values(#input) {
                        #body
                    }
                }
            }
            ExprKind::Lit(lit) => {
                let v = self.lit(lit);
                k(self, v)
            }
            ExprKind::Str(fmt, parts) => self.string(*fmt, parts, input, k)?,
            ExprKind::Array(None) => k(
                self,
                quote!(#rt::Value::from(::std::vec::Vec::<#rt::Value>::new())),
            ),
            ExprKind::Array(Some(f)) => {
                let arr = self.fresh("arr");
                let fill = self.expr(f, input, &mut |_, v| quote!(#arr.push(#v);))?;
                let rest = k(self, quote!(#rt::Value::from(::core::mem::take(&mut #arr))));
                quote! {
                    let mut #arr: ::std::vec::Vec<#rt::Value> = ::std::vec::Vec::new();
                    #fill
                    #rest
                }
            }
            ExprKind::Object(entries) => self.object(entries, input, k)?,
            ExprKind::Neg(a) => self.expr(a, input, &mut |g, v| {
                let rt = g.rt();
                g.bind_then(quote!(#rt::neg(&#v)?), k)
            })?,
            ExprKind::Pipe(a, b) => {
                let mut err = None;
                let code = self.expr(a, input, &mut |g, v| {
                    let t = g.fresh("p");
                    match g.expr(b, &quote!(&#t), k) {
                        Ok(rest) => quote! {
                            let #t = #v;
                            #rest
                        },
                        Err(e) => stash(&mut err, e),
                    }
                })?;
                finish(err, code)?
            }
            ExprKind::Bind { source, var, body } => {
                let id = Self::var_ident(*var);
                let mut err = None;
                let code = self.expr(source, input, &mut |g, v| match g.expr(body, input, k) {
                    Ok(rest) => quote! {
                        let #id: #rt::Value = #v;
                        #rest
                    },
                    Err(e) => stash(&mut err, e),
                })?;
                finish(err, code)?
            }
            ExprKind::Comma(a, b) => {
                let first = self.expr(a, input, k)?;
                let second = self.expr(b, input, k)?;
                quote!(#first #second)
            }
            ExprKind::Alt(a, b) => {
                // Every truthy output of `a`; if there was none, the outputs of `b`. Errors of
                // `a` propagate (jq 1.8.2 measured).
                let found = self.fresh("found");
                let left = self.expr(a, input, &mut |g, v| {
                    let t = g.fresh("t");
                    let rest = k(g, quote!(#t));
                    let rt = g.rt();
                    quote! {
                        let #t = #v;
                        if #rt::truthy(&#t) {
                            #found = true;
                            #rest
                        }
                    }
                })?;
                let right = self.expr(b, input, k)?;
                quote! {
                    let mut #found = false;
                    #left
                    if !#found {
                        #right
                    }
                }
            }
            ExprKind::And(a, b) | ExprKind::Or(a, b) => {
                let is_and = matches!(e.kind, ExprKind::And(..));
                let mut err = None;
                let code = self.expr(a, input, &mut |g, va| {
                    let rt = g.rt();
                    let short = k(g, quote!(#rt::Value::Bool(#is_and == false)));
                    let long = match g.expr(b, input, &mut |g, vb| {
                        let rt = g.rt();
                        k(g, quote!(#rt::Value::Bool(#rt::truthy(&#vb))))
                    }) {
                        Ok(c) => c,
                        Err(e) => stash(&mut err, e),
                    };
                    let t = g.fresh("t");
                    if is_and {
                        quote! {
                            let #t = #va;
                            if #rt::truthy(&#t) { #long } else { #short }
                        }
                    } else {
                        quote! {
                            let #t = #va;
                            if #rt::truthy(&#t) { #short } else { #long }
                        }
                    }
                })?;
                finish(err, code)?
            }
            ExprKind::Math(op, a, b) => {
                let f = match op {
                    MathOp::Add => quote!(add),
                    MathOp::Sub => quote!(sub),
                    MathOp::Mul => quote!(mul),
                    MathOp::Div => quote!(div),
                    MathOp::Rem => quote!(rem),
                };
                self.binary(a, b, input, k, move |rt, l, r| quote!(#rt::#f(&#l, &#r)?))?
            }
            ExprKind::Cmp(op, a, b) => {
                let f = match op {
                    CmpOp::Eq => quote!(eq),
                    CmpOp::Ne => quote!(ne),
                    CmpOp::Lt => quote!(lt),
                    CmpOp::Le => quote!(le),
                    CmpOp::Gt => quote!(gt),
                    CmpOp::Ge => quote!(ge),
                };
                self.binary(
                    a,
                    b,
                    input,
                    k,
                    move |rt, l, r| quote!(#rt::Value::Bool(#rt::#f(&#l, &#r))),
                )?
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                let mut err = None;
                let code = self.expr(cond, input, &mut |g, c| {
                    let rt = g.rt();
                    let a = g.expr(then, input, k);
                    let b = g.expr(otherwise, input, k);
                    match (a, b) {
                        (Ok(a), Ok(b)) => quote! {
                            if #rt::truthy(&#c) { #a } else { #b }
                        },
                        (Err(e), _) | (_, Err(e)) => stash(&mut err, e),
                    }
                })?;
                finish(err, code)?
            }
            ExprKind::Try { body, handler } => self.try_(body, handler.as_deref(), input, k)?,
            ExprKind::Fold(fold) => self.fold(fold, input, k)?,
            ExprKind::Label(id, body) => {
                let label =
                    syn::Lifetime::new(&format!("'{}", self.fresh("label")), Span::call_site());
                self.labels.push((*id, label.clone(), self.closure_depth));
                let inner = self.expr(body, input, k);
                self.labels.pop();
                let inner = inner?;
                quote! {
                    #label: {
                        #inner
                    }
                }
            }
            ExprKind::Break(id) => {
                let Some((_, label, depth)) =
                    self.labels.iter().rev().find(|(l, _, _)| l == id).cloned()
                else {
                    return Err(CodegenError {
                        span: e.span.clone(),
                        message: "`break` without a label in scope".into(),
                    });
                };
                if depth != self.closure_depth {
                    return Err(CodegenError {
                        span: e.span.clone(),
                        message: "`break` out of a `try` body or a `walk` filter is not supported"
                            .into(),
                    });
                }
                quote!(break #label;)
            }
            ExprKind::Index { base, key, opt } => self.index(base, key, *opt, input, k)?,
            ExprKind::Slice {
                base,
                from,
                to,
                opt,
            } => {
                let opt = *opt;
                let mut err = None;
                let code = self.expr(from, input, &mut |g, vf| {
                    let tf = g.fresh("t");
                    let inner = g.expr(to, input, &mut |g, vt| {
                        let tt = g.fresh("t");
                        let inner = g.expr(base, input, &mut |g, vb| {
                            let rt = g.rt();
                            g.step(quote!(#rt::slice(&#vb, &#tf, &#tt)), opt, k)
                        });
                        match inner {
                            Ok(inner) => quote! { let #tt = #vt; #inner },
                            Err(e) => stash(&mut err, e),
                        }
                    });
                    match inner {
                        Ok(inner) => quote! { let #tf = #vf; #inner },
                        Err(e) => stash(&mut err, e),
                    }
                })?;
                finish(err, code)?
            }
            ExprKind::Iterate(base, opt) => self.expr(base, input, &mut |g, vb| {
                let rt = g.rt();
                let item = g.fresh("item");
                let t = g.fresh("t");
                let rest = k(g, quote!(#item));
                if *opt {
                    // `.[]?`: a non-iterable yields nothing instead of an error.
                    quote! {
                        let #t = #vb;
                        if let ::core::result::Result::Ok(items) = #rt::iterate(&#t) {
                            for #item in items {
                                #rest
                            }
                        }
                    }
                } else {
                    quote! {
                        let #t = #vb;
                        for #item in #rt::iterate(&#t)? {
                            #rest
                        }
                    }
                }
            })?,
            ExprKind::Var(v) => {
                let id = Self::var_ident(*v);
                k(self, quote!(#id.clone()))
            }
            ExprKind::Empty => TokenStream::new(),
            ExprKind::Call(b, args) => self.call(*b, args, input, k)?,
            ExprKind::Format(f) => self.format(*f, input, k),
            ExprKind::Walk(f) => {
                // `f` becomes a closure the runtime calls on every rebuilt value, bottom-up.
                let value = self.fresh("value");
                let outs = self.fresh("outs");
                let each = self.fresh("each");
                let item = self.fresh("item");
                self.closure_depth += 1;
                let inner = self.expr(f, &quote!(#value), &mut |_, v| quote!(#outs.push(#v);));
                self.closure_depth -= 1;
                let inner = inner?;
                let rest = k(self, quote!(#item));
                quote! {
                    let mut #each = |#value: &#rt::Value| -> #rt::R<::std::vec::Vec<#rt::Value>> {
                        let mut #outs: ::std::vec::Vec<#rt::Value> = ::std::vec::Vec::new();
                        #inner
                        ::core::result::Result::Ok(#outs)
                    };
                    for #item in #rt::walk(#input, &mut #each)? {
                        #rest
                    }
                }
            }
            ExprKind::Keyed(op, f) => {
                let elems = self.fresh("elems");
                let keys = self.fresh("keys");
                let elem = self.fresh("elem");
                let key = self.fresh("key");
                // `#elem` is already a `&Value` (from `.iter()`), as every input expression is.
                let compute = self.expr(f, &quote!(#elem), &mut |_, v| quote!(#key.push(#v);))?;
                let func = match op {
                    KeyedOp::SortBy => quote!(sort_by_keys),
                    KeyedOp::GroupBy => quote!(group_by_keys),
                    KeyedOp::UniqueBy => quote!(unique_by_keys),
                    KeyedOp::MinBy => quote!(min_by_keys),
                    KeyedOp::MaxBy => quote!(max_by_keys),
                };
                let rest = self.bind_then(quote!(#rt::#func(#input, #keys)?), k);
                quote! {
                    let #elems = #rt::iterate(#input)?;
                    let mut #keys: ::std::vec::Vec<#rt::Value> = ::std::vec::Vec::with_capacity(#elems.len());
                    for #elem in #elems.iter() {
                        let mut #key: ::std::vec::Vec<#rt::Value> = ::std::vec::Vec::new();
                        #compute
                        #keys.push(#rt::Value::from(#key));
                    }
                    #rest
                }
            }
            ExprKind::Regex {
                op,
                pattern,
                flags,
                replacement,
            } => self.regex(*op, pattern, flags, replacement.as_deref(), input, k)?,
            ExprKind::First(f) => {
                let label =
                    syn::Lifetime::new(&format!("'{}", self.fresh("first")), Span::call_site());
                let body = self.expr(f, input, &mut |g, v| {
                    let rest = k(g, v);
                    quote! {
                        #rest
                        break #label;
                    }
                })?;
                quote! {
                    #label: {
                        #body
                    }
                }
            }
            ExprKind::Limit(n, f) => {
                let label =
                    syn::Lifetime::new(&format!("'{}", self.fresh("limit")), Span::call_site());
                let count = self.fresh("count");
                let nval = self.fresh("n");
                let mut err = None;
                let code = self.expr(n, input, &mut |g, vn| {
                    let rt = g.rt();
                    let body = g.expr(f, input, &mut |g, v| {
                        let rest = k(g, v);
                        quote! {
                            #count += 1;
                            #rest
                            if #count as f64 >= #nval { break #label; }
                        }
                    });
                    match body {
                        Ok(body) => quote! {
                            let #nval = #rt::limit_count(&#vn)?;
                            let mut #count: u64 = 0;
                            if #nval > 0.0 {
                                #label: {
                                    #body
                                }
                            }
                        },
                        Err(e) => stash(&mut err, e),
                    }
                })?;
                finish(err, code)?
            }
            ExprKind::IsEmpty(f) => {
                let label =
                    syn::Lifetime::new(&format!("'{}", self.fresh("isempty")), Span::call_site());
                let empty = self.fresh("empty");
                let body = self.expr(f, input, &mut |_, _v| {
                    quote! {
                        #empty = false;
                        break #label;
                    }
                })?;
                let rest = k(self, quote!(#rt::Value::Bool(#empty)));
                quote! {
                    let mut #empty = true;
                    #label: {
                        #body
                    }
                    #rest
                }
            }
            ExprKind::AnyAll {
                all,
                generator,
                cond,
            } => {
                let label =
                    syn::Lifetime::new(&format!("'{}", self.fresh("anyall")), Span::call_site());
                let result = self.fresh("result");
                let g_out = self.fresh("g");
                let all = *all;
                let mut err = None;
                let body = self.expr(generator, input, &mut |g, vg| {
                    let rt = g.rt();
                    let inner = g.expr(cond, &quote!(&#g_out), &mut |g, vc| {
                        let rt = g.rt();
                        if all {
                            quote! {
                                if !#rt::truthy(&#vc) { #result = false; break #label; }
                            }
                        } else {
                            quote! {
                                if #rt::truthy(&#vc) { #result = true; break #label; }
                            }
                        }
                    });
                    let _ = &rt;
                    match inner {
                        Ok(inner) => quote! {
                            let #g_out = #vg;
                            #inner
                        },
                        Err(e) => stash(&mut err, e),
                    }
                })?;
                let body = finish(err, body)?;
                let rest = k(self, quote!(#rt::Value::Bool(#result)));
                quote! {
                    let mut #result = #all;
                    #label: {
                        #body
                    }
                    #rest
                }
            }
            ExprKind::Range(from, upto, by) => {
                let mut err = None;
                let code = self.expr(from, input, &mut |g, vf| {
                    let tf = g.fresh("t");
                    let inner = g.expr(upto, input, &mut |g, vu| {
                        let tu = g.fresh("t");
                        let inner = g.expr(by, input, &mut |g, vb| {
                            let rt = g.rt();
                            let item = g.fresh("item");
                            let rest = k(g, quote!(#item));
                            quote! {
                                for #item in #rt::range_values(&#tf, &#tu, &#vb)? {
                                    #rest
                                }
                            }
                        });
                        match inner {
                            Ok(inner) => quote! { let #tu = #vu; #inner },
                            Err(e) => stash(&mut err, e),
                        }
                    });
                    match inner {
                        Ok(inner) => quote! { let #tf = #vf; #inner },
                        Err(e) => stash(&mut err, e),
                    }
                })?;
                finish(err, code)?
            }
            ExprKind::Update { path, rhs, mode } => self.update(path, rhs, *mode, input, k)?,
            ExprKind::Unsupported(what) => {
                return Err(CodegenError {
                    span: e.span.clone(),
                    message: format!("{what} is not supported"),
                })
            }
        })
    }
}
