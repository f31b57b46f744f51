//! Plan → Rust: one module per resource holding a function per jq leaf, and a `mapping()`
//! function that builds the runtime's `Mapping` around them (the same structure the runtime
//! builds around interpreted leaves for a mapping read at run time).

use super::ModuleGen;
use crate::check::{Leaf, Plan, ResourcePlan, RulePlan, SearchPlan, ValuePlan};
use opsgenie_port_jq::Projection;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// Texts embedded into the generated mapping besides the code.
pub struct Embedded<'a> {
    /// Shown to users as where the mapping came from.
    pub source: &'a str,
    pub blueprints_json: &'a str,
    pub app_config_json: &'a str,
    /// `(kind, JSON text)` of the Opsgenie schemas the mapping was checked against, for
    /// checking a mapping read at run time the same way.
    pub sources: &'a [(&'a str, &'a str)],
}

/// Generates the module for a whole plan.
pub fn generate(plan: &Plan, embedded: &Embedded<'_>) -> TokenStream {
    let rt_jq = quote!(::opsgenie_port_runtime::__private);
    let mut module = ModuleGen::new(quote!(#rt_jq));
    let mut resource_mods = Vec::new();
    let mut entries = Vec::new();
    for r in &plan.resources {
        let (m, entry) = resource(&mut module, r);
        resource_mods.push(m);
        entries.push(entry);
    }
    let statics = module.statics();
    let source = embedded.source;
    let blueprints = embedded.blueprints_json;
    let app_config = embedded.app_config_json;
    let merge = plan.enable_merge_entity;
    let dependents = plan.delete_dependent_entities;
    let missing = plan.create_missing_related_entities;
    let threshold = plan.entity_deletion_threshold;
    let accessor = compiled_accessor();
    let source_kinds = embedded.sources.iter().map(|(kind, _)| kind);
    let source_texts = embedded.sources.iter().map(|(_, text)| text);
    quote! {
        #statics
        #(#resource_mods)*

        /// The Opsgenie schemas `(kind, JSON)` this mapping was checked against.
        pub static SOURCES: &[(&str, &str)] = &[#((#source_kinds, #source_texts)),*];

        #accessor

        /// The compiled mapping: what `sync`, `serve`, `map` and `plan` run when Port holds
        /// this same mapping.
        pub fn mapping() -> ::opsgenie_port_runtime::mapping::Mapping {
            use ::opsgenie_port_runtime::mapping as m;
            m::Mapping {
                origin: m::Origin::Compiled { source: #source },
                enable_merge_entity: #merge,
                delete_dependent_entities: #dependents,
                create_missing_related_entities: #missing,
                entity_deletion_threshold: #threshold,
                resources: ::std::vec![#(#entries),*],
                blueprints_json: ::std::string::String::from(#blueprints),
                app_config_json: ::std::string::String::from(#app_config),
                schemas: SOURCES,
            }
        }
    }
}

/// What `include_mappings!` expands to when the mapping has errors (reported separately), so
/// that code using `mapping()` gets no follow-on errors.
pub fn empty_mapping() -> TokenStream {
    let accessor = compiled_accessor();
    quote! {
        #accessor

        pub static SOURCES: &[(&str, &str)] = &[];

        pub fn mapping() -> ::opsgenie_port_runtime::mapping::Mapping {
            use ::opsgenie_port_runtime::mapping as m;
            m::Mapping {
                origin: m::Origin::Compiled { source: "" },
                enable_merge_entity: true,
                delete_dependent_entities: true,
                create_missing_related_entities: true,
                entity_deletion_threshold: 0.9,
                resources: ::std::vec::Vec::new(),
                blueprints_json: ::std::string::String::from("[]"),
                app_config_json: ::std::string::String::from("{}"),
                schemas: SOURCES,
            }
        }
    }
}

/// `compiled()`: [`generate`]'s `mapping()` built once and shared.
fn compiled_accessor() -> TokenStream {
    quote! {
        /// The compiled mapping, built once.
        pub fn compiled() -> ::std::sync::Arc<::opsgenie_port_runtime::mapping::Mapping> {
            static COMPILED: ::std::sync::LazyLock<
                ::std::sync::Arc<::opsgenie_port_runtime::mapping::Mapping>,
            > = ::std::sync::LazyLock::new(|| ::std::sync::Arc::new(mapping()));
            COMPILED.clone()
        }
    }
}

fn resource(module: &mut ModuleGen, r: &ResourcePlan) -> (TokenStream, TokenStream) {
    let mod_name = format_ident!("r{}", r.index);
    let mut g = ResGen {
        module,
        mod_name: mod_name.clone(),
        fns: Vec::new(),
        next: 0,
    };
    let selector = g.leaf(&r.selector);
    let identifier = g.value(&r.identifier);
    let blueprint = g.leaf(&r.blueprint);
    let title = g.opt(r.title.as_ref());
    let icon = g.opt(r.icon.as_ref());
    let team = match &r.team {
        Some(t) => {
            let code = g.value(t);
            quote!(::core::option::Option::Some(#code))
        }
        None => quote!(::core::option::Option::None),
    };
    let mut properties = Vec::new();
    for (name, leaf) in &r.properties {
        let code = g.leaf(leaf);
        properties.push(quote!((::std::sync::Arc::from(#name), #code)));
    }
    let mut relations = Vec::new();
    for (name, v) in &r.relations {
        let code = g.value(v);
        relations.push(quote!((::std::sync::Arc::from(#name), #code)));
    }
    let items_to_parse = match &r.items_to_parse {
        Some((leaf, name, remove)) => {
            let items = g.leaf(leaf);
            let remove = match remove {
                Some(path) => quote!(::core::option::Option::Some(
                    ::std::vec![#(::std::string::String::from(#path)),*]
                )),
                None => quote!(::core::option::Option::None),
            };
            quote!(::core::option::Option::Some(m::ItemsToParse {
                items: #items,
                name: ::std::sync::Arc::from(#name),
                remove_path: #remove,
            }))
        }
        None => quote!(::core::option::Option::None),
    };
    let fns = g.fns;
    let projection = projection_tokens(&r.reads.projection());
    let index = r.index;
    let kind = &r.kind;
    let blueprint_const = match &r.blueprint_const {
        Some(b) => quote!(::core::option::Option::Some(::std::string::String::from(#b))),
        None => quote!(::core::option::Option::None),
    };
    let enrichments = r.enrichments();
    let include_members = match r.include_members {
        Some(b) => quote!(::core::option::Option::Some(#b)),
        None => quote!(::core::option::Option::None),
    };
    let api_query: Vec<TokenStream> = r
        .api_query
        .iter()
        .map(|(k, v)| quote!((::std::string::String::from(#k), ::std::string::String::from(#v))))
        .collect();
    let expand = match &r.expand {
        Some(e) => quote!(::core::option::Option::Some(::std::string::String::from(#e))),
        None => quote!(::core::option::Option::None),
    };
    let doc = format!(
        " Resource {} (`kind: {}`): one function per jq leaf.",
        r.index, r.kind
    );
    let module_tokens = quote! {
        #[doc = #doc]
        pub mod #mod_name {
            #[allow(unused_imports)]
            use super::*;

            #(#fns)*
        }
    };
    let entry = quote! {
        m::Resource {
            index: #index,
            kind: #kind,
            blueprint: #blueprint_const,
            options: m::SelectorOptions {
                include_members: #include_members,
                api_query: ::std::vec![#(#api_query),*],
                expand: #expand,
            },
            enrichments: ::std::vec![#(#enrichments),*],
            projection: #projection,
            items_to_parse: #items_to_parse,
            selector: #selector,
            entity: m::EntityMapping {
                identifier: #identifier,
                title: #title,
                blueprint: #blueprint,
                icon: #icon,
                team: #team,
                properties: ::std::vec![#(#properties),*],
                relations: ::std::vec![#(#relations),*],
            },
        }
    };
    (module_tokens, entry)
}

/// Generates the functions of one resource module.
struct ResGen<'m> {
    module: &'m mut ModuleGen,
    mod_name: proc_macro2::Ident,
    fns: Vec<TokenStream>,
    next: usize,
}

impl ResGen<'_> {
    /// A function for one leaf; returns the `m::Leaf` expression that names it.
    fn leaf(&mut self, leaf: &Leaf) -> TokenStream {
        let name = format_ident!("f{}", self.next);
        self.next += 1;
        let f = self.module.first_fn(&name, &leaf.expr);
        let doc = format!(" `{}`", leaf.field);
        self.fns.push(quote! {
            #[doc = #doc]
            #f
        });
        let field = &leaf.field;
        let mod_name = &self.mod_name;
        quote!(m::Leaf::compiled(#field, #mod_name::#name))
    }

    fn opt(&mut self, leaf: Option<&Leaf>) -> TokenStream {
        match leaf {
            Some(l) => {
                let code = self.leaf(l);
                quote!(::core::option::Option::Some(#code))
            }
            None => quote!(::core::option::Option::None),
        }
    }

    fn value(&mut self, v: &ValuePlan) -> TokenStream {
        match v {
            ValuePlan::Jq(leaf) => {
                let code = self.leaf(leaf);
                quote!(m::FieldValue::Jq(#code))
            }
            ValuePlan::Search(s) => {
                let code = self.search(s);
                quote!(m::FieldValue::Search(#code))
            }
        }
    }

    fn search(&mut self, s: &SearchPlan) -> TokenStream {
        let combinator = self.leaf(&s.combinator);
        let mut rules = Vec::new();
        for rule in &s.rules {
            rules.push(match rule {
                RulePlan::Rule {
                    property,
                    operator,
                    value,
                } => {
                    let p = self.leaf(property);
                    let o = self.leaf(operator);
                    let v = self.leaf(value);
                    quote!(m::SearchRule::Rule { property: #p, operator: #o, value: #v })
                }
                RulePlan::Query(inner) => {
                    let q = self.search(inner);
                    quote!(m::SearchRule::Query(#q))
                }
            });
        }
        quote! {
            m::SearchQuery {
                combinator: #combinator,
                rules: ::std::vec![#(#rules),*],
            }
        }
    }
}

/// A [`Projection`] as the expression that builds it.
fn projection_tokens(p: &Projection) -> TokenStream {
    let rt = quote!(::opsgenie_port_runtime::__private);
    if p.all {
        return quote!(#rt::Projection::ALL);
    }
    let fields = p.fields.iter().map(|(name, sub)| {
        let name: &str = name;
        let sub = projection_tokens(sub);
        quote!((#name, #sub))
    });
    let elements = match &p.elements {
        Some(e) => {
            let e = projection_tokens(e);
            quote!(::core::option::Option::Some(#e))
        }
        None => quote!(::core::option::Option::None),
    };
    quote!(#rt::Projection::some(::std::vec![#(#fields),*], #elements))
}
