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
//!
//! Generation cannot fail: [`crate::jq::compile`] only returns IR this generator handles (a
//! `break` never leaves a closure), within limits that bound the generated size
//! ([`crate::jq::cost`]) and the recursion here ([`crate::jq::limits`]). Each IR node has its
//! own small method, so that one level of recursion costs little stack even unoptimised.

use crate::jq::ir::*;

mod control;
mod mapping;
mod parts;
pub use mapping::{empty_mapping, generate, Embedded};

use crate::check::{Leaf, Plan, RulePlan, SearchPlan, ValuePlan};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};
use std::collections::HashMap;

/// Estimated tokens of the code generated for each resource of `plan`, as `(resource index,
/// tokens)` ([`crate::jq::cost`]): each expression was bounded when compiled, their sum is
/// bounded before generating ([`crate::jq::cost::MAX_MAPPING_CODE_SIZE`]).
pub fn estimate(plan: &Plan) -> Vec<(usize, u64)> {
    fn search<'p>(s: &'p SearchPlan, out: &mut Vec<&'p Leaf>) {
        out.push(&s.combinator);
        for rule in &s.rules {
            match rule {
                RulePlan::Rule {
                    property,
                    operator,
                    value,
                } => out.extend([property, operator, value]),
                RulePlan::Query(inner) => search(inner, out),
            }
        }
    }
    fn value<'p>(v: &'p ValuePlan, out: &mut Vec<&'p Leaf>) {
        match v {
            ValuePlan::Jq(leaf) => out.push(leaf),
            ValuePlan::Search(s) => search(s, out),
        }
    }
    plan.resources
        .iter()
        .map(|r| {
            let mut leaves = vec![&r.selector, &r.blueprint];
            leaves.extend(r.items_to_parse.as_ref().map(|(leaf, _, _)| leaf));
            leaves.extend(r.title.iter().chain(&r.icon));
            value(&r.identifier, &mut leaves);
            r.team.iter().for_each(|t| value(t, &mut leaves));
            leaves.extend(r.properties.iter().map(|(_, leaf)| leaf));
            r.relations.iter().for_each(|(_, v)| value(v, &mut leaves));
            let size = leaves.iter().fold(0u64, |acc, leaf| {
                acc.saturating_add(crate::jq::cost::estimate(&leaf.expr))
            });
            (r.index, size)
        })
        .collect()
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
    /// pushes every output of `expr` (an IR [`crate::jq::compile`] returned) into `sink` until
    /// it returns `false`.
    pub fn stream_fn(&mut self, name: &Ident, expr: &Expr) -> TokenStream {
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
        });
        quote! {
            #[allow(unused_variables, unused_mut, unused_assignments, unused_labels, unreachable_code, clippy::all)]
            pub fn #name(
                input: &#rt::Value,
                sink: &mut dyn ::core::ops::FnMut(#rt::Value) -> bool,
            ) -> #rt::R<()> {
                #body
                ::core::result::Result::Ok(())
            }
        }
    }

    /// A function `fn name(input: &Value) -> R<Option<Value>>`: the first output of `expr` (an IR
    /// [`crate::jq::compile`] returned) by Ocean's rule, computed lazily — later outputs and
    /// later errors are never evaluated.
    pub fn first_fn(&mut self, name: &Ident, expr: &Expr) -> TokenStream {
        let rt = self.rt.clone();
        let mut f = FnGen {
            m: self,
            closure_depth: 0,
            labels: Vec::new(),
        };
        let body = f.expr(expr, &quote!(input), &mut |_, v| {
            quote! { return ::core::result::Result::Ok(::core::option::Option::Some(#v)); }
        });
        quote! {
            #[allow(unused_variables, unused_mut, unused_assignments, unused_labels, unreachable_code, clippy::all)]
            pub fn #name(input: &#rt::Value) -> #rt::R<::core::option::Option<#rt::Value>> {
                #body
                ::core::result::Result::Ok(::core::option::Option::None)
            }
        }
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
    /// How many closures (`try` bodies, `walk` filters, `sub` replacements, `|=` right sides)
    /// enclose the code being generated.
    closure_depth: u32,
    /// Labels in scope: (label, its Rust label, closure depth where it was declared).
    labels: Vec<(LabelId, syn::Lifetime, u32)>,
}

fn ok() -> TokenStream {
    quote!(::core::result::Result::Ok(()))
}

/// A fresh Rust label for a labelled block.
fn block_label(g: &mut FnGen<'_>, prefix: &str) -> syn::Lifetime {
    syn::Lifetime::new(&format!("'{}", g.fresh(prefix)), Span::call_site())
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

    /// Generates `e` on `input`, running `k` on each output.
    pub(super) fn expr(&mut self, e: &Expr, input: &TokenStream, k: &mut Cont<'_>) -> TokenStream {
        match &e.kind {
            ExprKind::Identity => k(self, quote!((#input).clone())),
            ExprKind::Recurse => self.recurse(input, k),
            ExprKind::Lit(lit) => {
                let v = self.lit(lit);
                k(self, v)
            }
            ExprKind::Str(fmt, parts) => self.string(*fmt, parts, input, k),
            ExprKind::Array(None) => {
                let rt = self.rt();
                k(
                    self,
                    quote!(#rt::Value::from(::std::vec::Vec::<#rt::Value>::new())),
                )
            }
            ExprKind::Array(Some(f)) => self.array(f, input, k),
            ExprKind::Object(entries) => self.object(entries, input, k),
            ExprKind::Neg(a) => self.expr(a, input, &mut |g, v| {
                let rt = g.rt();
                g.bind_then(quote!(#rt::neg(&#v)?), k)
            }),
            ExprKind::Pipe(a, b) => self.pipe(a, b, input, k),
            ExprKind::Bind { source, var, body } => self.bind(source, *var, body, input, k),
            ExprKind::Comma(a, b) => {
                let first = self.expr(a, input, k);
                let second = self.expr(b, input, k);
                quote!(#first #second)
            }
            ExprKind::Alt(a, b) => self.alt(a, b, input, k),
            ExprKind::And(a, b) => self.and_or(true, a, b, input, k),
            ExprKind::Or(a, b) => self.and_or(false, a, b, input, k),
            ExprKind::Math(op, a, b) => self.math(*op, a, b, input, k),
            ExprKind::Cmp(op, a, b) => self.cmp(*op, a, b, input, k),
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => self.if_(cond, then, otherwise, input, k),
            ExprKind::Try { body, handler } => self.try_(body, handler.as_deref(), input, k),
            ExprKind::Fold(fold) => self.fold(fold, input, k),
            ExprKind::Label(id, body) => self.label(*id, body, input, k),
            ExprKind::Break(id) => self.break_(*id),
            ExprKind::Index { base, key, opt } => self.index(base, key, *opt, input, k),
            ExprKind::Slice {
                base,
                from,
                to,
                opt,
            } => self.slice(base, from, to, *opt, input, k),
            ExprKind::Iterate(base, opt) => self.iterate(base, *opt, input, k),
            ExprKind::Var(v) => {
                let id = Self::var_ident(*v);
                k(self, quote!(#id.clone()))
            }
            ExprKind::Empty => TokenStream::new(),
            ExprKind::Call(b, args) => self.call(*b, args, input, k),
            ExprKind::Format(f) => self.format(*f, input, k),
            ExprKind::Walk(f) => self.walk(f, input, k),
            ExprKind::Keyed(op, f) => self.keyed(*op, f, input, k),
            ExprKind::Regex {
                op,
                pattern,
                flags,
                replacement,
            } => self.regex(*op, pattern, flags, replacement.as_deref(), input, k),
            ExprKind::First(f) => self.first(f, input, k),
            ExprKind::Limit(n, f) => self.limit(n, f, input, k),
            ExprKind::IsEmpty(f) => self.is_empty(f, input, k),
            ExprKind::AnyAll {
                all,
                generator,
                cond,
            } => self.any_all(*all, generator, cond, input, k),
            ExprKind::Range(from, upto, by) => self.range(from, upto, by, input, k),
            ExprKind::Update { path, rhs, mode } => self.update(path, rhs, *mode, input, k),
        }
    }

    fn recurse(&mut self, input: &TokenStream, k: &mut Cont<'_>) -> TokenStream {
        let rt = self.rt();
        let v = self.fresh("v");
        let body = k(self, quote!(#v));
        quote! {
            for #v in #rt::recurse_values(#input) {
                #body
            }
        }
    }

    fn array(&mut self, f: &Expr, input: &TokenStream, k: &mut Cont<'_>) -> TokenStream {
        let rt = self.rt();
        let arr = self.fresh("arr");
        let fill = self.expr(f, input, &mut |_, v| quote!(#arr.push(#v);));
        let rest = k(self, quote!(#rt::Value::from(::core::mem::take(&mut #arr))));
        quote! {
            let mut #arr: ::std::vec::Vec<#rt::Value> = ::std::vec::Vec::new();
            #fill
            #rest
        }
    }

    fn pipe(&mut self, a: &Expr, b: &Expr, input: &TokenStream, k: &mut Cont<'_>) -> TokenStream {
        self.expr(a, input, &mut |g, v| {
            let t = g.fresh("p");
            let rest = g.expr(b, &quote!(&#t), k);
            quote! {
                let #t = #v;
                #rest
            }
        })
    }

    fn bind(
        &mut self,
        source: &Expr,
        var: VarId,
        body: &Expr,
        input: &TokenStream,
        k: &mut Cont<'_>,
    ) -> TokenStream {
        let rt = self.rt();
        let id = Self::var_ident(var);
        self.expr(source, input, &mut |g, v| {
            let rest = g.expr(body, input, k);
            quote! {
                let #id: #rt::Value = #v;
                #rest
            }
        })
    }

    /// Every truthy output of `a`; if there was none, the outputs of `b`. Errors of `a`
    /// propagate (jq 1.8.2 measured).
    fn alt(&mut self, a: &Expr, b: &Expr, input: &TokenStream, k: &mut Cont<'_>) -> TokenStream {
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
        });
        let right = self.expr(b, input, k);
        quote! {
            let mut #found = false;
            #left
            if !#found {
                #right
            }
        }
    }

    fn and_or(
        &mut self,
        is_and: bool,
        a: &Expr,
        b: &Expr,
        input: &TokenStream,
        k: &mut Cont<'_>,
    ) -> TokenStream {
        self.expr(a, input, &mut |g, va| {
            let rt = g.rt();
            let short = k(g, quote!(#rt::Value::Bool(#is_and == false)));
            // `and`/`or` already yield booleans: a chain of them (nested to the right by
            // lowering) passes its outputs on as they are, so the rest of the program is not
            // wrapped once per level.
            let long = if matches!(b.kind, ExprKind::And(..) | ExprKind::Or(..)) {
                g.expr(b, input, k)
            } else {
                g.expr(b, input, &mut |g, vb| {
                    let rt = g.rt();
                    k(g, quote!(#rt::Value::Bool(#rt::truthy(&#vb))))
                })
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
        })
    }

    fn math(
        &mut self,
        op: MathOp,
        a: &Expr,
        b: &Expr,
        input: &TokenStream,
        k: &mut Cont<'_>,
    ) -> TokenStream {
        let f = match op {
            MathOp::Add => quote!(add),
            MathOp::Sub => quote!(sub),
            MathOp::Mul => quote!(mul),
            MathOp::Div => quote!(div),
            MathOp::Rem => quote!(rem),
        };
        self.binary(a, b, input, k, move |rt, l, r| quote!(#rt::#f(&#l, &#r)?))
    }

    fn cmp(
        &mut self,
        op: CmpOp,
        a: &Expr,
        b: &Expr,
        input: &TokenStream,
        k: &mut Cont<'_>,
    ) -> TokenStream {
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
            move |rt, l, r| quote!(#rt::Value::Bool(#rt::#f(&#l, &#r)?)),
        )
    }

    fn if_(
        &mut self,
        cond: &Expr,
        then: &Expr,
        otherwise: &Expr,
        input: &TokenStream,
        k: &mut Cont<'_>,
    ) -> TokenStream {
        self.expr(cond, input, &mut |g, c| {
            let rt = g.rt();
            let a = g.expr(then, input, k);
            let b = g.expr(otherwise, input, k);
            quote! {
                if #rt::truthy(&#c) { #a } else { #b }
            }
        })
    }

    fn label(
        &mut self,
        id: LabelId,
        body: &Expr,
        input: &TokenStream,
        k: &mut Cont<'_>,
    ) -> TokenStream {
        let label = block_label(self, "label");
        self.labels.push((id, label.clone(), self.closure_depth));
        let inner = self.expr(body, input, k);
        self.labels.pop();
        quote! {
            #label: {
                #inner
            }
        }
    }

    fn break_(&mut self, id: LabelId) -> TokenStream {
        let (_, label, depth) = self
            .labels
            .iter()
            .rev()
            .find(|(l, _, _)| *l == id)
            .cloned()
            .expect("lowering binds every label a `break` names");
        debug_assert_eq!(
            depth, self.closure_depth,
            "lowering rejects a `break` out of a closure"
        );
        quote!(break #label;)
    }

    fn slice(
        &mut self,
        base: &Expr,
        from: &Expr,
        to: &Expr,
        opt: bool,
        input: &TokenStream,
        k: &mut Cont<'_>,
    ) -> TokenStream {
        self.expr(from, input, &mut |g, vf| {
            let tf = g.fresh("t");
            let inner = g.expr(to, input, &mut |g, vt| {
                let tt = g.fresh("t");
                let inner = g.expr(base, input, &mut |g, vb| {
                    let rt = g.rt();
                    g.step(quote!(#rt::slice(&#vb, &#tf, &#tt)), opt, k)
                });
                quote! { let #tt = #vt; #inner }
            });
            quote! { let #tf = #vf; #inner }
        })
    }

    fn iterate(
        &mut self,
        base: &Expr,
        opt: bool,
        input: &TokenStream,
        k: &mut Cont<'_>,
    ) -> TokenStream {
        self.expr(base, input, &mut |g, vb| {
            let rt = g.rt();
            let item = g.fresh("item");
            let t = g.fresh("t");
            let rest = k(g, quote!(#item));
            if opt {
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
        })
    }

    /// `f` becomes a closure the runtime calls on every rebuilt value, bottom-up.
    fn walk(&mut self, f: &Expr, input: &TokenStream, k: &mut Cont<'_>) -> TokenStream {
        let rt = self.rt();
        let value = self.fresh("value");
        let outs = self.fresh("outs");
        let each = self.fresh("each");
        let item = self.fresh("item");
        self.closure_depth += 1;
        let inner = self.expr(f, &quote!(#value), &mut |_, v| quote!(#outs.push(#v);));
        self.closure_depth -= 1;
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

    fn keyed(
        &mut self,
        op: KeyedOp,
        f: &Expr,
        input: &TokenStream,
        k: &mut Cont<'_>,
    ) -> TokenStream {
        let rt = self.rt();
        let elems = self.fresh("elems");
        let keys = self.fresh("keys");
        let elem = self.fresh("elem");
        let key = self.fresh("key");
        // `#elem` is already a `&Value` (from `.iter()`), as every input expression is.
        let compute = self.expr(f, &quote!(#elem), &mut |_, v| quote!(#key.push(#v);));
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

    fn first(&mut self, f: &Expr, input: &TokenStream, k: &mut Cont<'_>) -> TokenStream {
        let label = block_label(self, "first");
        let body = self.expr(f, input, &mut |g, v| {
            let rest = k(g, v);
            quote! {
                #rest
                break #label;
            }
        });
        quote! {
            #label: {
                #body
            }
        }
    }

    fn limit(&mut self, n: &Expr, f: &Expr, input: &TokenStream, k: &mut Cont<'_>) -> TokenStream {
        let label = block_label(self, "limit");
        let count = self.fresh("count");
        let nval = self.fresh("n");
        self.expr(n, input, &mut |g, vn| {
            let rt = g.rt();
            let body = g.expr(f, input, &mut |g, v| {
                let rest = k(g, v);
                quote! {
                    #count += 1;
                    #rest
                    if #count as f64 >= #nval { break #label; }
                }
            });
            quote! {
                let #nval = #rt::limit_count(&#vn)?;
                let mut #count: u64 = 0;
                if #nval > 0.0 {
                    #label: {
                        #body
                    }
                }
            }
        })
    }

    fn is_empty(&mut self, f: &Expr, input: &TokenStream, k: &mut Cont<'_>) -> TokenStream {
        let rt = self.rt();
        let label = block_label(self, "isempty");
        let empty = self.fresh("empty");
        let body = self.expr(f, input, &mut |_, _v| {
            quote! {
                #empty = false;
                break #label;
            }
        });
        let rest = k(self, quote!(#rt::Value::Bool(#empty)));
        quote! {
            let mut #empty = true;
            #label: {
                #body
            }
            #rest
        }
    }

    fn any_all(
        &mut self,
        all: bool,
        generator: &Expr,
        cond: &Expr,
        input: &TokenStream,
        k: &mut Cont<'_>,
    ) -> TokenStream {
        let rt = self.rt();
        let label = block_label(self, "anyall");
        let result = self.fresh("result");
        let g_out = self.fresh("g");
        let body = self.expr(generator, input, &mut |g, vg| {
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
            quote! {
                let #g_out = #vg;
                #inner
            }
        });
        let rest = k(self, quote!(#rt::Value::Bool(#result)));
        quote! {
            let mut #result = #all;
            #label: {
                #body
            }
            #rest
        }
    }

    fn range(
        &mut self,
        from: &Expr,
        upto: &Expr,
        by: &Expr,
        input: &TokenStream,
        k: &mut Cont<'_>,
    ) -> TokenStream {
        self.expr(from, input, &mut |g, vf| {
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
                quote! { let #tu = #vu; #inner }
            });
            quote! { let #tf = #vf; #inner }
        })
    }
}
