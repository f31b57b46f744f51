//! The builtin matrix: every builtin the compiler knows by name, called with every argument shape
//! it accepts, plus the other constructs of the language, each in a few contexts.
//!
//! Builtins come from the compiler's own tables, so a builtin added there is covered without
//! touching this file: native ones from `NATIVES`, jq-defined ones from `EXPANDED` and
//! `NOT_COMPILED`.
//!
//! Shapes (see [`SHAPES`]): `.`, paths, a literal of each JSON type, a variable, generators of
//! zero or several outputs, and filters (closures). Builtin-specific literals that make the call
//! succeed (`strptime("%Y…")`, `getpath(["a"])`) come from [`native_specifics`] and
//! [`expanded_specifics`]; the constructs (reduce, label, assignment operators, …) from
//! [`crate::constructs`].

use crate::programs::{Case, Expect};
use opsgenie_port_compiler::jq::builtins::{EXPANDED, NATIVES, NOT_COMPILED};

/// An argument shape: the argument's text, the binding its variable needs (prefixed to the
/// program), and whether its value comes from the input (so it may hold any input value).
struct Shape {
    arg: &'static str,
    prefix: &'static str,
    from_input: bool,
}

const fn shape(arg: &'static str, prefix: &'static str, from_input: bool) -> Shape {
    Shape {
        arg,
        prefix,
        from_input,
    }
}

/// Every argument shape, for the first argument of a builtin.
const SHAPES: &[Shape] = &[
    shape(".", "", true),
    shape(".a", "", true),
    shape(".a[0]", "", true),
    shape("null", "", false),
    shape("true", "", false),
    shape("-1.5", "", false),
    shape("\"é,☃ b\"", "", false),
    shape("[1, \"a\"]", "", false),
    shape("{\"a\": 1}", "", false),
    shape("$v", ".a as $v | ", true),
    shape("(.a, .b)", "", true),
    shape("empty", "", false),
    shape(".[]?", "", true),
    shape("(. + 1)", "", true),
    shape("select(. != null)", "", true),
];

/// Fewer shapes for later arguments, to keep the matrix in the hundreds: one of each kind.
const LATER_SHAPES: &[Shape] = &[
    shape(".", "", true),
    shape(".b", "", true),
    // Also valid regex flags, so regex builtins' flag position is not rejected for it.
    shape("\"g\"", "", false),
    shape("$v", ".c as $v | ", true),
    shape("(.a, .b)", "", true),
    shape("empty", "", false),
];

/// Where an argument-less builtin `F` is placed: alone, on each element, as a `sort_by` key (a
/// closure over a borrowed element), as an object value (nested value loops).
const CONTEXTS: &[&str] = &["F", "[.[]? | F]", "sort_by(F)", "{k: F}"];

/// `(name, arities)`, as the front end's `EXPANDED` and `NOT_COMPILED` tables hold them.
type Table = [(&'static str, &'static [usize])];

pub fn cases() -> Vec<Case> {
    let (expanded, not_compiled) = (EXPANDED, NOT_COMPILED);
    let mut out = Vec::new();
    natives(&mut out);
    expanded_calls(expanded, &mut out);
    for (name, arities) in not_compiled {
        for &arity in arities.iter() {
            let args = vec!["."; arity];
            out.push(Case {
                program: call(name, &args),
                group: format!("builtin {name}/{arity}"),
                expect: Expect::Rejected("is not supported"),
            });
        }
    }
    for &(group, program, expect) in crate::constructs::CONSTRUCTS {
        out.push(Case {
            program: program.to_string(),
            group: format!("construct {group}"),
            expect,
        });
    }
    out
}

fn call(name: &str, args: &[&str]) -> String {
    if args.is_empty() {
        name.to_string()
    } else {
        format!("{name}({})", args.join("; "))
    }
}

/// Every row of `NATIVES` reachable by name (`$`-names are internal).
fn natives(out: &mut Vec<Case>) {
    for native in NATIVES.iter().filter(|n| !n.name.starts_with('$')) {
        let (name, arity) = (native.name, native.imp.arity());
        let group = format!("builtin {name}/{arity}");
        let mut push = |program: String| {
            out.push(Case {
                program,
                group: group.clone(),
                expect: Expect::Native,
            })
        };
        if arity == 0 {
            for context in CONTEXTS {
                push(context.replace('F', name));
            }
            continue;
        }
        let defaults = native_defaults(name, arity);
        for position in 0..arity {
            let shapes = if position == 0 { SHAPES } else { LATER_SHAPES };
            for s in shapes {
                // setpath with a path read from the input could be `[1e12]`: a terabyte array.
                if name == "setpath" && position == 0 && s.from_input {
                    continue;
                }
                let mut args = defaults.clone();
                args[position] = s.arg;
                push(format!("{}{}", s.prefix, call(name, &args)));
            }
        }
        for args in native_specifics(name, arity) {
            push(call(name, args));
        }
        // Inside a keyed closure the input is a borrowed element, not the input reference.
        if name != "setpath" {
            push(format!("sort_by({})", call(name, &defaults)));
        }
    }
}

