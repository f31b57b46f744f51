//! From a loaded mapping directory to a checked plan: every jq leaf compiled, analysed against
//! its kind's Opsgenie schema and checked against the target blueprint.
//!
//! The checks are small named functions (`check_*`), each reporting its own diagnostic code;
//! a failed leaf is left out of later checks so one mistake gives one error.

use crate::diag::{Diagnostic, Diagnostics};
use crate::inputs::app_config::{JqSource, MappingValue, Resource, SearchQuery, SearchRule};
use crate::inputs::blueprint::{Blueprint, PropType, Relation};
use crate::inputs::mapdir::MappingDir;
mod derived;

pub use derived::ALL_ENRICHMENTS;

use crate::jq::infer::{analyze, ReadTree, Step};
use crate::jq::ir::{Expr, ExprKind, Lit};
use crate::jq::types::{Kinds, Schemas, Ty};
use crate::source::Span;
use crate::suggest::did_you_mean;

/// One compiled jq leaf.
#[derive(Debug)]
pub struct Leaf {
    /// Where it sits: `identifier`, `properties.status`, `relations.team.rules.0.value`, …
    pub field: String,
    pub expr: Expr,
}

/// What a mapping value compiles to.
#[derive(Debug)]
pub enum ValuePlan {
    Jq(Leaf),
    /// A search query object whose leaves are jq.
    Search(SearchPlan),
}

#[derive(Debug)]
pub struct SearchPlan {
    pub combinator: Leaf,
    pub rules: Vec<RulePlan>,
}

#[derive(Debug)]
pub enum RulePlan {
    Rule {
        property: Leaf,
        operator: Leaf,
        value: Leaf,
    },
    Query(SearchPlan),
}

/// A resource after compilation and checks: what the code generator consumes.
#[derive(Debug)]
pub struct ResourcePlan {
    pub index: usize,
    pub kind: String,
    pub blueprint_const: Option<String>,
    pub selector: Leaf,
    pub items_to_parse: Option<(Leaf, String, Option<Vec<String>>)>,
    pub identifier: ValuePlan,
    pub title: Option<Leaf>,
    pub blueprint: Leaf,
    pub icon: Option<Leaf>,
    pub team: Option<ValuePlan>,
    pub properties: Vec<(String, Leaf)>,
    pub relations: Vec<(String, ValuePlan)>,
    pub reads: ReadTree,
    pub include_members: Option<bool>,
    pub api_query: Vec<(String, String)>,
    pub expand: Option<String>,
}

/// The checked plan of a whole mapping directory.
#[derive(Debug)]
pub struct Plan {
    pub resources: Vec<ResourcePlan>,
    pub enable_merge_entity: bool,
    pub delete_dependent_entities: bool,
    pub create_missing_related_entities: bool,
    pub entity_deletion_threshold: f64,
}

/// Compiles and checks every resource. Returns `None` when there is nothing to generate
/// (errors are in `diags`).
pub fn plan(dir: &MappingDir, diags: &mut Diagnostics) -> Option<Plan> {
    let config = dir.config.as_ref()?;
    let schemas = Schemas {
        by_kind: &dir.schemas,
    };
    // A blueprints.json that did not parse already has its error; checking the mapping against
    // an empty set would only add one "not defined" per resource.
    let blueprints_loaded = !diags.iter().any(|d| d.code == "E0002");
    let mut resources = Vec::new();
    for resource in &config.resources {
        let mut cx = ResourceCx {
            kind: &resource.kind,
            diags: &mut *diags,
            schemas: &schemas,
            blueprints: &dir.blueprints,
            reads: ReadTree::default(),
            failed: false,
            blueprints_loaded,
        };
        if let Some(p) = cx.resource(resource) {
            if !cx.failed {
                resources.push(p);
            }
        }
    }
    if diags.has_errors() {
        return None;
    }
    Some(Plan {
        resources,
        enable_merge_entity: config.enable_merge_entity,
        delete_dependent_entities: config.delete_dependent_entities,
        create_missing_related_entities: config.create_missing_related_entities,
        entity_deletion_threshold: config.entity_deletion_threshold,
    })
}

struct ResourceCx<'d, 's, 'a> {
    kind: &'a str,
    diags: &'d mut Diagnostics,
    schemas: &'s Schemas<'a>,
    blueprints: &'a [Blueprint],
    reads: ReadTree,
    failed: bool,
    blueprints_loaded: bool,
}

