use super::*;
use serde_json::json;

/// The blueprint a build defines.
fn built() -> Value {
    json!({
        "identifier": "alert",
        "title": "Alert",
        "schema": {
            "properties": {
                "status": {"type": "string", "enum": ["open", "closed", "snoozed"],
                           "enumColors": {"open": "red", "closed": "green", "snoozed": "yellow"}},
                "message": {"type": "string", "maxLength": 500},
                "count": {"type": "number", "minimum": 0},
                "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
                "tinyId": {"type": "string"}
            },
            "required": ["tinyId"]
        },
        "relations": {
            "incident": {"target": "incident", "required": true, "many": false},
            "team": {"target": "team", "required": false, "many": true}
        },
        "mirrorProperties": {"teamName": {"path": "team.$title"}}
    })
}

/// What an older build created in Port, with what Port and a user added.
fn held() -> Value {
    json!({
        "identifier": "alert",
        "title": "Alert (renamed by a user)",
        "schema": {
            "properties": {
                "status": {"type": "string", "enum": ["open", "closed"],
                           "enumColors": {"open": "red", "closed": "green"}},
                "message": {"type": "string", "maxLength": 100, "pattern": "^[a-z]+$"},
                "count": {"type": "number", "minimum": 1, "maximum": 10},
                "tags": {"type": "array", "items": {"type": "string", "enum": ["a"]}},
                "runbook": {"type": "string", "format": "url"}
            },
            "required": ["message", "runbook"]
        },
        "relations": {
            "team": {"target": "team", "required": true, "many": true},
            "owner": {"target": "user", "required": false, "many": false}
        },
        "mirrorProperties": {},
        "calculationProperties": {},
        "aggregationProperties": {},
        "createdAt": "2026-01-01T00:00:00.000Z",
        "createdBy": "someone",
        "updatedAt": "2026-01-02T00:00:00.000Z",
        "updatedBy": "someone"
    })
}

fn texts(diff: &Diff) -> Vec<&str> {
    diff.changes.iter().map(|c| c.text.as_str()).collect()
}

fn replaced(diff: &Diff, stage: usize) -> &Value {
    match diff.write(stage) {
        Some(Write::Replace(body)) => body,
        other => panic!("stage {stage}: {other:?}"),
    }
}

#[test]
fn additions_and_looser_limits_are_merged_into_ports_blueprint_and_nothing_else_changes() {
    let diff = Diff::of(&built(), Some(&held()));
    assert_eq!(
        texts(&diff),
        [
            "drop maximum 10 of property `count`",
            "minimum of property `count` 1 → 0",
            "maxLength of property `message` 100 → 500",
            "drop the pattern of property `message`",
            "add enum value \"snoozed\" to property `status`",
            "add enum value \"b\" to items of property `tags`",
            "add property `tinyId` (not required: that would refuse the entities Port holds \
             without it)",
            "no longer require property `message`",
            "add relation `incident` (to incident) (not required: that would refuse the \
             entities Port holds without it)",
            "no longer require relation `team`",
            "add mirror property `teamName`",
        ]
    );
    assert!(diff.conflicts.is_empty(), "{:?}", diff.conflicts);
    let last = replaced(&diff, 2);
    // Port's own things are kept: the title, the user's property and requirement, a relation.
    assert_eq!(last["title"], "Alert (renamed by a user)");
    assert_eq!(
        last["schema"]["properties"]["runbook"],
        json!({"type": "string", "format": "url"})
    );
    assert_eq!(last["schema"]["required"], json!(["runbook"]));
    assert_eq!(last["relations"]["owner"]["target"], "user");
    // The additions.
    let status = &last["schema"]["properties"]["status"];
    assert_eq!(status["enum"], json!(["open", "closed", "snoozed"]));
    assert_eq!(status["enumColors"]["snoozed"], "yellow");
    assert_eq!(
        last["schema"]["properties"]["message"],
        json!({"type": "string", "maxLength": 500})
    );
    assert_eq!(
        last["schema"]["properties"]["count"],
        json!({"type": "number", "minimum": 0})
    );
    assert_eq!(
        last["relations"]["incident"],
        json!({"target": "incident", "required": false, "many": false})
    );
    assert_eq!(last["relations"]["team"]["required"], false);
    assert_eq!(last["mirrorProperties"]["teamName"]["path"], "team.$title");
    // What Port adds of its own is not written back.
    for audit in AUDIT_FIELDS {
        assert!(last.get(audit).is_none(), "{audit}");
    }
    assert_eq!(diff.result.as_ref(), Some(last));
}

