//! What differs between two port-app-configs, named for people: the mapping Port holds and the
//! one built into the binary (which runs, and why, is decided in [`super::select`]).

use serde_json::Value;

/// What differs between the stored and the compiled mapping, as readable names:
/// `resources[2] (alert)`, `deleteDependentEntities`, `resources[4] (user): only in Port`.
/// Empty when they are the same (key order and `1` vs `1.0` do not count).
pub fn compare(stored: &Value, compiled: &Value) -> Vec<String> {
    let empty = serde_json::Map::new();
    let stored_map = stored.as_object().unwrap_or(&empty);
    let compiled_map = compiled.as_object().unwrap_or(&empty);
    let mut differing = Vec::new();

    let mut keys: Vec<&String> = stored_map.keys().chain(compiled_map.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        if key == "resources" {
            continue;
        }
        let (a, b) = (stored_map.get(key), compiled_map.get(key));
        let a = a.filter(|v| !v.is_null());
        let b = b.filter(|v| !v.is_null());
        let same = match (a, b) {
            (Some(a), Some(b)) => same_json(a, b),
            (None, None) => true,
            _ => false,
        };
        if !same {
            differing.push(key.clone());
        }
    }

    let no_resources = Vec::new();
    let resources = |map: &serde_json::Map<String, Value>| -> Vec<Value> {
        map.get("resources")
            .and_then(Value::as_array)
            .unwrap_or(&no_resources)
            .clone()
    };
    let (stored_resources, compiled_resources) = (resources(stored_map), resources(compiled_map));
    let count = stored_resources.len().max(compiled_resources.len());
    for index in 0..count {
        match (stored_resources.get(index), compiled_resources.get(index)) {
            (Some(a), Some(b)) if same_json(a, b) => {}
            (Some(a), Some(b)) => {
                let (kind_a, kind_b) = (kind_of(a), kind_of(b));
                if kind_a == kind_b {
                    differing.push(format!("resources[{index}] ({kind_b})"));
                } else {
                    differing.push(format!(
                        "resources[{index}] ({kind_b} compiled, {kind_a} in Port)"
                    ));
                }
            }
            (Some(a), None) => {
                differing.push(format!("resources[{index}] ({}): only in Port", kind_of(a)))
            }
            (None, Some(b)) => differing.push(format!(
                "resources[{index}] ({}): missing in Port",
                kind_of(b)
            )),
            (None, None) => {}
        }
    }
    differing
}

fn kind_of(resource: &Value) -> String {
    resource
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_owned()
}

/// JSON equality with numbers compared by value.
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_json(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(key, a)| y.get(key).is_some_and(|b| same_json(a, b)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config() -> Value {
        json!({
            "deleteDependentEntities": true,
            "entityDeletionThreshold": 0.9,
            "resources": [
                {"kind": "service", "selector": {"query": "true"}},
                {"kind": "alert", "selector": {"query": "true"}, "port": {"entity": {"mappings": {"identifier": ".id"}}}}
            ]
        })
    }

    #[test]
    fn identical_configs_do_not_drift() {
        assert!(compare(&config(), &config()).is_empty());
    }

    #[test]
    fn number_spelling_and_key_order_do_not_count() {
        let stored = json!({
            "resources": config()["resources"].clone(),
            "entityDeletionThreshold": 0.90,
            "deleteDependentEntities": true
        });
        assert!(compare(&stored, &config()).is_empty());
        assert!(compare(&json!({"a": 1}), &json!({"a": 1.0})).is_empty());
    }

    #[test]
    fn names_the_edited_resource() {
        let mut stored = config();
        stored["resources"][1]["selector"]["query"] = json!(".status == \"open\"");
        assert_eq!(compare(&stored, &config()), vec!["resources[1] (alert)"]);
    }

    #[test]
    fn names_added_removed_and_top_level_changes() {
        let mut stored = config();
        stored["deleteDependentEntities"] = json!(false);
        stored["resources"]
            .as_array_mut()
            .unwrap()
            .push(json!({"kind": "user"}));
        assert_eq!(
            compare(&stored, &config()),
            vec![
                "deleteDependentEntities".to_owned(),
                "resources[2] (user): only in Port".to_owned()
            ]
        );
        assert_eq!(
            compare(&json!({}), &config()),
            vec![
                "deleteDependentEntities".to_owned(),
                "entityDeletionThreshold".to_owned(),
                "resources[0] (service): missing in Port".to_owned(),
                "resources[1] (alert): missing in Port".to_owned()
            ]
        );
    }
}