/// What the checks need to know about one compiled leaf.
struct Checked<'a> {
    leaf: Leaf,
    ty: Ty<'a>,
    source: JqSource,
}

impl<'a> ResourceCx<'_, '_, 'a> {
    fn resource(&mut self, r: &Resource) -> Option<ResourcePlan> {
        let kind_schema = self.schemas.by_kind.get(&r.kind);
        let root_ty = kind_schema.map_or(Ty::Any, |s| self.schemas.ty(s));
        let mappings = &r.port.entity;

        // itemsToParse: the fields then see the parent plus `.item` (the element).
        let mut item_ty = root_ty.clone();
        let mut items_plan = None;
        let mut items_paths: Vec<Vec<Step>> = Vec::new();
        if let Some(src) = &r.port.items_to_parse {
            if let Some((leaf, analysis)) =
                self.compile_leaf("itemsToParse", src, root_ty.clone(), false)
            {
                if let Some(kinds) = analysis.ty.kinds() {
                    if !kinds.has(Kinds::ARRAY) {
                        self.error(
                            Diagnostic::error("E0400", "`itemsToParse` must yield an array")
                                .with_primary(
                                    src.span,
                                    format!("this yields {}", kinds.describe()),
                                ),
                        );
                    }
                }
                items_paths = analysis.output_paths.clone();
                if items_paths.is_empty() {
                    self.reads = ReadTree::everything();
                }
                let name = r.port.items_to_parse_name.clone();
                let element = analysis.ty.element();
                item_ty = with_extra_field(root_ty.clone(), &name, element);
                let remove = r
                    .port
                    .items_to_parse_top_level_transform
                    .then(|| simple_path(&leaf.expr))
                    .flatten();
                items_plan = Some((leaf, name, remove));
            }
        }

        let selector = self.compile_checked("selector.query", &r.selector.query, item_ty.clone());
        if let Some(c) = &selector {
            check_kinds(
                self,
                c,
                Kinds::BOOL,
                "E0306",
                "`selector.query` must yield a boolean",
            );
        }
        let identifier = self.value("identifier", &mappings.identifier, &item_ty);
        if let (Some(ValuePlanChecked::Jq(c)), _) = (&identifier, ()) {
            check_kinds(
                self,
                c,
                Kinds::STRING,
                "E0307",
                "the identifier must be a string",
            );
        }
        let title = mappings
            .title
            .as_ref()
            .and_then(|t| self.compile_checked("title", t, item_ty.clone()));
        let blueprint = self.compile_checked("blueprint", &mappings.blueprint, item_ty.clone());
        let icon = mappings
            .icon
            .as_ref()
            .and_then(|t| self.compile_checked("icon", t, item_ty.clone()));
        let team = mappings
            .team
            .as_ref()
            .and_then(|t| self.value("team", t, &item_ty));

        // The target blueprint, when the mapping names it with a constant string.
        let blueprint_const = blueprint.as_ref().and_then(|b| match &b.leaf.expr.kind {
            ExprKind::Lit(Lit::Str(s)) => Some(s.clone()),
            _ => None,
        });
        let target = blueprint_const
            .as_ref()
            .filter(|_| self.blueprints_loaded)
            .and_then(|name| self.find_blueprint(name, &mappings.blueprint));

        let mut properties = Vec::new();
        for (name, span, src) in &mappings.properties {
            let field = format!("properties.{name}");
            let Some(c) = self.compile_checked(&field, src, item_ty.clone()) else {
                continue;
            };
            if let Some(bp) = target {
                check_property(self, bp, name, *span, &c);
            }
            properties.push((name.clone(), c.leaf));
        }
        let mut relations = Vec::new();
        for (name, span, value) in &mappings.relations {
            let field = format!("relations.{name}");
            let Some(v) = self.value(&field, value, &item_ty) else {
                continue;
            };
            if let Some(bp) = target {
                check_relation(self, bp, name, *span, &v);
            }
            relations.push((name.clone(), v.into_plan()));
        }
        if let Some(bp) = target {
            check_required(
                self,
                bp,
                &mappings.properties,
                &mappings.relations,
                r.port.entity.blueprint.span,
            );
        }

        // Reads of `.item…` are reads of the itemsToParse elements.
        let mut reads = std::mem::take(&mut self.reads);
        if items_plan.is_some() {
            let name = &r.port.items_to_parse_name;
            if let Some(item_reads) = reads.fields.remove(name) {
                for p in &items_paths {
                    let mut elem = p.clone();
                    elem.push(Step::Elem);
                    graft(&mut reads, &elem, &item_reads);
                }
            }
        }

        Some(ResourcePlan {
            index: r.index,
            kind: r.kind.clone(),
            blueprint_const,
            selector: selector?.leaf,
            items_to_parse: items_plan,
            identifier: identifier?.into_plan(),
            title: title.map(|c| c.leaf),
            blueprint: blueprint?.leaf,
            icon: icon.map(|c| c.leaf),
            team: team.map(ValuePlanChecked::into_plan),
            properties,
            relations,
            reads,
            include_members: r.selector.options.include_members,
            api_query: r
                .selector
                .options
                .api_query_params
                .iter()
                .map(|p| (p.name.clone(), p.value.to_search_term()))
                .collect(),
            expand: r.selector.options.expand.clone(),
        })
    }

