//! A checked plan compiled at run time (a mapping read from Port or from a directory) as a
//! [`Mapping`] whose leaves run on the interpreter. Everything else — projection, enrichments,
//! kinds, selector options — is derived from the plan exactly as the code generator derives it
//! at build time, so both back ends decode, fetch and map alike.

use super::{
    EntityMapping, Eval, FieldValue, ItemsToParse, Leaf, Mapping, Origin, Resource, SearchQuery,
    SearchRule, SelectorOptions,
};
use opsgenie_port_compiler::backend::interp::Program;
use opsgenie_port_compiler::check::{self, Plan, ResourcePlan, RulePlan, SearchPlan, ValuePlan};
use opsgenie_port_compiler::inputs::app_config::kinds::KNOWN_KINDS;
use std::sync::Arc;

impl Mapping {
    /// The plan's resources with interpreted leaves. `blueprints_json` and `app_config_json`
    /// are what the plan was compiled from (Port's blueprints, Port's config).
    pub fn interpreted(
        plan: Plan,
        origin: Origin,
        blueprints_json: String,
        app_config_json: String,
    ) -> Mapping {
        Mapping {
            origin,
            enable_merge_entity: plan.enable_merge_entity,
            delete_dependent_entities: plan.delete_dependent_entities,
            create_missing_related_entities: plan.create_missing_related_entities,
            entity_deletion_threshold: plan.entity_deletion_threshold,
            // A kind outside the known list cannot pass the checks (E0200); such a resource
            // would have been blocked, so none is dropped here in practice.
            resources: plan.resources.into_iter().filter_map(resource).collect(),
            blueprints_json,
            app_config_json,
            schemas: opsgenie_port_compiler::inputs::mapdir::BUILTIN_SOURCES,
        }
    }
}

fn resource(r: ResourcePlan) -> Option<Resource> {
    let kind: &'static str = KNOWN_KINDS.iter().copied().find(|k| *k == r.kind)?;
    let projection = r.reads.projection();
    let enrichments = r.enrichments();
    let ResourcePlan {
        index,
        blueprint_const,
        selector,
        items_to_parse,
        identifier,
        title,
        blueprint,
        icon,
        team,
        properties,
        relations,
        include_members,
        api_query,
        expand,
        ..
    } = r;
    Some(Resource {
        index,
        kind,
        blueprint: blueprint_const,
        options: SelectorOptions {
            include_members,
            api_query,
            expand,
        },
        enrichments,
        projection,
        items_to_parse: items_to_parse.map(|(items, name, remove_path)| ItemsToParse {
            items: leaf(items),
            name: Arc::from(name),
            remove_path,
        }),
        selector: leaf(selector),
        entity: EntityMapping {
            identifier: value(identifier),
            title: title.map(leaf),
            blueprint: leaf(blueprint),
            icon: icon.map(leaf),
            team: team.map(value),
            properties: properties
                .into_iter()
                .map(|(name, l)| (Arc::from(name), leaf(l)))
                .collect(),
            relations: relations
                .into_iter()
                .map(|(name, v)| (Arc::from(name), value(v)))
                .collect(),
        },
    })
}

fn leaf(l: check::Leaf) -> Leaf {
    Leaf {
        field: Arc::from(l.field),
        eval: Eval::Interpreted(Arc::new(Program::new(l.expr))),
    }
}

fn value(v: ValuePlan) -> FieldValue {
    match v {
        ValuePlan::Jq(l) => FieldValue::Jq(leaf(l)),
        ValuePlan::Search(s) => FieldValue::Search(search(s)),
    }
}

fn search(s: SearchPlan) -> SearchQuery {
    SearchQuery {
        combinator: leaf(s.combinator),
        rules: s
            .rules
            .into_iter()
            .map(|rule| match rule {
                RulePlan::Rule {
                    property,
                    operator,
                    value,
                } => SearchRule::Rule {
                    property: leaf(property),
                    operator: leaf(operator),
                    value: leaf(value),
                },
                RulePlan::Query(inner) => SearchRule::Query(search(inner)),
            })
            .collect(),
    }
}
