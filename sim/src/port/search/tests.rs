use super::*;

fn stored(identifier: &str, datasource: &str) -> StoredEntity {
    StoredEntity {
        identifier: identifier.to_owned(),
        title: None,
        icon: None,
        team: Vec::new(),
        properties: Map::new(),
        relations: Map::new(),
        created_at: 0,
        created_by: "t".into(),
        updated_at: 0,
        updated_by: "t".into(),
        datasource: datasource.to_owned(),
    }
}

#[test]
fn index_lookups_find_what_a_scan_finds() {
    let mut store = Store::default();
    for blueprint in ["alert", "incident"] {
        let entities = store.entities.entry(blueprint.to_owned()).or_default();
        for n in 0..6 {
            let id = format!("{blueprint}-{n}");
            let owner = format!("port-ocean/opsgenie/1/{}/exporter", n % 2);
            entities.insert(id.clone(), stored(&id, &owner));
        }
    }
    let rule = |property: &str, operator: &str, value: Value| json!({"property": property, "operator": operator, "value": value});
    let queries = [
        json!({"combinator": "and", "rules": [
            rule("$identifier", "in", json!(["alert-1", "alert-2", "alert-2", "incident-1", "nope"])),
            rule("$blueprint", "=", json!("alert")),
            rule("$datasource", "contains", json!("/1/exporter")),
        ]}),
        json!({"combinator": "and", "rules": [
            rule("$identifier", "=", json!("incident-3")),
            rule("$blueprint", "=", json!("incident")),
        ]}),
        json!({"combinator": "and", "rules": [rule("$blueprint", "=", json!("incident"))]}),
        json!({"combinator": "and", "rules": [rule("$blueprint", "=", json!("missing"))]}),
        json!({"combinator": "or", "rules": [
            rule("$identifier", "in", json!(["alert-1"])),
            rule("$blueprint", "=", json!("incident")),
        ]}),
    ];
    for query in queries {
        let node = compile(&query, "q").unwrap();
        let ids = |found: Vec<(&String, &StoredEntity)>| -> Vec<String> {
            found
                .into_iter()
                .filter(|(bp, e)| matches(&node, &store, bp, e))
                .map(|(bp, e)| format!("{bp}/{}", e.identifier))
                .collect()
        };
        let scanned = ids(store.all_entities().collect());
        let mut indexed = ids(narrowed(&node, &store).collect());
        indexed.sort();
        assert_eq!(indexed, scanned, "{query}");
    }
}

#[test]
fn a_cursor_continues_where_a_scan_would() {
    let mut store = Store::default();
    for blueprint in ["a", "ab", "b"] {
        let entities = store.entities.entry(blueprint.to_owned()).or_default();
        for id in ["x", "x\u{1}", "y", "é"] {
            entities.insert(id.to_owned(), stored(id, ""));
        }
    }
    let all: Vec<String> = store
        .all_entities()
        .map(|(bp, e)| cursor_key(bp, &e.identifier))
        .collect();
    for (index, cursor) in all.iter().enumerate() {
        let rest: Vec<String> = after_cursor(&store, Some(cursor))
            .map(|(bp, e)| cursor_key(bp, &e.identifier))
            .collect();
        assert_eq!(rest, all[index + 1..], "after {cursor:?}");
    }
    assert_eq!(after_cursor(&store, None).count(), all.len());
    assert_eq!(after_cursor(&store, Some("ab")).count(), 8);
}

#[test]
fn malformed_queries_are_named() {
    assert_eq!(
        compile(&json!({"rules": []}), "query").unwrap_err(),
        "\"query\" must have required property 'combinator'"
    );
    assert!(compile(&json!({"combinator": "xor", "rules": []}), "q").is_err());
    let bad_op =
        json!({"combinator": "and", "rules": [{"property": "a", "operator": "~", "value": 1}]});
    assert!(compile(&bad_op, "q")
        .unwrap_err()
        .contains("rules/0/operator"));
    let in_scalar =
        json!({"combinator": "and", "rules": [{"property": "a", "operator": "in", "value": 1}]});
    assert!(compile(&in_scalar, "q").is_err());
}

#[test]
fn operators() {
    assert!(rule_matches(
        Op::Contains,
        &json!("port-ocean/opsgenie/1.0/x/exporter"),
        &json!("port-ocean/opsgenie/")
    ));
    assert!(rule_matches(Op::In, &json!("b"), &json!(["a", "b"])));
    assert!(rule_matches(Op::In, &json!(["x", "b"]), &json!(["a", "b"])));
    assert!(!rule_matches(Op::NotIn, &json!("b"), &json!(["a", "b"])));
    assert!(rule_matches(Op::Gt, &json!(3), &json!(2.5)));
    assert!(rule_matches(
        Op::Lt,
        &json!("2024-01-01T00:00:00Z"),
        &json!("2024-01-01T01:00:00+00:30")
    ));
    assert!(rule_matches(Op::IsEmpty, &json!([]), &Value::Null));
    assert!(rule_matches(Op::Ne, &Value::Null, &json!("x")));
    assert!(rule_matches(
        Op::ContainsAny,
        &json!(["red", "blue"]),
        &json!(["blu", "zzz"])
    ));
}

#[test]
fn projection_and_cursors() {
    let entity = json!({"identifier": "a", "title": "A", "properties": {"x": 1, "y": 2}});
    let kept = project(
        entity.clone(),
        &["identifier".into(), "properties.x".into()],
        &[],
    );
    assert_eq!(kept, json!({"identifier": "a", "properties": {"x": 1}}));
    let dropped = project(entity, &[], &["properties.y".into(), "$title".into()]);
    assert_eq!(dropped, json!({"identifier": "a", "properties": {"x": 1}}));
    assert_eq!(from_hex(&to_hex("bp\u{0}é")).as_deref(), Some("bp\u{0}é"));
    assert_eq!(from_hex("zz"), None);
}
