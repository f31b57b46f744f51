//! Plan → Rust: one module per resource (a function per jq leaf, `select`, `map`, the
//! decoding projection) and a `REGISTRY` static the runtime drives.

use super::ModuleGen;
use crate::check::{Leaf, Plan, ResourcePlan, RulePlan, SearchPlan, ValuePlan};
use crate::jq::infer::ReadTree;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// Texts embedded into the registry besides the code.
pub struct Embedded<'a> {
    /// Shown to users as where the mapping came from.
    pub source: &'a str,
    pub blueprints_json: &'a str,
    pub app_config_json: &'a str,
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
    quote! {
        #statics
        #(#resource_mods)*

        /// The compiled mapping: what `sync`, `serve`, `map` and `plan` run.
        pub static REGISTRY: ::opsgenie_port_runtime::mapping::Registry =
            ::opsgenie_port_runtime::mapping::Registry {
                source: #source,
                enable_merge_entity: #merge,
                delete_dependent_entities: #dependents,
                create_missing_related_entities: #missing,
                entity_deletion_threshold: #threshold,
                resources: &[#(#entries),*],
                blueprints_json: #blueprints,
                app_config_json: #app_config,
            };
    }
}

fn resource(module: &mut ModuleGen, r: &ResourcePlan) -> (TokenStream, TokenStream) {
    let rt = quote!(::opsgenie_port_runtime::__private);
    let mapping = quote!(::opsgenie_port_runtime::mapping);
    let mod_name = format_ident!("r{}", r.index);
    let mut g = ResGen {
        module,
        fns: Vec::new(),
        fields: Vec::new(),
        next: 0,
    };
    let selector = g.leaf(&r.selector);
    let identifier = g.value(&r.identifier);
    let blueprint = g.jq(&r.blueprint);
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
        let code = g.jq(leaf);
        properties.push(quote!((#name, #code)));
    }
    let mut relations = Vec::new();
    for (name, v) in &r.relations {
        let code = g.value(v);
        relations.push(quote!((#name, #code)));
    }
    let items_entry = match &r.items_to_parse {
        Some((leaf, name, remove)) => {
            let f = g.leaf(leaf);
            let remove = match remove {
                Some(path) => quote!(::core::option::Option::Some(&[#(#path),*])),
                None => quote!(::core::option::Option::None),
            };
            quote!(::core::option::Option::Some(#mapping::ItemsToParse {
                items: #mod_name::#f,
                name: #name,
                remove_path: #remove,
            }))
        }
        None => quote!(::core::option::Option::None),
    };
    let ResGen { fns, fields, .. } = g;
    let projection = projection_tokens(&r.reads);
    let index = r.index;
    let kind = &r.kind;
    let blueprint_const = match &r.blueprint_const {
        Some(b) => quote!(::core::option::Option::Some(#b)),
        None => quote!(::core::option::Option::None),
    };
    let enrichments: Vec<&str> = match r.reads.top_fields() {
        None => ALL_ENRICHMENTS.to_vec(),
        Some(top) => top.into_iter().filter(|f| f.starts_with("__")).collect(),
    };
    let include_members = match r.include_members {
        Some(b) => quote!(::core::option::Option::Some(#b)),
        None => quote!(::core::option::Option::None),
    };
    let api_query: Vec<TokenStream> = r.api_query.iter().map(|(k, v)| quote!((#k, #v))).collect();
    let expand = match &r.expand {
        Some(e) => quote!(::core::option::Option::Some(#e)),
        None => quote!(::core::option::Option::None),
    };
    let doc = format!(" Resource {} (`kind: {}`).", r.index, r.kind);
    let module_tokens = quote! {
        #[doc = #doc]
        pub mod #mod_name {
            #[allow(unused_imports)]
            use super::*;

            #(#fns)*

            /// `selector.query`: whether the item is synced.
            pub fn select(item: &#rt::Value) -> ::core::result::Result<bool, ::std::string::String> {
                #mapping::build::selector(#selector(item))
            }

            /// The entity this resource makes of one item (the selector is not consulted).
            pub fn map(item: &#rt::Value) -> #mapping::Mapped {
                let mut notes: ::std::vec::Vec<#mapping::FieldNote> = ::std::vec::Vec::new();
                let notes = &mut notes;
                let identifier = #identifier;
                let title = #title;
                let blueprint = #blueprint;
                let icon = #icon;
                let team = #team;
                let properties = ::std::vec![#(#properties),*];
                let relations = ::std::vec![#(#relations),*];
                let entity = #mapping::Entity {
                    identifier,
                    blueprint,
                    title,
                    icon,
                    team,
                    properties,
                    relations,
                };
                #mapping::build::finish(entity, ::core::mem::take(notes))
            }

            /// What of a raw item the expressions read.
            pub static PROJECTION: #rt::Projection = #projection;

            /// Field names, in evaluation order.
            pub static FIELDS: &[&str] = &[#(#fields),*];
        }
    };
    let entry = quote! {
        ::opsgenie_port_runtime::mapping::Resource {
            index: #index,
            kind: #kind,
            blueprint: #blueprint_const,
            options: #mapping::SelectorOptions {
                include_members: #include_members,
                api_query: &[#(#api_query),*],
                expand: #expand,
            },
            enrichments: &[#(#enrichments),*],
            projection: &#mod_name::PROJECTION,
            items_to_parse: #items_entry,
            select: #mod_name::select,
            map: #mod_name::map,
            fields: #mod_name::FIELDS,
        }
    };
    (module_tokens, entry)
}

/// Generates the functions of one resource module.
struct ResGen<'m> {
    module: &'m mut ModuleGen,
    fns: Vec<TokenStream>,
    fields: Vec<String>,
    next: usize,
}

impl ResGen<'_> {
    /// A function for one leaf; returns its name.
    fn leaf(&mut self, leaf: &Leaf) -> proc_macro2::Ident {
        let name = format_ident!("f{}", self.next);
        self.next += 1;
        let f = self.module.first_fn(&name, &leaf.expr);
        let doc = format!(" `{}`", leaf.field);
        self.fns.push(quote! {
            #[doc = #doc]
            #f
        });
        self.fields.push(leaf.field.clone());
        name
    }

    /// Code for a field's value under Ocean's rule (first output, else null and a note).
    fn jq(&mut self, leaf: &Leaf) -> TokenStream {
        let f = self.leaf(leaf);
        let field = &leaf.field;
        quote!(::opsgenie_port_runtime::mapping::build::field(notes, #field, #f(item)))
    }

    fn opt(&mut self, leaf: Option<&Leaf>) -> TokenStream {
        match leaf {
            Some(l) => {
                let code = self.jq(l);
                quote!(::core::option::Option::Some(#code))
            }
            None => quote!(::core::option::Option::None),
        }
    }

    fn value(&mut self, v: &ValuePlan) -> TokenStream {
        match v {
            ValuePlan::Jq(leaf) => self.jq(leaf),
            ValuePlan::Search(s) => self.search(s),
        }
    }

    fn search(&mut self, s: &SearchPlan) -> TokenStream {
        let rt = quote!(::opsgenie_port_runtime::__private);
        let build = quote!(::opsgenie_port_runtime::mapping::build);
        let combinator = self.jq(&s.combinator);
        let mut rules = Vec::new();
        for rule in &s.rules {
            rules.push(match rule {
                RulePlan::Rule {
                    property,
                    operator,
                    value,
                } => {
                    let p = self.jq(property);
                    let o = self.jq(operator);
                    let v = self.jq(value);
                    quote!(#build::object(::std::vec![("property", #p), ("operator", #o), ("value", #v)]))
                }
                RulePlan::Query(inner) => self.search(inner),
            });
        }
        quote! {
            #build::object(::std::vec![
                ("combinator", #combinator),
                ("rules", #rt::Value::from(::std::vec![#(#rules),*])),
            ])
        }
    }
}

/// Every enrichment field the runtime knows; all are fetched when a mapping reads the whole item.
pub const ALL_ENRICHMENTS: &[&str] = &[
    "__team",
    "__incidents",
    "__oncalls",
    "__impactedServices",
    "__relatedIncident",
    "__members",
    "__currentOncalls",
];

fn projection_tokens(tree: &ReadTree) -> TokenStream {
    let rt = quote!(::opsgenie_port_runtime::__private);
    if tree.all {
        return quote!(#rt::Projection::ALL);
    }
    let fields: Vec<TokenStream> = tree
        .fields
        .iter()
        .map(|(name, sub)| {
            let sub = projection_tokens(sub);
            quote!((#name, #sub))
        })
        .collect();
    let elements = match &tree.elements {
        Some(e) => {
            let e = projection_tokens(e);
            quote!(::core::option::Option::Some(&#e))
        }
        None => quote!(::core::option::Option::None),
    };
    quote! {
        #rt::Projection {
            all: false,
            fields: &[#(#fields),*],
            elements: #elements,
        }
    }
}
