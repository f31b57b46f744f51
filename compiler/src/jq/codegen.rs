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

use super::ir::*;
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
    string_statics: HashMap<String, Ident>,
    number_statics: HashMap<String, Ident>,
    regex_statics: HashMap<(String, String), Ident>,
    next: u32,
}

impl ModuleGen {
    /// `rt` is the path of the runtime support module, e.g. `::opsgenie_port_runtime::__private`.
    pub fn new(rt: TokenStream) -> ModuleGen {
        ModuleGen {
            rt,
            statics: Vec::new(),
            string_statics: HashMap::new(),
            number_statics: HashMap::new(),
            regex_statics: HashMap::new(),
            next: 0,
        }
    }

    /// The `static` items generated functions refer to.
    pub fn statics(&self) -> TokenStream {
        let s = &self.statics;
        quote!(#(#s)*)
    }

    fn fresh(&mut self, prefix: &str) -> Ident {
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
            #[allow(unused_variables, unused_mut, unreachable_code, clippy::all)]
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
            #[allow(unused_variables, unused_mut, unreachable_code, clippy::all)]
            pub fn #name(input: &#rt::Value) -> #rt::R<::core::option::Option<#rt::Value>> {
                #body
                ::core::result::Result::Ok(::core::option::Option::None)
            }
        })
    }

    fn string_static(&mut self, s: &str) -> Ident {
        if let Some(id) = self.string_statics.get(s) {
            return id.clone();
        }
        let id = self.fresh("STR_");
        let rt = &self.rt;
        self.statics.push(quote! {
            static #id: ::std::sync::LazyLock<#rt::Value> =
                ::std::sync::LazyLock::new(|| #rt::Value::from(#s));
        });
        self.string_statics.insert(s.to_string(), id.clone());
        id
    }

    fn number_static(&mut self, text: &str) -> Ident {
        if let Some(id) = self.number_statics.get(text) {
            return id.clone();
        }
        let id = self.fresh("NUM_");
        let rt = &self.rt;
        self.statics.push(quote! {
            static #id: ::std::sync::LazyLock<#rt::Value> =
                ::std::sync::LazyLock::new(|| #rt::Value::number_literal(#text));
        });
        self.number_statics.insert(text.to_string(), id.clone());
        id
    }

    fn regex_static(&mut self, pattern: &str, flags: &str) -> Ident {
        let key = (pattern.to_string(), flags.to_string());
        if let Some(id) = self.regex_statics.get(&key) {
            return id.clone();
        }
        let id = self.fresh("RE_");
        let rt = &self.rt;
        self.statics.push(quote! {
            static #id: ::std::sync::LazyLock<#rt::R<#rt::Regex>> =
                ::std::sync::LazyLock::new(|| #rt::Regex::new(#pattern, #flags));
        });
        self.regex_statics.insert(key, id.clone());
        id
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

fn ok() -> TokenStream {
    quote!(::core::result::Result::Ok(()))
}

impl FnGen<'_> {
    fn rt(&self) -> TokenStream {
        self.m.rt.clone()
    }

    fn fresh(&mut self, prefix: &str) -> Ident {
        self.m.fresh(prefix)
    }

    fn var_ident(v: VarId) -> Ident {
        format_ident!("var_{}", v.0)
    }

    /// Binds the value expression `v` to a fresh local and passes the local to `k`.
    fn bind_then(&mut self, v: TokenStream, k: &mut Cont<'_>) -> TokenStream {
        // Continuations use their value exactly once, so the local is moved, not cloned.
        let t = self.fresh("t");
        let rest = k(self, quote!(#t));
        quote! {
            let #t = #v;
            #rest
        }
    }

    fn expr(&mut self, e: &Expr, input: &TokenStream, k: &mut Cont<'_>) -> Result<TokenStream, CodegenError> {
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
            ExprKind::Array(None) => k(self, quote!(#rt::Value::from(::std::vec::Vec::<#rt::Value>::new()))),
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
                        Err(e) => {
                            err = Some(e);
                            TokenStream::new()
                        }
                    }
                })?;
                if let Some(e) = err {
                    return Err(e);
                }
                code
            }
            ExprKind::Bind { source, var, body } => {
                let id = Self::var_ident(*var);
                let mut err = None;
                let code = self.expr(source, input, &mut |g, v| match g.expr(body, input, k) {
                    Ok(rest) => quote! {
                        let #id: #rt::Value = #v;
                        #rest
                    },
                    Err(e) => {
                        err = Some(e);
                        TokenStream::new()
                    }
                })?;
                if let Some(e) = err {
                    return Err(e);
                }
                code
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
                        Err(e) => {
                            err = Some(e);
                            TokenStream::new()
                        }
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
                if let Some(e) = err {
                    return Err(e);
                }
                code
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
                self.binary(a, b, input, k, move |rt, l, r| {
                    quote!(#rt::Value::Bool(#rt::#f(&#l, &#r)))
                })?
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
                        (Err(e), _) | (_, Err(e)) => {
                            err = Some(e);
                            TokenStream::new()
                        }
                    }
                })?;
                if let Some(e) = err {
                    return Err(e);
                }
                code
            }
            ExprKind::Try { body, handler } => self.try_(body, handler.as_deref(), input, k)?,
            ExprKind::Fold(fold) => self.fold(fold, input, k)?,
            ExprKind::Label(id, body) => {
                let label = syn::Lifetime::new(&format!("'{}", self.fresh("label")), Span::call_site());
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
                let Some((_, label, depth)) = self.labels.iter().rev().find(|(l, _, _)| l == id).cloned() else {
                    return Err(CodegenError {
                        span: e.span.clone(),
                        message: "`break` without a label in scope".into(),
                    });
                };
                if depth != self.closure_depth {
                    return Err(CodegenError {
                        span: e.span.clone(),
                        message: "`break` out of a `try` body is not supported".into(),
                    });
                }
                quote!(break #label;)
            }
            ExprKind::Index { base, key, opt } => self.index(base, key, *opt, input, k)?,
            ExprKind::Slice { base, from, to, opt } => {
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
                            Err(e) => {
                                err = Some(e);
                                TokenStream::new()
                            }
                        }
                    });
                    match inner {
                        Ok(inner) => quote! { let #tf = #vf; #inner },
                        Err(e) => {
                            err = Some(e);
                            TokenStream::new()
                        }
                    }
                })?;
                if let Some(e) = err {
                    return Err(e);
                }
                code
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
            ExprKind::Keyed(op, f) => {
                let elems = self.fresh("elems");
                let keys = self.fresh("keys");
                let elem = self.fresh("elem");
                let key = self.fresh("key");
                let compute = self.expr(f, &quote!(&#elem), &mut |_, v| quote!(#key.push(#v);))?;
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
                let label = syn::Lifetime::new(&format!("'{}", self.fresh("first")), Span::call_site());
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
                let label = syn::Lifetime::new(&format!("'{}", self.fresh("limit")), Span::call_site());
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
                        Err(e) => {
                            err = Some(e);
                            TokenStream::new()
                        }
                    }
                })?;
                if let Some(e) = err {
                    return Err(e);
                }
                code
            }
            ExprKind::IsEmpty(f) => {
                let label = syn::Lifetime::new(&format!("'{}", self.fresh("isempty")), Span::call_site());
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
                let label = syn::Lifetime::new(&format!("'{}", self.fresh("anyall")), Span::call_site());
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
                        Err(e) => {
                            err = Some(e);
                            TokenStream::new()
                        }
                    }
                })?;
                if let Some(e) = err {
                    return Err(e);
                }
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
                            Err(e) => {
                                err = Some(e);
                                TokenStream::new()
                            }
                        }
                    });
                    match inner {
                        Ok(inner) => quote! { let #tf = #vf; #inner },
                        Err(e) => {
                            err = Some(e);
                            TokenStream::new()
                        }
                    }
                })?;
                if let Some(e) = err {
                    return Err(e);
                }
                code
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

    fn lit(&mut self, lit: &Lit) -> TokenStream {
        let rt = self.rt();
        match lit {
            Lit::Null => quote!(#rt::Value::Null),
            Lit::Bool(b) => quote!(#rt::Value::Bool(#b)),
            Lit::Num(text) => {
                // Small integers print the same whether or not the literal is kept.
                let plain_int = !text.is_empty()
                    && text.len() <= 15
                    && text.bytes().all(|b| b.is_ascii_digit())
                    && (text == "0" || !text.starts_with('0'));
                if plain_int {
                    let n: f64 = text.parse().unwrap_or(0.0);
                    quote!(#rt::Value::number(#n))
                } else {
                    let id = self.m.number_static(text);
                    quote!(#id.clone())
                }
            }
            Lit::Str(s) => {
                let id = self.m.string_static(s);
                quote!(#id.clone())
            }
        }
    }

    /// Binary operators: the right operand is the outer loop, the left the inner (jq's order).
    fn binary(
        &mut self,
        a: &Expr,
        b: &Expr,
        input: &TokenStream,
        k: &mut Cont<'_>,
        op: impl Fn(&TokenStream, &Ident, &Ident) -> TokenStream,
    ) -> Result<TokenStream, CodegenError> {
        let mut err = None;
        let code = self.expr(b, input, &mut |g, vb| {
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
            match inner {
                Ok(inner) => quote! {
                    let #tb = #vb;
                    #inner
                },
                Err(e) => {
                    err = Some(e);
                    TokenStream::new()
                }
            }
        })?;
        match err {
            Some(e) => Err(e),
            None => Ok(code),
        }
    }

    /// Runs the fallible step `value` (an `R<Value>` expression): its error raises, or with
    /// `opt` (jq's `?` on a path step) makes the step produce nothing.
    fn step(&mut self, value: TokenStream, opt: bool, k: &mut Cont<'_>) -> TokenStream {
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

    fn index(&mut self, base: &Expr, key: &Expr, opt: bool, input: &TokenStream, k: &mut Cont<'_>) -> Result<TokenStream, CodegenError> {
        // `.key` and `.[n]` with literal keys: no key evaluation, and no clone of the base when
        // it is the input itself.
        if let ExprKind::Lit(lit) = &key.kind {
            let lit = lit.clone();
            if let ExprKind::Identity = base.kind {
                let value = self.index_lit(input, &lit);
                return Ok(self.step(value, opt, k));
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
        let mut err = None;
        let code = self.expr(key, input, &mut |g, vk| {
            let tk = g.fresh("k");
            let inner = g.expr(base, input, &mut |g, vb| {
                let rt = g.rt();
                g.step(quote!(#rt::index(&#vb, &#tk)), opt, k)
            });
            match inner {
                Ok(inner) => quote! {
                    let #tk = #vk;
                    #inner
                },
                Err(e) => {
                    err = Some(e);
                    TokenStream::new()
                }
            }
        })?;
        match err {
            Some(e) => Err(e),
            None => Ok(code),
        }
    }

    /// `R<Value>` expression indexing `base` (a `&Value` expression) with a literal key.
    fn index_lit(&mut self, base: &TokenStream, lit: &Lit) -> TokenStream {
        let rt = self.rt();
        match lit {
            Lit::Str(s) => quote!(#rt::index_field(#base, #s)),
            other => {
                let key = self.lit(other);
                quote!(#rt::index(#base, &#key))
            }
        }
    }

    fn string(
        &mut self,
        fmt: Option<Format>,
        parts: &[StrPart],
        input: &TokenStream,
        k: &mut Cont<'_>,
    ) -> Result<TokenStream, CodegenError> {
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
                        None | Some(Format::Text) => quote!(#rt::push_interpolated(&mut out, &#id);),
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
        self.nest_values(&interps, &idents, input, &mut |g| g.bind_then(build.clone(), k))
    }

    /// Evaluates `exprs` in reverse order (last outermost), binding each output to `idents`.
    fn nest_values(
        &mut self,
        exprs: &[&Expr],
        idents: &[Ident],
        input: &TokenStream,
        inner: &mut dyn FnMut(&mut FnGen<'_>) -> TokenStream,
    ) -> Result<TokenStream, CodegenError> {
        let Some((last, rest_exprs)) = exprs.split_last() else {
            return Ok(inner(self));
        };
        let (last_id, rest_ids) = idents.split_last().expect("same length");
        let mut err = None;
        let code = self.expr(last, input, &mut |g, v| match g.nest_values(rest_exprs, rest_ids, input, inner) {
            Ok(rest) => quote! {
                let #last_id = #v;
                #rest
            },
            Err(e) => {
                err = Some(e);
                TokenStream::new()
            }
        })?;
        match err {
            Some(e) => Err(e),
            None => Ok(code),
        }
    }

    fn object(&mut self, entries: &[(Expr, Expr)], input: &TokenStream, k: &mut Cont<'_>) -> Result<TokenStream, CodegenError> {
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
        self.nest_values(&exprs, &idents, input, &mut |g| g.bind_then(build.clone(), k))
    }

    fn call(&mut self, b: Builtin, args: &[Expr], input: &TokenStream, k: &mut Cont<'_>) -> Result<TokenStream, CodegenError> {
        let rt = self.rt();
        let f = builtin_fn(b);
        // Arguments: the first is the outermost loop.
        let arg_refs: Vec<&Expr> = args.iter().rev().collect();
        let idents: Vec<Ident> = args.iter().map(|_| self.fresh("a")).collect();
        let ids_rev: Vec<Ident> = idents.iter().rev().cloned().collect();
        let call = match b {
            Builtin::Now => quote!(#rt::now()),
            Builtin::Env => quote!(#rt::env()),
            Builtin::Infinite => quote!(#rt::infinite()),
            Builtin::Nan => quote!(#rt::nan()),
            Builtin::Error0 => quote!(return ::core::result::Result::Err(#rt::error0(#input))),
            Builtin::Error1 => {
                let a = &idents[0];
                quote!(return ::core::result::Result::Err(#rt::error(&#a)))
            }
            Builtin::Format(fmt) => {
                let name = fmt.name();
                quote!(#rt::format(#name, #input)?)
            }
            _ => quote!(#rt::#f(#input #(, &#idents)*)?),
        };
        let diverges = matches!(b, Builtin::Error0 | Builtin::Error1);
        self.nest_values(&arg_refs, &ids_rev, input, &mut |g| {
            if diverges {
                quote!(#call;)
            } else {
                g.bind_then(call.clone(), k)
            }
        })
    }

    fn try_(&mut self, body: &Expr, handler: Option<&Expr>, input: &TokenStream, k: &mut Cont<'_>) -> Result<TokenStream, CodegenError> {
        let rt = self.rt();
        let outs = self.fresh("outs");
        let res = self.fresh("res");
        self.closure_depth += 1;
        let inner = self.expr(body, input, &mut |_, v| quote!(#outs.push(#v);));
        self.closure_depth -= 1;
        let inner = inner?;
        let item = self.fresh("item");
        let each = k(self, quote!(#item));
        let caught = match handler {
            None => TokenStream::new(),
            Some(h) => {
                let ev = self.fresh("err");
                let handle = self.expr(h, &quote!(&#ev), k)?;
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
        Ok(quote! {
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
        })
    }

    fn fold(&mut self, fold: &Fold, input: &TokenStream, k: &mut Cont<'_>) -> Result<TokenStream, CodegenError> {
        let rt = self.rt();
        let state = self.fresh("state");
        let var = Self::var_ident(fold.var);
        let mut err = None;
        let code = self.expr(&fold.init, input, &mut |g, vi| {
            let upd = g.fresh("upd");
            let update = g.expr(&fold.update, &quote!(&#state), &mut |_, v| quote!(#upd.push(#v);));
            let update = match update {
                Ok(u) => u,
                Err(e) => {
                    err = Some(e);
                    return TokenStream::new();
                }
            };
            let source_loop = if fold.is_foreach {
                let u = g.fresh("u");
                let each = match &fold.extract {
                    None => k(g, quote!(#u.clone())),
                    Some(x) => match g.expr(x, &quote!(&#u), k) {
                        Ok(c) => c,
                        Err(e) => {
                            err = Some(e);
                            TokenStream::new()
                        }
                    },
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
            let source_loop = match source_loop {
                Ok(c) => c,
                Err(e) => {
                    err = Some(e);
                    return TokenStream::new();
                }
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
        })?;
        match err {
            Some(e) => Err(e),
            None => Ok(code),
        }
    }

    fn regex(
        &mut self,
        op: RegexOp,
        pattern: &Expr,
        flags: &Expr,
        replacement: Option<&Expr>,
        input: &TokenStream,
        k: &mut Cont<'_>,
    ) -> Result<TokenStream, CodegenError> {
        let rt = self.rt();
        let global_by_op = matches!(op, RegexOp::Gsub | RegexOp::Scan | RegexOp::Splits | RegexOp::Split);
        // Compile constant patterns once, in a static.
        let constant = match (&pattern.kind, &flags.kind) {
            (ExprKind::Lit(Lit::Str(p)), ExprKind::Lit(Lit::Str(f))) => Some((p.clone(), f.clone())),
            (ExprKind::Lit(Lit::Str(p)), ExprKind::Lit(Lit::Null)) => Some((p.clone(), String::new())),
            _ => None,
        };
        let re = self.fresh("re");
        let global = self.fresh("global");
        let apply = |g: &mut FnGen<'_>, k: &mut Cont<'_>| -> Result<TokenStream, CodegenError> {
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
            Ok(match op {
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
                    let body = body?;
                    let call = quote! {
                        #rt::regex_sub(#input, #re, #global, &mut |#caps: #rt::Value| -> #rt::R<::std::vec::Vec<#rt::Value>> {
                            let mut #outs: ::std::vec::Vec<#rt::Value> = ::std::vec::Vec::new();
                            #body
                            ::core::result::Result::Ok(#outs)
                        })?
                    };
                    many(g, call, k)
                }
            })
        };
        let is_gsub = matches!(op, RegexOp::Gsub);
        match constant {
            Some((p, f)) => {
                let mut flags_text = f.clone();
                if is_gsub && !flags_text.contains('g') {
                    flags_text.push('g');
                }
                let st = self.m.regex_static(&p, &flags_text);
                let body = apply(self, k)?;
                let g_val = global_by_op || flags_text.contains('g');
                Ok(quote! {
                    let #re: &#rt::Regex = match &*#st {
                        ::core::result::Result::Ok(r) => r,
                        ::core::result::Result::Err(e) => return ::core::result::Result::Err(e.clone()),
                    };
                    let #global: bool = #g_val;
                    #body
                })
            }
            None => {
                let pv = self.fresh("pat");
                let fv = self.fresh("flg");
                let re_owned = format_ident!("{}_owned", re);
                let body = apply(self, k)?;
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

    fn update(&mut self, path: &[PathStep], rhs: &Expr, mode: UpdateMode, input: &TokenStream, k: &mut Cont<'_>) -> Result<TokenStream, CodegenError> {
        let rt = self.rt();
        // Evaluate the path's key expressions on the input (all outputs: several keys = several paths).
        let mut setup = Vec::new();
        let mut steps = Vec::new();
        for step in path {
            match step {
                PathStep::Iterate => steps.push(quote!(#rt::PathKey::Iterate)),
                PathStep::Index(e) => {
                    let keys = self.fresh("keys");
                    let fill = self.expr(e, input, &mut |_, v| quote!(#keys.push(#v);))?;
                    setup.push(quote! {
                        let mut #keys: ::std::vec::Vec<#rt::Value> = ::std::vec::Vec::new();
                        #fill
                    });
                    steps.push(quote!(#rt::PathKey::Keys(#keys.clone())));
                }
                PathStep::Slice(a, b) => {
                    let (ka, kb) = (self.fresh("from"), self.fresh("to"));
                    let fa = self.expr(a, input, &mut |_, v| quote!(#ka = #v;))?;
                    let fb = self.expr(b, input, &mut |_, v| quote!(#kb = #v;))?;
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
        let outs = self.fresh("outs");
        let rhs_value = self.fresh("rhs");
        // For `|=` the rhs runs on each old value (first output; none deletes); the other modes
        // evaluate rhs on the input first and update with each of its outputs.
        let result = match mode {
            UpdateMode::Modify => {
                self.closure_depth += 1;
                let body = self.expr(rhs, &quote!(&#old), &mut |_, v| quote!(#outs.push(#v); ))?;
                self.closure_depth -= 1;
                let rest = self.bind_then(
                    quote! {
                        #rt::update_path((#input).clone(), &#steps_id, &mut |#old: #rt::Value| -> #rt::R<::core::option::Option<#rt::Value>> {
                            let mut #outs: ::std::vec::Vec<#rt::Value> = ::std::vec::Vec::new();
                            #body
                            ::core::result::Result::Ok(#outs.into_iter().next())
                        })?
                    },
                    k,
                );
                rest
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
                let code = self.expr(rhs, input, &mut |g, v| {
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
                });
                code?
            }
        };
        Ok(quote! {
            #(#setup)*
            let #steps_id = [#(#steps),*];
            #result
        })
    }
}

/// The runtime function implementing a builtin with value arguments.
fn builtin_fn(b: Builtin) -> TokenStream {
    use Builtin::*;
    match b {
        Length => quote!(length),
        Utf8ByteLength => quote!(utf8bytelength),
        Not => quote!(not),
        Keys => quote!(keys),
        KeysUnsorted => quote!(keys_unsorted),
        Add => quote!(add_all),
        Any0 => quote!(any0),
        All0 => quote!(all0),
        Unique => quote!(unique),
        Sort => quote!(sort),
        Min => quote!(min),
        Max => quote!(max),
        Reverse => quote!(reverse),
        Floor => quote!(floor),
        Ceil => quote!(ceil),
        Round => quote!(round),
        Sqrt => quote!(sqrt),
        Fabs => quote!(fabs),
        Abs => quote!(abs),
        ToString => quote!(tostring),
        ToNumber => quote!(tonumber),
        ToJson => quote!(tojson),
        FromJson => quote!(fromjson),
        Type => quote!(type_of),
        AsciiDowncase => quote!(ascii_downcase),
        AsciiUpcase => quote!(ascii_upcase),
        Explode => quote!(explode),
        Implode => quote!(implode),
        ToEntries => quote!(to_entries),
        FromEntries => quote!(from_entries),
        Flatten0 => quote!(flatten),
        Trim => quote!(trim),
        LTrim => quote!(ltrim),
        RTrim => quote!(rtrim),
        IsNan => quote!(isnan),
        IsInfinite => quote!(isinfinite),
        IsNormal => quote!(isnormal),
        Infinite => quote!(infinite),
        Nan => quote!(nan),
        Now => quote!(now),
        Env => quote!(env),
        Mktime => quote!(mktime),
        Gmtime => quote!(gmtime),
        Localtime => quote!(localtime),
        ToDate => quote!(todate),
        FromDate => quote!(fromdate),
        ToDateIso8601 => quote!(todateiso8601),
        FromDateIso8601 => quote!(fromdateiso8601),
        Date => quote!(date),
        Ascii => quote!(ascii),
        Error0 => quote!(error0),
        ToArray => quote!(toarray),
        Has => quote!(has),
        In => quote!(in_),
        Contains => quote!(contains),
        Inside => quote!(inside),
        StartsWith => quote!(startswith),
        EndsWith => quote!(endswith),
        LTrimStr => quote!(ltrimstr),
        RTrimStr => quote!(rtrimstr),
        Split1 => quote!(split),
        Join => quote!(join),
        Flatten1 => quote!(flatten_depth),
        Strptime => quote!(strptime),
        Strftime => quote!(strftime),
        Strflocaltime => quote!(strflocaltime),
        Error1 => quote!(error),
        IndexOf => quote!(index_of),
        RIndexOf => quote!(rindex_of),
        Indices => quote!(indices),
        GetPath => quote!(getpath),
        Format(_) => quote!(format),
    }
}
