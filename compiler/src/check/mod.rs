//! From a loaded mapping directory to a checked plan: every jq leaf compiled, analysed against
//! its kind's Opsgenie schema and checked against the target blueprint.
//!
//! The checks are small named functions (`check_*`, in [`rules`]), each reporting its own
//! diagnostic code; a failed leaf is left out of later checks so one mistake gives one error.
//! Each resource is checked on its own ([`check_resources`]), so that at run time
//! ([`Stage::Run`]) an error stops only its resource.

mod rules;
pub mod run;

use crate::diag::{Diagnostic, Diagnostics};
use crate::inputs::app_config::{
    AppConfig, JqSource, MappingValue, Resource, SearchQuery, SearchRule,
};
use crate::inputs::blueprint::Blueprint;
use crate::inputs::mapdir::MappingDir;
mod derived;

pub use derived::ALL_ENRICHMENTS;

use crate::jq::infer::{analyze, ReadTree, Step};
use crate::jq::ir::{Expr, ExprKind, Lit};
use crate::jq::types::{Kinds, Schemas, Ty};
use crate::suggest::did_you_mean;
use rules::{check_kinds, check_property, check_relation, check_required};

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

impl Plan {
    /// A plan of `resources` with the config's settings.
    pub fn new(config: &AppConfig, resources: Vec<ResourcePlan>) -> Plan {
        Plan {
            resources,
            enable_merge_entity: config.enable_merge_entity,
            delete_dependent_entities: config.delete_dependent_entities,
            create_missing_related_entities: config.create_missing_related_entities,
            entity_deletion_threshold: config.entity_deletion_threshold,
        }
    }
}

/// Which compilation the checks are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Build time (build.rs, the macro, `validate`): every error fails the build.
    Build,
    /// Run time, for the mapping Port holds: severities from [`crate::diag::run_time`], and an
    /// error stops only its resource.
    Run,
}

/// One resource after the checks.
#[derive(Debug)]
pub struct ResourceOutcome {
    /// Position in `resources`.
    pub index: usize,
    /// `None` when an error (at this stage) stops the resource.
    pub plan: Option<ResourcePlan>,
    /// Its diagnostics, with the stage's severities.
    pub diagnostics: Vec<Diagnostic>,
}

/// Compiles and checks every resource. Returns `None` when there is nothing to generate
/// (errors are in `diags`).
pub fn plan(dir: &MappingDir, diags: &mut Diagnostics) -> Option<Plan> {
    let config = dir.config.as_ref()?;
    // A blueprints.json that did not parse already has its error; checking the mapping against
    // an empty set would only add one "not defined" per resource.
    let blueprints_loaded = !diags.iter().any(|d| d.code == "E0002");
    let mut resources = Vec::new();
    for outcome in check_resources(dir, Stage::Build, blueprints_loaded) {
        diags.extend(outcome.diagnostics);
        resources.extend(outcome.plan);
    }
    if diags.has_errors() {
        return None;
    }
    Some(Plan::new(config, resources))
}

/// Compiles and checks each loaded resource on its own. `blueprints_loaded`: whether
/// `dir.blueprints` is the full set (otherwise blueprint names are not checked).
pub fn check_resources(
    dir: &MappingDir,
    stage: Stage,
    blueprints_loaded: bool,
) -> Vec<ResourceOutcome> {
    let Some(config) = dir.config.as_ref() else {
        return Vec::new();
    };
    let schemas = Schemas {
        by_kind: &dir.schemas,
    };
    config
        .resources
        .iter()
        .map(|resource| {
            let mut cx = ResourceCx {
                kind: &resource.kind,
                stage,
                diags: Diagnostics::new(),
                schemas: &schemas,
                blueprints: &dir.blueprints,
                reads: ReadTree::default(),
                failed: false,
                blueprints_loaded,
            };
            let plan = cx.resource(resource).filter(|_| !cx.failed);
            ResourceOutcome {
                index: resource.index,
                plan,
                diagnostics: cx.diags.into_vec(),
            }
        })
        .collect()
}

struct ResourceCx<'s, 'a> {
    kind: &'a str,
    stage: Stage,
    diags: Diagnostics,
    schemas: &'s Schemas<'a>,
    blueprints: &'a [Blueprint],
    reads: ReadTree,
    /// An error (at this stage) was reported: the resource is not planned.
    failed: bool,
    blueprints_loaded: bool,
}

/// What the checks need to know about one compiled leaf.
struct Checked<'a> {
    leaf: Leaf,
    ty: Ty<'a>,
    source: JqSource,
}

impl<'a> ResourceCx<'_, 'a> {
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
        let d = match self.stage {
            Stage::Build => d,
            Stage::Run => crate::diag::run_time::for_run_time(d),
        };
        if d.is_error() {
            self.failed = true;
        }
        self.diags.push(d);
    }

    fn find_blueprint(&mut self, name: &str, src: &JqSource) -> Option<&'a Blueprint> {
        if let Some(bp) = self.blueprints.iter().find(|b| b.identifier == name) {
            return Some(bp);
        }
        let suggestion = did_you_mean(name, self.blueprints.iter().map(|b| b.identifier.as_str()))
            .map(|s| format!("did you mean `{s}`?"));
        if self.stage == Stage::Run {
            // Only the blueprints the mapping names were fetched: listing them would mislead.
            self.error(
                Diagnostic::error("E0300", format!("blueprint `{name}` is not defined"))
                    .with_primary(src.span, "unknown blueprint")
                    .with_help_opt(suggestion)
                    .with_note(format!("Port has no blueprint `{name}`; create it in Port or correct the mapping's `blueprint`")),
            );
            return None;
        }
        let help = suggestion.unwrap_or_else(|| {
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
            let note = match self.stage {
                Stage::Build => format!("fields are checked against the Opsgenie schema of `{}` (mappings/sources/{}.json); declare a field in your mapping directory's sources/{}.json if Opsgenie sends it", self.kind, self.kind, self.kind),
                Stage::Run => format!("fields are checked against opsgenie-port's Opsgenie schema of `{}`; the mapping still reads the field: its value when Opsgenie sends it, null otherwise", self.kind),
            };
            let d = match p.not_object {
                None => Diagnostic::error(
                    "E0201",
                    format!("`{}` has no field `{}`", self.kind, p.name),
                )
                .with_primary(span, "unknown field")
                .with_help_opt(
                    did_you_mean(&p.name, p.candidates.iter().map(String::as_str))
                        .map(|s| format!("did you mean `{s}`?")),
                )
                .with_note(note),
                Some(kinds) => Diagnostic::error(
                    "E0202",
                    format!(
                        "`.{}` indexes a value that is {}, not an object",
                        p.name,
                        kinds.describe()
                    ),
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
