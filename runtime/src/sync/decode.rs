//! Raw Opsgenie objects (as the client decoded them) to the jq values a compiled mapping reads,
//! building only the parts its projection keeps.

use crate::jq::{Map, Projection, Value};

/// `raw` reduced to what `projection` selects, with the same rules as
/// [`crate::jq::parse_json_projected`]: `all` keeps the subtree, objects keep the listed fields,
/// array elements are projected with `elements` (`None` gives `null`), scalars are kept.
pub fn project(raw: &serde_json::Value, projection: &Projection) -> Value {
    if projection.all {
        return Value::from_serde(raw);
    }
    match raw {
        serde_json::Value::Object(object) => {
            let mut map = Map::with_capacity(projection.fields.len());
            for (key, value) in object {
                if let Some((name, sub)) =
                    projection.fields.iter().find(|(name, _)| **name == **key)
                {
                    map.insert(name.clone(), project(value, sub));
                }
            }
            Value::from(map)
        }
        serde_json::Value::Array(items) => items
            .iter()
            .map(|item| match &projection.elements {
                Some(sub) => project(item, sub),
                None => Value::Null,
            })
            .collect(),
        scalar => Value::from_serde(scalar),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn root() -> Projection {
        let inner = Projection::some(vec![("name", Projection::ALL)], None);
        let items = Projection::some(vec![], Some(inner));
        Projection::some(vec![("id", Projection::ALL), ("list", items)], None)
    }

    #[test]
    fn keeps_only_projected_parts() {
        let raw = json!({"id": "a", "skip": {"big": [1, 2, 3]},
                         "list": [{"name": "x", "other": 1}, {"other": 2}]});
        let projected = project(&raw, &root());
        let expected = json!({"id": "a", "list": [{"name": "x"}, {}]});
        assert_eq!(projected.to_serde(), expected);
        assert_eq!(project(&raw, &Projection::ALL).to_serde(), raw);
    }
}