#[test]
fn each_stage_writes_the_whole_blueprint_so_far() {
    let diff = Diff::of(&built(), Some(&held()));
    let (first, second, third) = (replaced(&diff, 0), replaced(&diff, 1), replaced(&diff, 2));
    assert!(first["schema"]["properties"].get("tinyId").is_some());
    assert!(
        first["relations"].get("incident").is_none(),
        "relations come in stage 2"
    );
    assert_eq!(second["schema"], first["schema"]);
    assert!(second["relations"].get("incident").is_some());
    assert!(second["mirrorProperties"].get("teamName").is_none());
    assert_eq!(third["relations"], second["relations"]);
}

#[test]
fn a_blueprint_port_holds_as_built_needs_nothing() {
    let mut held = built();
    held["createdAt"] = json!("2026-01-01T00:00:00.000Z");
    // Port's defaults and a user's additions do not count.
    held["relations"]["incident"]["title"] = json!("Incident");
    held["relations"]["incident"]["required"] = json!(false);
    held["schema"]["properties"]["runbook"] = json!({"type": "string"});
    held["calculationProperties"] = json!({});
    // A looser definition in Port is left looser.
    held["schema"]["properties"]["status"]["enum"] = json!(["open", "closed", "snoozed", "x"]);
    held["schema"]["properties"]["message"]
        .as_object_mut()
        .unwrap()
        .remove("maxLength");
    held["schema"]["required"] = json!([]);
    let diff = Diff::of(&built(), Some(&held));
    assert!(diff.is_current(), "{:?}", texts(&diff));
    assert_eq!(diff.writes, [None, None, None]);
    assert_eq!(diff.result, Some(held));
}

#[test]
fn a_missing_blueprint_is_created_bare_then_given_its_relations_and_derived_properties() {
    let diff = Diff::of(&built(), None);
    assert_eq!(texts(&diff), ["create the blueprint"]);
    let Some(Write::Create(bare)) = diff.write(0) else {
        panic!("{:?}", diff.writes);
    };
    assert_eq!(bare["schema"], built()["schema"]);
    assert!(bare.get("relations").is_none() && bare.get("mirrorProperties").is_none());
    // A new blueprint has no entities: its relations are created as built.
    assert_eq!(replaced(&diff, 1)["relations"], built()["relations"]);
    assert_eq!(
        replaced(&diff, 2)["mirrorProperties"],
        built()["mirrorProperties"]
    );
    let refusing = diff.refusing(&["status"], &[]);
    assert!(refusing.absent && !refusing.is_empty());
}

#[test]
fn what_a_resource_writes_decides_what_refuses_every_entity() {
    let diff = Diff::of(&built(), Some(&held()));
    let refusing = diff.refusing(&["status", "tinyId", "message"], &["incident", "team"]);
    assert_eq!(
        refusing,
        Refusing {
            absent: false,
            missing: vec!["property `tinyId`".into(), "relation `incident`".into()],
            incompatible: Vec::new(),
        }
    );
    // A resource that writes neither is not refused; enum values and limits refuse only the
    // entities that need them.
    assert!(diff.refusing(&["status", "message"], &["team"]).is_empty());
    let stricter: Vec<&str> = diff
        .stricter(&["status"])
        .iter()
        .map(|c| c.text.as_str())
        .collect();
    assert_eq!(
        stricter,
        ["add enum value \"snoozed\" to property `status`"]
    );
}

