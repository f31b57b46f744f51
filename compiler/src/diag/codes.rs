//! Every diagnostic code in one table: what it means, how to fix it, and what it does when a
//! mapping fetched from Port is compiled at run time (where a mapping Port Ocean would run keeps
//! running, and what cannot produce correct data stops only its resource). `opsgenie-port
//! validate --explain CODE` prints an entry; the README's table of run-time diagnostics is this
//! table's `run_time` column.

/// What a diagnostic does at run time (at build time every error fails the build).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunTime {
    /// An error: its resource (or, outside every resource, the whole mapping) does not run.
    Blocks,
    /// A warning: reported, and the mapping runs.
    Warns,
}

/// One code.
pub struct Code {
    pub code: &'static str,
    /// What it means, in one line.
    pub title: &'static str,
    /// When it happens and how to fix it.
    pub explanation: &'static str,
    pub run_time: RunTime,
    /// Why it blocks or only warns at run time.
    pub run_time_why: &'static str,
}

use RunTime::{Blocks, Warns};

macro_rules! code {
    ($code:literal, $title:literal, $run_time:ident, $why:literal, $explanation:literal) => {
        Code {
            code: $code,
            title: $title,
            explanation: $explanation,
            run_time: $run_time,
            run_time_why: $why,
        }
    };
}