    fn error(&mut self, d: Diagnostic) {
        if d.is_error() {
            self.failed = true;
        }
        self.diags.push(d);
    }

    fn find_blueprint(&mut self, name: &str, src: &JqSource) -> Option<&'a Blueprint> {
        if let Some(bp) = self.blueprints.iter().find(|b| b.identifier == name) {
            return Some(bp);
        }
        let help = did_you_mean(name, self.blueprints.iter().map(|b| b.identifier.as_str()))
            .map(|s| format!("did you mean `{s}`?"))
            .unwrap_or_else(|| {
                let known: Vec<&str> = self
                    .blueprints
                    .iter()
                    .map(|b| b.identifier.as_str())
                    .collect();
                if known.is_empty() {
                    "no blueprints are defined in blueprints.json".to_string()
                } else {
                    format!("known blueprints: {}", known.join(", "))
                }
            });
        self.error(
            Diagnostic::error("E0300", format!("blueprint `{name}` is not defined"))
                .with_primary(src.span, "unknown blueprint")
                .with_help(help),
        );
        None
    }

    /// Compiles a leaf and analyses it; reports jq and field errors.
    fn compile_leaf(
        &mut self,
        field: &str,
        src: &JqSource,
        input: Ty<'a>,
        consume: bool,
    ) -> Option<(Leaf, crate::jq::infer::Analysis<'a>)> {
        let expr = match crate::jq::compile(&src.text) {
            Ok(e) => e,
            Err(errors) => {
                for e in errors {
                    let span = src.span_of(e.span.clone());
                    self.error(
                        Diagnostic::error(e.code, e.message.clone())
                            .with_primary(span, label_for(e.code))
                            .with_help_opt(e.help.clone()),
                    );
                }
                return None;
            }
        };
        let analysis = analyze(&expr, input, self.schemas, consume);
        for p in &analysis.problems {
            let span = src.span_of(p.span.clone());
            let d = match p.not_object {
                None => Diagnostic::error("E0201", format!("`{}` has no field `{}`", self.kind, p.name))
                    .with_primary(span, "unknown field")
                    .with_help_opt(did_you_mean(&p.name, p.candidates.iter().map(String::as_str)).map(|s| format!("did you mean `{s}`?")))
                    .with_note(format!("fields are checked against the Opsgenie schema of `{}` (mappings/sources/{}.json); declare a field in your mapping directory's sources/{}.json if Opsgenie sends it", self.kind, self.kind, self.kind)),
                Some(kinds) => Diagnostic::error(
                    "E0202",
                    format!("`.{}` indexes a value that is {}, not an object", p.name, kinds.describe()),
                )
                .with_primary(span, "this fails at run time")
                .with_note("jq raises an error here, which Port Ocean turns into null"),
            };
            self.error(d);
        }
        self.reads.merge(&analysis.reads);
        Some((
            Leaf {
                field: field.to_string(),
                expr,
            },
            analysis,
        ))
    }

    fn compile_checked(
        &mut self,
        field: &str,
        src: &JqSource,
        input: Ty<'a>,
    ) -> Option<Checked<'a>> {
        let (leaf, analysis) = self.compile_leaf(field, src, input, true)?;
        Some(Checked {
            leaf,
            ty: analysis.ty,
            source: src.clone(),
        })
    }

    fn value(
        &mut self,
        field: &str,
        v: &MappingValue,
        input: &Ty<'a>,
    ) -> Option<ValuePlanChecked<'a>> {
        match v {
            MappingValue::Jq(src) => self
                .compile_checked(field, src, input.clone())
                .map(ValuePlanChecked::Jq),
            MappingValue::Search(q) => self.search(field, q, input).map(ValuePlanChecked::Search),
        }
    }

    fn search(&mut self, field: &str, q: &SearchQuery, input: &Ty<'a>) -> Option<SearchPlan> {
        let combinator =
            self.compile_checked(&format!("{field}.combinator"), &q.combinator, input.clone());
        let mut rules = Vec::new();
        let mut ok = true;
        for (i, rule) in q.rules.iter().enumerate() {
            let base = format!("{field}.rules.{i}");
            match rule {
                SearchRule::Rule {
                    property,
                    operator,
                    value,
                } => {
                    let p =
                        self.compile_checked(&format!("{base}.property"), property, input.clone());
                    let o =
                        self.compile_checked(&format!("{base}.operator"), operator, input.clone());
                    let v = self.compile_checked(&format!("{base}.value"), value, input.clone());
                    match (p, o, v) {
                        (Some(p), Some(o), Some(v)) => rules.push(RulePlan::Rule {
                            property: p.leaf,
                            operator: o.leaf,
                            value: v.leaf,
                        }),
                        _ => ok = false,
                    }
                }
                SearchRule::Query(inner) => match self.search(&base, inner, input) {
                    Some(p) => rules.push(RulePlan::Query(p)),
                    None => ok = false,
                },
            }
        }
        let combinator = combinator?;
        ok.then_some(SearchPlan {
            combinator: combinator.leaf,
            rules,
        })
    }
}