#[test]
fn types_and_cardinalities_that_differ_are_conflicts_left_alone() {
    let mut held = held();
    held["schema"]["properties"]["count"] = json!({"type": "string", "maxLength": 3});
    held["relations"]["team"]["many"] = json!(false);
    held["relations"]["incident"] = json!({"target": "problem", "many": false});
    let diff = Diff::of(&built(), Some(&held));
    let conflicts: Vec<(ConflictKind, &str)> = diff
        .conflicts
        .iter()
        .map(|c| (c.kind, c.text.as_str()))
        .collect();
    assert_eq!(
        conflicts,
        [
            (
                ConflictKind::Type,
                "property `count` is of type string in Port but number in blueprints.json"
            ),
            (
                ConflictKind::Target,
                "relation `incident` targets \"problem\" in Port but \"incident\" in \
                 blueprints.json"
            ),
            (
                ConflictKind::Many,
                "relation `team` is single in Port but many in blueprints.json"
            ),
        ]
    );
    let last = diff.result.as_ref().unwrap();
    assert_eq!(
        last["schema"]["properties"]["count"],
        json!({"type": "string", "maxLength": 3}),
        "a conflicting property is not loosened either"
    );
    assert_eq!(last["relations"]["incident"]["target"], "problem");
    let refusing = diff.refusing(&["count"], &["team", "incident"]);
    assert_eq!(refusing.incompatible.len(), 2, "{refusing:?}");
    assert!(refusing.missing.is_empty());
}

/// Port's answers are untrusted JSON: any shape gives conflicts or nothing, never a panic, and
/// nothing of Port's is dropped.
#[test]
fn blueprints_of_any_shape_from_port_are_compared_without_panicking() {
    let shapes = [
        json!(null),
        json!("a blueprint"),
        json!([1, 2]),
        json!({}),
        json!({"schema": 3}),
        json!({"schema": {"properties": []}}),
        json!({"schema": {"properties": {"status": "string", "count": {"type": 7}},
                          "required": "status"}}),
        json!({"schema": {"properties": {"status": {"type": "string", "enum": "open"},
                                         "tags": {"type": "array", "items": 5},
                                         "message": {"type": "string", "maxLength": "long"}}}}),
        json!({"relations": [], "mirrorProperties": 1, "teamInheritance": "x"}),
        json!({"relations": {"team": "team", "incident": {"target": 5, "many": "yes"}}}),
    ];
    for held in shapes {
        let diff = Diff::of(&built(), Some(&held));
        if held.is_object() {
            // Whatever Port holds at a key the diff could not read is written back as it was.
            let last = diff.result.as_ref().unwrap();
            for (key, value) in held.as_object().unwrap() {
                if !value.is_object() && !value.is_null() {
                    assert_eq!(&last[key], value, "{held}");
                }
            }
        } else {
            assert!(diff.writes.iter().all(Option::is_none), "{held}");
            assert_eq!(diff.conflicts[0].kind, ConflictKind::Unreadable);
        }
        let _ = diff.refusing(&["status", "count", "tags"], &["team", "incident"]);
    }
    // What Port says is shown bounded.
    let huge = "x".repeat(100_000);
    let hostile = json!({"schema": {"properties": {"count": {"type": huge}}},
                         "relations": {"incident": {"target": huge, "many": false}}});
    let diff = Diff::of(&built(), Some(&hostile));
    assert_eq!(diff.conflicts.len(), 2);
    assert!(
        diff.conflicts.iter().all(|c| c.text.len() < 300),
        "{:?}",
        diff.conflicts
    );
    // A built blueprint that is not an object (never from a build) compares to nothing.
    let diff = Diff::of(&json!(7), Some(&held()));
    assert!(diff.is_current() && diff.conflicts.is_empty());
}