pub static CODES: &[Code] = &[
    code!("E0001", "YAML syntax error", Blocks,
        "not reachable from Port's JSON",
        "The port-app-config is not valid YAML (or holds several documents). The snippet points at the first character the parser could not take; a tab in indentation, an unclosed quote or a `:` inside an unquoted jq leaf are the usual causes — quote the leaf."),
    code!("E0002", "JSON syntax error", Blocks,
        "not reachable: Port's JSON is serialised by us",
        "A JSON file (blueprints.json, a port-app-config.json, a source schema) is not valid JSON at the marked position."),
    code!("E0003", "unknown key", Warns,
        "Ocean's models ignore extra keys, and so does the mapping",
        "A key the port-app-config, a kind's selector options or a source schema does not have. Usually a typo: the help line suggests the key meant. Ocean ignores such keys silently, so at run time it is only a warning."),
    code!("E0004", "missing required key", Blocks,
        "nothing to run without it (Ocean rejects the whole config)",
        "A key every resource needs is missing: `kind`, `selector.query`, `port.entity.mappings.identifier` or `blueprint`."),
    code!("E0005", "wrong type or value", Blocks,
        "the part is dropped, so the data would be wrong",
        "A value has the wrong type or is out of range: a YAML boolean or number where a jq leaf (a string) is expected, `entityDeletionThreshold` outside 0..1, a selector option of the wrong type. Quote jq leaves: `query: \"true\"`, not `query: true`."),
    code!("E0006", "duplicate key", Blocks,
        "which of two spellings Ocean would take is not ours to guess",
        "A key is given twice, or under two spellings of the same field (`enableMergeEntity` and `enable_merge_entity`). Keep one."),
    code!("E0007", "`file://` value", Blocks,
        "Ocean would compile the text `file://…` as jq and fail",
        "Ocean reads `file://` leaves only in its GitOps mode. Put the jq itself in the mapping."),
    code!("E0008", "missing or unreadable input file", Blocks,
        "build time only",
        "The mapping directory lacks port-app-config.yaml or blueprints.json, or a file cannot be read (a directory, a FIFO or device, a symbolic link loop or to nothing, not UTF-8). Set OPSGENIE_PORT_MAPPINGS to the directory that holds your mapping. `validate` and `map --mapping` exit with status 2 (unusable input) then."),
    code!("E0009", "no resources", Blocks,
        "Ocean skips an empty mapping; running one would make every owned entity look stale",
        "The mapping has no resources, so nothing would be synced. A warning at build time; at run time the resync fails (and deletes nothing) instead of treating every entity as stale."),
    code!("E0010", "several port-app-config files", Warns,
        "build time only",
        "The directory holds more than one of port-app-config.yaml/.yml/.json; the first is used. Remove the others."),
    code!("E0011", "too many diagnostics", Blocks,
        "the mapping has more problems than are shown; the ones shown decide",
        "A compilation keeps its first 200 diagnostics and counts the rest in this one. Fix the ones shown and run again."),
    code!("E0100", "jq syntax error", Blocks,
        "an expression that does not parse produces no data",
        "The jq leaf does not parse. The underline marks where the parser stopped: an unclosed parenthesis or string, a missing `end`, an operator with no right side."),
    code!("E0101", "unknown jq function or wrong arity", Blocks,
        "the expression cannot be evaluated",
        "The leaf calls a function jq 1.8 does not have, or with the wrong number of arguments. The help line names the arities that exist or the function meant."),
    code!("E0102", "jq construct not supported", Blocks,
        "the expression cannot be evaluated",
        "A jq 1.8 feature outside the subset real mappings use, compiled natively: `paths`, `path(f)` of computed paths, recursive `def`s, `while`/`until`, streaming, `$__loc__`, a `break` out of a `try` body. Rewrite the leaf with supported builtins."),
    code!("E0103", "invalid regex", Blocks,
        "every item's evaluation would fail",
        "A constant regular expression (of `test`, `match`, `capture`, `sub`, …) is not valid Oniguruma syntax or uses unknown flags."),
    code!("E0104", "undefined jq variable or label", Blocks,
        "the expression cannot be evaluated",
        "A `$name` that no `as $name`, `reduce`/`foreach` or function parameter defines, or a `break $name` without its `label`."),
    code!("E0105", "jq expression too deeply nested", Blocks,
        "it cannot be evaluated within the limits a mapping read from the network must keep",
        "Past 128 levels of nesting in the text (parentheses, brackets, braces, interpolations, `if`/`def` blocks, chains of `|`, `as`, operators), 256 levels once functions are expanded, or generated code nested too deeply. Real mappings nest fewer than 20 levels: split the expression into smaller steps."),
    code!("E0106", "jq expression or mapping too large", Blocks,
        "it cannot be evaluated within the limits a mapping read from the network must keep",
        "A jq leaf over 64 KiB, a list of more than 4,096 items, more than 20,000 steps once functions are expanded, or an expression (or a whole mapping) that would compile to too much Rust — each `if`, `//`, `and`/`or` and `try … catch` copies the rest of its expression. Simplify the largest expressions or split the mapping."),
    code!("E0200", "unknown kind", Blocks,
        "nothing to fetch",
        "The resource's `kind` is not one this integration reads: alert, incident, service, team, schedule, schedule-oncall, user."),
    code!("E0201", "field the Opsgenie object does not have", Warns,
        "evaluated as jq would: the field's value when Opsgenie sends it, null when not (and read, so the decoder keeps it)",
        "The leaf reads a field the kind's Opsgenie schema (mappings/sources/<kind>.json) does not list — usually a typo, and the help suggests the field meant. If Opsgenie does send the field, declare it in your directory's sources/<kind>.json."),
    code!("E0202", "field of a value that is not an object", Warns,
        "jq raises an error there, which becomes null as in Ocean",
        "The leaf indexes a value that, by the schema, is a string, number, array or boolean: jq raises an error at run time and Ocean turns it into null."),
    code!("E0300", "blueprint not defined", Blocks,
        "Port would refuse every entity",
        "The resource's `blueprint` names a blueprint that blueprints.json (at build time) or Port (at run time) does not have."),
    code!("E0301", "property not in the blueprint", Blocks,
        "Port would refuse every entity",
        "The mapping writes a property the target blueprint does not define. Add it to the blueprint, or fix the name (the help suggests one)."),
    code!("E0302", "relation not in the blueprint", Blocks,
        "Port would refuse every entity",
        "The mapping writes a relation the target blueprint does not define."),
    code!("E0303", "value type does not fit the property", Blocks,
        "Port would refuse every entity with a value",
        "The leaf's statically known type (string, number, boolean, array, object) cannot be the property's type. Convert in jq (`tostring`, `tonumber`) or change the property type."),
    code!("E0304", "constant outside the property's enum", Blocks,
        "Port would refuse every entity",
        "The leaf is a constant string that is not among the property's `enum` values."),
    code!("E0305", "relation target blueprint not loaded", Warns,
        "Port enforces relation targets itself",
        "A relation's `target` blueprint is not in blueprints.json. Add it, so Port can create the relation."),
    code!("E0306", "selector does not yield a boolean", Blocks,
        "Ocean fails every item whose selector is not a boolean",
        "`selector.query` must yield `true` or `false`; this one yields another type (e.g. a string `\"true\"` in YAML quotes inside quotes)."),
    code!("E0307", "identifier is not a string", Blocks,
        "Port would refuse every entity",
        "The identifier's statically known type cannot be a string. Use `tostring` or a string field."),
    code!("E0308", "relation value does not fit the relation", Blocks,
        "Port would refuse every entity",
        "A `many` relation needs an array of identifiers, a single one a string identifier (or a search query object)."),
    code!("E0310", "unknown property type", Warns,
        "Port accepted the blueprint",
        "A blueprint property's `type` is not one of string, number, boolean, array, object."),
    code!("E0311", "blueprint defined twice", Warns,
        "the first definition is used",
        "Two blueprints in blueprints.json share an identifier."),
    code!("E0312", "invalid identifier", Warns,
        "Port accepted it",
        "A blueprint, property or relation identifier does not follow Port's identifier rules."),
    code!("E0313", "unknown property format", Warns,
        "Port accepted the blueprint",
        "A string property's `format` is not one Port documents (date-time, url, email, user, team, …)."),
    code!("E0320", "source schema outside the supported subset", Blocks,
        "the binary's own schemas: cannot check leaves without them",
        "A file in sources/ uses JSON-Schema features the compiler does not read (it takes `type`, `properties`, `items`, `additionalProperties`, `$ref` to a kind)."),
    code!("E0400", "itemsToParse does not yield an array", Blocks,
        "Ocean skips every item",
        "`port.itemsToParse` must yield an array to fan out; this expression's type cannot be one."),
    code!("W0001", "required property or relation not mapped", Warns,
        "Port decides",
        "The blueprint requires a property or relation the mapping does not write: Port will refuse the entities."),
    code!("W0002", "required property may be null", Warns,
        "Port decides",
        "The leaf of a required property can yield null (a missing field, or an error turned into null): Port refuses such entities. Add a default with `// …`."),
];

