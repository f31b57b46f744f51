//! Table tests of values and operators: literals, strings, objects, arithmetic and logic,
//! `//`, variables, indexing — each with the loop order and error texts codegen has.

use super::check;

#[test]
fn values() {
    check(&[
        (".", r#"{"a":1}"#, &[r#"{"a":1}"#], None),
        ("[..]", r#"{"a":[1]}"#, &[r#"[{"a":[1]},[1],1]"#], None),
        ("null, true, false", "0", &["null", "true", "false"], None),
        // Literals keep their text unless they are plain small integers.
        (
            "1, 1.50, 1e2, 100000000000000000001, 007",
            "null",
            &["1", "1.50", "1E+2", "100000000000000000001", "7"],
            None,
        ),
        (r#""s", "a\tb""#, "null", &[r#""s""#, r#""a\tb""#], None),
        (
            "[], [.[] * 2], [empty]",
            "[1,2]",
            &["[]", "[2,4]", "[]"],
            None,
        ),
    ]);
}

#[test]
fn strings() {
    check(&[
        // The last interpolation is the outermost loop.
        (
            r#""a\(1,2)b\(3,4)""#,
            "null",
            &[r#""a1b3""#, r#""a2b3""#, r#""a1b4""#, r#""a2b4""#],
            None,
        ),
        (r#""\(.) \([.])""#, r#""x""#, &[r#""x [\"x\"]""#], None),
        (r#"@base64 "x\(.)y""#, r#""hi""#, &[r#""xaGk=y""#], None),
        (r#"@json "v=\(.)""#, r#""a""#, &[r#""v=\"a\"""#], None),
        (r#"@text "v=\(.)""#, r#"[1]"#, &[r#""v=[1]""#], None),
        // Last interpolation first: its error wins.
        (
            r#""\(error("first"))\(error("last"))""#,
            "null",
            &[],
            Some("last"),
        ),
        (
            r#"@csv "\(.)""#,
            r#""x""#,
            &[],
            Some("string (\"x\") cannot be csv-formatted, only array"),
        ),
    ]);
}

#[test]
fn objects() {
    check(&[
        (
            r#"{a: .x, "b": 2, (.k): 3}"#,
            r#"{"x":1,"k":"c"}"#,
            &[r#"{"a":1,"b":2,"c":3}"#],
            None,
        ),
        // Entries in order, first outermost; the key outside its value.
        (
            "{a: (1,2), b: (3,4)}",
            "null",
            &[
                r#"{"a":1,"b":3}"#,
                r#"{"a":1,"b":4}"#,
                r#"{"a":2,"b":3}"#,
                r#"{"a":2,"b":4}"#,
            ],
            None,
        ),
        (
            r#"{("a","b"): (1,2)}"#,
            "null",
            &[r#"{"a":1}"#, r#"{"a":2}"#, r#"{"b":1}"#, r#"{"b":2}"#],
            None,
        ),
        ("{a: 1, a: 2}", "null", &[r#"{"a":2}"#], None),
        (
            "{(1): 2}",
            "null",
            &[],
            Some("Cannot use number (1) as object key"),
        ),
        // Evaluation errors come before the insertion of a bad key, in both evaluators.
        (r#"{(1): 2, b: error("later")}"#, "null", &[], Some("later")),
        // …but a generator's first combination is inserted before its later outputs run.
        (
            r#"{(1): 2, b: (3, error("later"))}"#,
            "null",
            &[],
            Some("Cannot use number (1) as object key"),
        ),
        (
            r#"{(1,"a"): 2}"#,
            "null",
            &[],
            Some("Cannot use number (1) as object key"),
        ),
        (
            r#"{("a",1): 2}"#,
            "null",
            &[r#"{"a":2}"#],
            Some("Cannot use number (1) as object key"),
        ),
        ("{a: .[]}", "[1,2]", &[r#"{"a":1}"#, r#"{"a":2}"#], None),
        ("{}", "null", &["{}"], None),
    ]);
}

#[test]
fn operators() {
    check(&[
        // The right operand is the outer loop.
        ("(1,2) + (10,20)", "null", &["11", "12", "21", "22"], None),
        (
            "(1,2) < (2,1)",
            "null",
            &["true", "false", "false", "false"],
            None,
        ),
        (
            r#"error("left") + error("right")"#,
            "null",
            &[],
            Some("right"),
        ),
        (
            "{} - 1",
            "null",
            &[],
            Some("object ({}) and number (1) cannot be subtracted"),
        ),
        (
            "10 / 4, 7 % 3, 2 * 3, 1 == 1.0, 1 != 2",
            "null",
            &["2.5", "1", "6", "true", "true"],
            None,
        ),
        ("-(1,2)", "null", &["-1", "-2"], None),
        (
            r#"-"a""#,
            "null",
            &[],
            Some("string (\"a\") cannot be negated"),
        ),
        (
            "(true,false) and (true,false)",
            "null",
            &["true", "false", "false"],
            None,
        ),
        (
            "(true,false) or (true,false)",
            "null",
            &["true", "true", "false"],
            None,
        ),
        ("false and error", "null", &["false"], None),
        ("1 or error", "null", &["true"], None),
        (
            "null and true, 1 and null",
            "null",
            &["false", "false"],
            None,
        ),
        // `//`: every truthy output of the left; if none, the right; left errors propagate.
        ("(null, 1, false, 2) // 3", "null", &["1", "2"], None),
        ("(null, false) // (3, 4)", "null", &["3", "4"], None),
        ("empty // 1", "null", &["1"], None),
        (r#"(1, error("e")) // 2"#, "null", &["1"], Some("e")),
        (r#"error("e") // 2"#, "null", &[], Some("e")),
        (".a // .b // \"d\"", r#"{"b":false}"#, &[r#""d""#], None),
        (".a // .b", r#"{"b":0}"#, &["0"], None),
    ]);
}

#[test]
fn pipes_and_variables() {
    check(&[
        (".a | .b", r#"{"a":{"b":3}}"#, &["3"], None),
        ("(1,2) as $x | $x * 10", "null", &["10", "20"], None),
        (". as $x | [$x, .]", "1", &["[1,1]"], None),
        (". as [$a, $b] | $b, $a", "[1,2]", &["2", "1"], None),
        (". as {a: $x} | $x", r#"{"a":5}"#, &["5"], None),
        ("[.[] as $x | $x + 1]", "[1,2]", &["[2,3]"], None),
        // Each binding keeps its own slot while an inner one changes.
        (
            "1 as $x | (2 as $y | $x + $y), $x",
            "null",
            &["3", "1"],
            None,
        ),
        (
            "def f(g): . as $v | g + $v; f(.) , f(10)",
            "1",
            &["2", "11"],
            None,
        ),
        ("1, empty, 2", "null", &["1", "2"], None),
        (
            "if (true, false) then \"a\" else \"b\" end",
            "null",
            &[r#""a""#, r#""b""#],
            None,
        ),
        ("if . then 1 end", "false", &["false"], None),
        (
            "if .a then .a elif .b then .b else 0 end",
            r#"{"b":2}"#,
            &["2"],
            None,
        ),
    ]);
}

#[test]
fn indexing() {
    check(&[
        (
            ".a, .a.b, .[0]?",
            r#"{"a":{"b":1}}"#,
            &[r#"{"b":1}"#, "1"],
            None,
        ),
        (
            ".[0], .[-1], .[5], .[1.7]",
            "[1,2,3]",
            &["1", "3", "null", "2"],
            None,
        ),
        (".a", "null", &["null"], None),
        (
            ".a",
            "1",
            &[],
            Some("Cannot index number with string (\"a\")"),
        ),
        (".a?", "1", &[], None),
        (".a?.b", r#"{"a":{"b":2}}"#, &["2"], None),
        (
            ".[null]",
            "{}",
            &[],
            Some("Cannot index object with null (null)"),
        ),
        (r#".["a"]"#, r#"{"a":1}"#, &["1"], None),
        (r#".[("a","b")]"#, r#"{"a":1,"b":2}"#, &["1", "2"], None),
        // The key is the outer loop, the base the inner.
        (
            r#"(.a, .b)[("x","y")]"#,
            r#"{"a":{"x":1,"y":2},"b":{"x":3,"y":4}}"#,
            &["1", "3", "2", "4"],
            None,
        ),
        (".[.k]", r#"{"k":"v","v":9}"#, &["9"], None),
        (
            ".[1:3], .[:1], .[-1:]",
            "[1,2,3,4]",
            &["[2,3]", "[1]", "[4]"],
            None,
        ),
        (".[2:]", r#""abcd""#, &[r#""cd""#], None),
        (".[1:]?", "1", &[], None),
        (
            ".[1:]",
            "1",
            &[],
            Some("Cannot index number with object ({\"start\":1,\"end\":null})"),
        ),
        (".[]", r#"{"a":1,"b":[2]}"#, &["1", "[2]"], None),
        (".[]?", "1", &[], None),
        (".[]", "1", &[], Some("Cannot iterate over number (1)")),
        ("[.[][]]", "[[1],[2,3]]", &["[1,2,3]"], None),
        (".a[]?", r#"{"a":3}"#, &[], None),
    ]);
}

/// Comparing values nested past jq's limit raises jq's messages (the operators, as builtins do).
#[test]
fn comparisons_past_jqs_depth_limit_raise() {
    check(&[
        // Two values built apart (one value is equal to itself at any depth, as in jq).
        (
            "[range(2) as $n | reduce range(10001) as $i ($n; [.])] | .[0] == .[1]",
            "null",
            &[],
            Some("Equality check too deep"),
        ),
        (
            "[range(2) as $n | reduce range(10001) as $i ($n; [.])] | .[0] < .[1]",
            "null",
            &[],
            Some("Comparison too deep"),
        ),
        (
            "[range(2) as $n | reduce range(100) as $i ($n; [.])] | .[0] < .[1]",
            "null",
            &["true"],
            None,
        ),
    ]);
}