/// The other arguments while one is varied: values that make the call meaningful.
fn native_defaults(name: &str, arity: usize) -> Vec<&'static str> {
    match (name, arity) {
        ("setpath", 2) => vec!["[\"a\"]", "1"],
        ("pow", 2) => vec!["2", "3"],
        _ => vec!["."; arity],
    }
}

/// Literal arguments that make each builtin succeed on suitable inputs.
fn native_specifics(name: &str, arity: usize) -> &'static [&'static [&'static str]] {
    match (name, arity) {
        ("has", 1) => &[&["\"b\""], &["0"], &["2"]],
        ("in", 1) => &[&["{\"a\": 1}"], &["[0, 1]"]],
        ("contains" | "inside", 1) => &[&["\"b\""], &["[\"a\"]"], &["{\"a\": [1]}"]],
        ("startswith" | "endswith" | "ltrimstr" | "rtrimstr" | "trimstr", 1) => {
            &[&["\"ab\""], &["\"é\""], &["\"\""]]
        }
        ("split", 1) => &[&["\",\""], &["\"\""], &["\", \""]],
        ("join", 1) => &[&["\", \""], &["\"\""]],
        ("flatten", 1) => &[&["0"], &["2"], &["-1"]],
        ("strptime", 1) => &[&["\"%Y-%m-%dT%H:%M:%SZ\""], &["\"%d %B %Y\""], &["\"%s\""]],
        ("strftime" | "strflocaltime", 1) => &[
            &["\"%Y-%m-%dT%H:%M:%SZ\""],
            &["\"%A, %B %d, %Y %j %e\""],
            &["\"%H:%M %Z\""],
        ],
        ("error", 1) => &[&["\"boom\""], &["{\"code\": 1}"]],
        ("index" | "rindex" | "indices", 1) => &[&["\",\""], &["\"\""], &["[1, 2]"]],
        ("getpath", 1) => &[&["[\"a\", 0]"], &["[\"a\", \"b\"]"]],
        ("delpaths", 1) => &[&["[[\"a\"], [0]]"], &["[[]]"]],
        ("bsearch", 1) => &[&["\"b\""]],
        ("setpath", 2) => &[
            &["[0]", "\"x\""],
            &["[]", "1"],
            &["[\"a\", \"b\"]", "null"],
            &["[-1]", "0"],
        ],
        ("pow", 2) => &[&["2", "-1"], &["0", "0"], &["-8", "0.5"]],
        _ => &[],
    }
}

/// Every name/arity of `EXPANDED`: argument-less ones in each context, the others with each
/// shape in each position (the first position with every shape).
fn expanded_calls(expanded: &Table, out: &mut Vec<Case>) {
    for (name, arities) in expanded {
        for &arity in arities.iter() {
            let group = format!("builtin {name}/{arity}");
            let mut push = |program: String, expect: Expect| {
                out.push(Case {
                    program,
                    group: group.clone(),
                    expect,
                })
            };
            if arity == 0 {
                for context in CONTEXTS {
                    push(context.replace('F', name), Expect::Supported);
                }
                if name.starts_with('@') {
                    for text in ["x\\(.a)y", "\\(.)", "\\(.[]?)-\\(.a, .b)"] {
                        push(format!("{name} \"{text}\""), Expect::Supported);
                    }
                }
                continue;
            }
            let defaults = expanded_defaults(name, arity);
            for position in 0..arity {
                let shapes = if position == 0 { SHAPES } else { LATER_SHAPES };
                for s in shapes {
                    let mut args = defaults.clone();
                    args[position] = s.arg;
                    let program = format!("{}{}", s.prefix, call(name, &args));
                    push(program, expanded_expect(name, s.arg));
                }
            }
            for args in expanded_specifics(name, arity) {
                push(call(name, args), expanded_expect(name, args[0]));
            }
        }
    }
}

/// `path`, `del` and `pick` are compiled for paths of literal keys only.
fn expanded_expect(name: &str, first_arg: &str) -> Expect {
    let literal_paths = [".", ".a", ".a[0]", "(.a, .b)", ".a.b", ".[0]", ".a, .b[1]"];
    if matches!(name, "path" | "del" | "pick") && !literal_paths.contains(&first_arg) {
        Expect::Rejected("of anything but paths of literal keys")
    } else {
        Expect::Supported
    }
}

