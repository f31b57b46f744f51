//! The checks of compiled leaves against their targets: the static type a field must be able
//! to yield, and the blueprint's properties, relations and required fields.

use super::{Checked, ResourceCx, ValuePlanChecked};
use crate::diag::Diagnostic;
use crate::inputs::app_config::{JqSource, MappingValue};
use crate::inputs::blueprint::{Blueprint, PropType, Relation};
use crate::jq::ir::{ExprKind, Lit};
use crate::jq::types::Kinds;
use crate::source::Span;
use crate::suggest::did_you_mean;

/// `check_kinds`: the leaf's static type must be able to be `want` (unknown types pass).
pub(super) fn check_kinds(
    cx: &mut ResourceCx<'_, '_>,
    c: &Checked<'_>,
    want: Kinds,
    code: &'static str,
    message: &str,
) {
    if let Some(kinds) = c.ty.kinds() {
        let non_null = kinds.minus(Kinds::NULL);
        if !non_null.is_empty() && !non_null.has(want) {
            cx.error(
                Diagnostic::error(code, message.to_string())
                    .with_primary(c.source.span, format!("this yields {}", kinds.describe())),
            );
        }
    }
}

/// `check_property`: the property exists on the blueprint, its value's static type fits the
/// property type, and constant strings are among the enum values.
pub(super) fn check_property(
    cx: &mut ResourceCx<'_, '_>,
    bp: &Blueprint,
    name: &str,
    span: Span,
    c: &Checked<'_>,
) {
    let Some(prop) = bp.property(name) else {
        // A property whose definition was rejected (already reported) is not "unknown" too.
        if bp
            .raw
            .pointer(&format!("/schema/properties/{name}"))
            .is_some()
        {
            return;
        }
        let help = did_you_mean(name, bp.properties.iter().map(|p| p.name.as_str()))
            .map(|s| format!("did you mean `{s}`?"));
        cx.error(
            Diagnostic::error(
                "E0301",
                format!("blueprint `{}` has no property `{name}`", bp.identifier),
            )
            .with_primary(span, "unknown property")
            .with_secondary(bp.id_span, "blueprint defined here")
            .with_help_opt(help),
        );
        return;
    };
    let want = match prop.ty {
        PropType::String => Kinds::STRING,
        PropType::Number => Kinds::NUMBER,
        PropType::Boolean => Kinds::BOOL,
        PropType::Array => Kinds::ARRAY,
        PropType::Object => Kinds::OBJECT,
    };
    if let Some(kinds) = c.ty.kinds() {
        let non_null = kinds.minus(Kinds::NULL);
        if !non_null.is_empty() && !non_null.has(want) {
            cx.error(
                Diagnostic::error(
                    "E0303",
                    format!(
                        "property `{name}` is a {} but this expression yields {}",
                        prop.ty.as_str(),
                        non_null.describe()
                    ),
                )
                .with_primary(c.source.span, format!("yields {}", kinds.describe()))
                .with_secondary(prop.span, format!("`{name}` declared as {} here", prop.ty.as_str()))
                .with_help("convert the value in jq (e.g. `tostring`, `tonumber`) or change the property type"),
            );
        }
    }
    if prop.required && c.ty.kinds().is_some_and(|k| k.has(Kinds::NULL)) {
        cx.error(
            Diagnostic::warning("W0002", format!("required property `{name}` may be null"))
                .with_primary(c.source.span, "can yield null (a missing field, or an error turned into null)")
                .with_secondary(prop.span, "required here")
                .with_note("Port rejects an entity whose required property is null; add a default with `// …`"),
        );
    }
    if let (Some(allowed), ExprKind::Lit(Lit::Str(s))) = (&prop.enum_values, &c.leaf.expr.kind) {
        if !allowed.iter().any(|v| v.as_str() == Some(s)) {
            let names: Vec<String> = allowed.iter().map(|v| v.to_string()).collect();
            cx.error(
                Diagnostic::error(
                    "E0304",
                    format!("`\"{s}\"` is not one of the enum values of `{name}`"),
                )
                .with_primary(c.source.span, "not in the enum")
                .with_secondary(prop.span, "enum declared here")
                .with_help(format!("allowed values: {}", names.join(", "))),
            );
        }
    }
}

/// `check_relation`: the relation exists; a `many` relation gets an array, a single one a
/// string (search queries are objects and always allowed).
pub(super) fn check_relation(
    cx: &mut ResourceCx<'_, '_>,
    bp: &Blueprint,
    name: &str,
    span: Span,
    v: &ValuePlanChecked<'_>,
) {
    let Some(rel) = bp.relation(name) else {
        let help = did_you_mean(name, bp.relations.iter().map(|r| r.name.as_str()))
            .map(|s| format!("did you mean `{s}`?"));
        cx.error(
            Diagnostic::error(
                "E0302",
                format!("blueprint `{}` has no relation `{name}`", bp.identifier),
            )
            .with_primary(span, "unknown relation")
            .with_secondary(bp.id_span, "blueprint defined here")
            .with_help_opt(help),
        );
        return;
    };
    let ValuePlanChecked::Jq(c) = v else { return };
    let Some(kinds) = c.ty.kinds() else { return };
    let non_null = kinds.minus(Kinds::NULL);
    let want = relation_kinds(rel);
    // Objects are search queries, which Port resolves; anything else must fit the relation.
    if !non_null.is_empty() && !non_null.has(want) && !non_null.has(Kinds::OBJECT) {
        cx.error(
            Diagnostic::error(
                "E0308",
                format!(
                    "relation `{name}` is {} but this expression yields {}",
                    if rel.many {
                        "many (an array of identifiers)"
                    } else {
                        "single (one identifier)"
                    },
                    non_null.describe()
                ),
            )
            .with_primary(c.source.span, format!("yields {}", kinds.describe()))
            .with_secondary(rel.span, "relation declared here"),
        );
    }
}

fn relation_kinds(rel: &Relation) -> Kinds {
    if rel.many {
        Kinds::ARRAY
    } else {
        Kinds::STRING
    }
}

/// `check_required`: warn when a required property or relation is not mapped.
pub(super) fn check_required(
    cx: &mut ResourceCx<'_, '_>,
    bp: &Blueprint,
    properties: &[(String, Span, JqSource)],
    relations: &[(String, Span, MappingValue)],
    at: Span,
) {
    // Sets of the mapped names: a blueprint with thousands of properties stays linear.
    let mapped: std::collections::HashSet<&str> =
        properties.iter().map(|(n, _, _)| n.as_str()).collect();
    let mapped_relations: std::collections::HashSet<&str> =
        relations.iter().map(|(n, _, _)| n.as_str()).collect();
    for p in &bp.properties {
        if p.required && !mapped.contains(p.name.as_str()) {
            cx.error(
                Diagnostic::warning(
                    "W0001",
                    format!(
                        "required property `{}` of `{}` is not mapped",
                        p.name, bp.identifier
                    ),
                )
                .with_primary(at, "entities of this blueprint")
                .with_secondary(p.span, "required here")
                .with_note("Port rejects entities without it"),
            );
        }
    }
    for r in &bp.relations {
        if r.required && !mapped_relations.contains(r.name.as_str()) {
            cx.error(
                Diagnostic::warning(
                    "W0001",
                    format!(
                        "required relation `{}` of `{}` is not mapped",
                        r.name, bp.identifier
                    ),
                )
                .with_primary(at, "entities of this blueprint")
                .with_secondary(r.span, "required here"),
            );
        }
    }
}