/// The entry of `code`, if it is one.
pub fn lookup(code: &str) -> Option<&'static Code> {
    CODES.iter().find(|c| c.code.eq_ignore_ascii_case(code))
}

/// What `code` does at run time; an unknown code blocks (it is not known to be harmless).
pub fn at_run_time(code: &str) -> RunTime {
    lookup(code).map_or(Blocks, |c| c.run_time)
}

/// `validate --explain`'s text for `code`.
pub fn explain(code: &str) -> Option<String> {
    let c = lookup(code)?;
    let run_time = match c.run_time {
        Blocks => "an error: the resource does not run (no deletions in that resync)",
        Warns => "a warning: the mapping runs",
    };
    Some(format!(
        "{}: {}\n\n{}\n\nIn a mapping edited in Port (compiled at run time) it is {run_time} — {}.",
        c.code, c.title, c.explanation, c.run_time_why
    ))
}

/// The run-time column as the README shows it: a Markdown table of every code.
pub fn markdown_table() -> String {
    let mut out = String::from("| code | meaning | at run time | why |\n|---|---|---|---|\n");
    for c in CODES {
        let effect = match c.run_time {
            Blocks => "**stops the resource**",
            Warns => "warning, runs",
        };
        out.push_str(&format!(
            "| {} | {} | {effect} | {} |\n",
            c.code, c.title, c.run_time_why
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_code_once_and_unknown_codes_block() {
        for (i, c) in CODES.iter().enumerate() {
            assert!(
                !CODES[i + 1..].iter().any(|d| d.code == c.code),
                "{} twice",
                c.code
            );
        }
        assert_eq!(at_run_time("E0201"), Warns);
        assert_eq!(at_run_time("E0100"), Blocks);
        assert_eq!(at_run_time("E9999"), Blocks);
        assert!(explain("e0201").unwrap().contains("a warning"));
        assert!(explain("E9999").is_none());
    }
}