fn expanded_defaults(name: &str, arity: usize) -> Vec<&'static str> {
    match (name, arity) {
        ("add" | "first" | "last" | "isempty", 1) => vec![".[]?"],
        ("any" | "all", 2) => vec![".[]?", "."],
        ("nth", 1) => vec!["0"],
        ("nth", 2) => vec!["1", ".[]?"],
        ("split", 2) => vec!["\", *\"", "null"],
        ("test" | "match" | "capture" | "scan" | "splits", 1) => vec!["\"(?<x>[a-z]+)\""],
        ("test" | "match" | "capture" | "scan" | "splits", 2) => vec!["\"(?<x>[a-z]+)\"", "\"g\""],
        ("sub" | "gsub", 2) => vec!["\"(?<x>[a-z])\"", "\"<\\(.x)>\""],
        ("sub" | "gsub", 3) => vec!["\"(?<x>[a-z])\"", "\"<\\(.x)>\"", "\"gi\""],
        ("limit" | "skip", 2) => vec!["2", ".[]?"],
        ("range", 1) => vec!["3"],
        ("range", 2) => vec!["1", "4"],
        ("range", 3) => vec!["0", "10", "3"],
        ("IN", 1) => vec!["1, \"a\""],
        ("IN", 2) => vec![".[]?", "1, \"a\""],
        ("debug", 1) => vec!["\"msg\""],
        ("path" | "del" | "pick", 1) => vec![".a"],
        _ => vec!["."; arity],
    }
}

/// Calls that exercise each builtin's own meaning: regex flags and replacement filters that use
/// the captures, literal paths, closures that select and transform.
fn expanded_specifics(name: &str, arity: usize) -> &'static [&'static [&'static str]] {
    match (name, arity) {
        ("map" | "map_values", 1) => &[&[". * 2"], &["(., .)"], &["empty"]],
        ("select", 1) => &[&["type == \"number\""], &[".a > 1"], &["(true, true)"]],
        ("with_entries", 1) => &[
            &[".value |= tostring"],
            &["select(.key != \"a\")"],
            &["{key: .value | tostring, value: .key}"],
        ],
        ("add", 1) => &[&[".a, .b"], &["empty"], &[".[]? | strings"]],
        ("any" | "all", 1) => &[&[". == 1"], &["type == \"string\""]],
        ("any" | "all", 2) => &[&[".[]?", ". > 1"], &["empty", "."], &["(1, 2)", ". == 2"]],
        ("first" | "last", 1) => &[&["range(5)"], &["empty"], &[".a, .b, .c"]],
        ("nth", 2) => &[&["-1", ".[]?"], &["5", "range(3)"]],
        ("limit", 2) => &[&["0", ".[]?"], &["-1", ".[]?"], &["1", "range(10)"]],
        ("skip", 2) => &[&["0", ".[]?"], &["-1", ".[]?"], &["3", "range(5)"]],
        ("isempty", 1) => &[&["empty"], &["1, error(\"x\")"]],
        ("range", 1) => &[&["0"], &["-3"], &["2.5"]],
        ("range", 2) => &[&["3", "0"], &["0.5", "3"], &["(0, 1)", "(2, 3)"]],
        ("range", 3) => &[&["5", "0", "-2"], &["0", "1", "0.25"], &["0", "3", "0"]],
        ("IN", 1) => &[&["range(3)"], &["empty"]],
        ("IN", 2) => &[&["range(5)", "2, 3"], &["empty", "1"]],
        ("test" | "match" | "capture" | "scan" | "splits", 1) => &[
            &["\"a\""],
            &["\"\""],
            &["\"\\\\d+\""],
            &["\"(a)(b)?\""],
            &["\"é\""],
        ],
        ("test" | "match" | "capture" | "scan" | "splits", 2) => &[
            &["\"A\"", "\"i\""],
            &["\"a\"", "null"],
            &["\"a b\"", "\"x\""],
            &["\"(?<n>\\\\d)\"", "\"gn\""],
            &["\"\"", "\"g\""],
        ],
        ("split", 2) => &[
            &["\"a\"", "\"g\""],
            &["\", *\"", "\"x\""],
            &["\"\"", "null"],
        ],
        ("sub" | "gsub", 2) => &[
            &["\"a\"", "\"b\""],
            &["\"\"", "\"-\""],
            &["\"(?<x>.)\"", "\"\\(.x)\\(.x)\""],
            &["\"a\"", "(\"1\", \"2\")"],
            &["\"a\"", "empty"],
            &["\"(?<x>a)|(?<y>b)\"", "\"[\\(.x)|\\(.y)]\""],
        ],
        ("sub" | "gsub", 3) => &[&["\"A\"", "\"b\"", "\"i\""], &["\"a\"", "\"b\"", "\"g\""]],
        ("sort_by" | "group_by" | "unique_by" | "min_by" | "max_by", 1) => {
            &[&[".a"], &["-."], &[".a, .b"], &["empty"], &["type"]]
        }
        ("walk", 1) => &[
            &["if type == \"number\" then . + 1 else . end"],
            &["(., .)"],
            &["empty"],
            &["if type == \"array\" then sort else . end"],
        ],
        ("path" | "del" | "pick", 1) => &[&[".a.b"], &[".[0]"], &[".a, .b[1]"], &[".[]"]],
        _ => &[],
    }
}