enum ValuePlanChecked<'a> {
    Jq(Checked<'a>),
    Search(SearchPlan),
}

impl ValuePlanChecked<'_> {
    fn into_plan(self) -> ValuePlan {
        match self {
            ValuePlanChecked::Jq(c) => ValuePlan::Jq(c.leaf),
            ValuePlanChecked::Search(s) => ValuePlan::Search(s),
        }
    }
}

fn label_for(code: &str) -> &'static str {
    match code {
        "E0100" => "syntax error",
        "E0101" => "unknown function",
        "E0102" => "not supported",
        "E0103" => "invalid regex",
        "E0104" => "undefined",
        _ => "here",
    }
}

/// `check_kinds`: the leaf's static type must be able to be `want` (unknown types pass).
fn check_kinds(
    cx: &mut ResourceCx<'_, '_, '_>,
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
fn check_property(
    cx: &mut ResourceCx<'_, '_, '_>,
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
    let required = prop.required || bp.required.iter().any(|r| r == name);
    if required && c.ty.kinds().is_some_and(|k| k.has(Kinds::NULL)) {
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
fn check_relation(
    cx: &mut ResourceCx<'_, '_, '_>,
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
fn check_required(
    cx: &mut ResourceCx<'_, '_, '_>,
    bp: &Blueprint,
    properties: &[(String, Span, JqSource)],
    relations: &[(String, Span, MappingValue)],
    at: Span,
) {
    for p in &bp.properties {
        if (p.required || bp.required.contains(&p.name))
            && !properties.iter().any(|(n, _, _)| *n == p.name)
        {
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
        if r.required && !relations.iter().any(|(n, _, _)| *n == r.name) {
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

/// `root` with an extra field (for `.item`).
fn with_extra_field<'a>(root: Ty<'a>, name: &str, ty: Ty<'a>) -> Ty<'a> {
    match root {
        Ty::Known(mut k) if k.object.is_some() => {
            if let Some(obj) = &mut k.object {
                obj.extra.push((name.to_string(), ty));
            }
            Ty::Known(k)
        }
        other => other,
    }
}

/// The path of a pure field path (`.a.b`), for `itemsToParseTopLevelTransform`.
fn simple_path(e: &Expr) -> Option<Vec<String>> {
    match &e.kind {
        ExprKind::Index { base, key, .. } => {
            let ExprKind::Lit(Lit::Str(name)) = &key.kind else {
                return None;
            };
            let mut path = match &base.kind {
                ExprKind::Identity => Vec::new(),
                _ => simple_path(base)?,
            };
            path.push(name.clone());
            Some(path)
        }
        _ => None,
    }
}

/// Adds `reads` below `path` of `tree`.
fn graft(tree: &mut ReadTree, path: &[Step], reads: &ReadTree) {
    if tree.all {
        return;
    }
    match path.split_first() {
        None => tree.merge(reads),
        Some((Step::Field(f), rest)) => {
            graft(tree.fields.entry(f.clone()).or_default(), rest, reads)
        }
        Some((Step::Elem, rest)) => graft(
            tree.elements.get_or_insert_with(Default::default),
            rest,
            reads,
        ),
    }
}
