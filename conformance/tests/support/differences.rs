//! Documented jq 1.8 ≠ jaq 3 differences (jq-notes §2) that can explain a mismatch between the
//! compiled mappings (which follow jq 1.8.2) and the jaq reference.
//!
//! Each difference carries a jq-1.8 compatibility prelude: definitions, written for this test,
//! that shadow the jaq builtin with jq 1.8.2's behaviour. A mismatch is put in a category only
//! if re-running jaq with that category's prelude reproduces the compiled result exactly, so the
//! classification checks the specific condition rather than the field name.

pub struct Difference {
    pub name: &'static str,
    pub description: &'static str,
    pub prelude: &'static str,
}

pub const DIFFERENCES: &[Difference] = &[
    Difference {
        name: "contains-type-mismatch",
        description: "jaq returns false for `contains` when input and argument have different \
                      types (e.g. null or a number against a string); jq 1.8 raises \
                      \"… cannot have their containment checked\", which Ocean turns into null",
        // jq checks the kinds of the two top-level values only (true and false are different
        // kinds there); nested comparisons use the ordinary containment rules.
        prelude: r#"def jaq_contains($b): contains($b);
def contains($b):
  if type == ($b | type) and (type != "boolean" or . == $b) then jaq_contains($b)
  else error("\(type) (\(tojson)) and \($b | type) (\($b | tojson)) cannot have their containment checked")
  end;
"#,
    },
    Difference {
        name: "join-null",
        description: "jaq's `join` writes null elements as \"null\"; jq 1.8 writes them as \"\" \
                      and numbers/booleans via tojson",
        prelude: r#"def join($sep):
  reduce .[] as $x (null;
    (if . == null then "" else . + $sep end)
    + ($x | if . == null then "" elif type == "boolean" or type == "number" then tojson else . end))
  // "";
"#,
    },
];
