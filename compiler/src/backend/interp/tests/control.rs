//! Table tests of control flow and collecting nodes: `try`, `reduce`/`foreach`, labels and
//! early exits, path updates, builtins, regexes.

use super::check;

#[test]
fn try_catch() {
    check(&[
        (r#"try error("x") catch ."#, "null", &[r#""x""#], None),
        (r#"try error({"a":1}) catch .a"#, "null", &["1"], None),
        ("try error(null) catch .", "null", &["null"], None),
        // Outputs before the error, then the handler.
        (
            r#"try (1, error("e"), 3) catch "c""#,
            "null",
            &["1", r#""c""#],
            None,
        ),
        (r#"(1, error("x"), 2)?"#, "null", &["1"], None),
        (
            r#"[.[] | try (if . == 2 then error("e") else . end)]"#,
            "[1,2,3]",
            &["[1,3]"],
            None,
        ),
        // Errors raised after the `try`, by its continuation, are not caught.
        (
            r#"(try (1,2) catch "c") | if . == 2 then error("cont") else . end"#,
            "null",
            &["1"],
            Some("cont"),
        ),
        (
            r#"try error("x") catch error("again: " + .)"#,
            "null",
            &[],
            Some("again: x"),
        ),
        ("try .a catch \"no\"", "1", &[r#""no""#], None),
        ("try .a catch \"no\"", r#"{"a":1}"#, &["1"], None),
        ("(.a)?", "1", &[], None),
        ("error(null)", "null", &[], Some("null (not a string)")),
        ("error", r#""boom""#, &[], Some("boom")),
        (r#"error("x")"#, "null", &[], Some("x")),
        ("[.[] | (1 / .)?]", "[1,0,2]", &["[1,0.5]"], None),
    ]);
}

#[test]
fn folds() {
    check(&[
        ("reduce .[] as $x (0; . + $x)", "[1,2,3]", &["6"], None),
        // jq 1.8: the last output of the update is the state; none gives null.
        ("reduce .[] as $x (0; ., 10)", "[1,2]", &["10"], None),
        ("reduce .[] as $x (0; empty)", "[1,2]", &["null"], None),
        ("reduce empty as $x (1; .)", "null", &["1"], None),
        (
            "reduce .[] as $x ((0, 100); . + $x)",
            "[1,2]",
            &["3", "103"],
            None,
        ),
        (
            "reduce .[] as [$a, $b] (0; . + $a * $b)",
            "[[1,2],[3,4]]",
            &["14"],
            None,
        ),
        (
            "foreach .[] as $x (0; . + $x)",
            "[1,2,3]",
            &["1", "3", "6"],
            None,
        ),
        (
            "foreach .[] as $x (0; . + $x; [$x, .])",
            "[1,2]",
            &["[1,1]", "[2,3]"],
            None,
        ),
        (
            "[foreach .[] as $x (0; (. + $x), (. - $x))]",
            "[1,2]",
            &["[1,-1,1,-3]"],
            None,
        ),
        ("[foreach .[] as $x (0; empty; .)]", "[1,2]", &["[]"], None),
        (
            "foreach .[] as $x (0; . + $x; select(. > 1))",
            "[1,2]",
            &["3"],
            None,
        ),
        (
            "reduce .[] as $x (0; . + $x) | . * 2",
            "[1,2]",
            &["6"],
            None,
        ),
        (r#"reduce .[] as $x (0; error("u"))"#, "[1]", &[], Some("u")),
    ]);
}

#[test]
fn labels_and_early_exits() {
    check(&[
        (
            "label $out | 1, 2, break $out, 3",
            "null",
            &["1", "2"],
            None,
        ),
        (
            "[label $f | .[] | if . > 2 then break $f else . end]",
            "[1,2,3,4]",
            &["[1,2]"],
            None,
        ),
        (
            "label $f | reduce .[] as $x (0; if $x > 2 then break $f else . + $x end)",
            "[1,2,3]",
            &[],
            None,
        ),
        ("label $a | label $b | 1, break $a, 2", "null", &["1"], None),
        (
            "[label $a | (label $b | 1, break $b, 2), 3]",
            "null",
            &["[1,3]"],
            None,
        ),
        (
            "[.[] | label $f | if . > 1 then ., break $f else . end]",
            "[1,2,3]",
            &["[1,2,3]"],
            None,
        ),
        (
            "[label $f | [.[] | if . > 1 then break $f else . end]]",
            "[1,2]",
            &["[]"],
            None,
        ),
        // Early exits nest: each stops only its own filter.
        (
            "[limit(3; first(.[]), limit(1; .[]), .[])]",
            "[1,2]",
            &["[1,1,1]"],
            None,
        ),
        (
            "[label $out | foreach .[] as $x (0; . + $x; if . > 2 then ., break $out else . end)]",
            "[1,2,3]",
            &["[1,3]"],
            None,
        ),
        ("first(.[])", "[5,6]", &["5"], None),
        ("first(empty)", "null", &[], None),
        (r#"first(1, error("x"))"#, "null", &["1"], None),
        ("first(.a)", r#"{"a":2}"#, &["2"], None),
        ("[first(range(10;0;-3))]", "null", &["[10]"], None),
        ("[limit(2; .[])]", "[1,2,3]", &["[1,2]"], None),
        ("[limit(0; 1, 2)]", "null", &["[]"], None),
        ("[limit((1,2); (10,20,30))]", "null", &["[10,10,20]"], None),
        (r#"[limit(1; 1, error("x"))]"#, "null", &["[1]"], None),
        (
            "limit(-1; 1)",
            "null",
            &[],
            Some("limit doesn't support negative count"),
        ),
        (
            "isempty(empty), isempty(1, 2)",
            "null",
            &["true", "false"],
            None,
        ),
        (r#"isempty(1, error("x"))"#, "null", &["false"], None),
        (r#"isempty(error("x"))"#, "null", &[], Some("x")),
        (
            "any(.[]; . > 2), all(.[]; . > 0)",
            "[1,2,3]",
            &["true", "true"],
            None,
        ),
        (
            "any(empty; .), all(empty; .)",
            "null",
            &["false", "true"],
            None,
        ),
        (r#"any(1, error("x"); . == 1)"#, "null", &["true"], None),
        (r#"all(0, error("x"); . == 1)"#, "null", &["false"], None),
        (r#"any(0, error("x"); . == 1)"#, "null", &[], Some("x")),
        ("any(.[]; (false, true))", "[1]", &["true"], None),
        ("any, all", "[true, false]", &["true", "false"], None),
        (
            "[range(3)], [range(1; 3)], [range(0; 10; 3)], [range(5; 0; -2)]",
            "null",
            &["[0,1,2]", "[1,2]", "[0,3,6,9]", "[5,3,1]"],
            None,
        ),
        // `from` is the outermost loop.
        (
            "[range(0,1; 3,4)]",
            "null",
            &["[0,1,2,0,1,2,3,1,2,1,2,3]"],
            None,
        ),
        ("[range(0; 1; 0)]", "null", &["[]"], None),
        (
            r#"range("a"; 2)"#,
            "null",
            &[],
            Some("Range bounds must be numeric"),
        ),
        ("range(1.5; 3)", "null", &["1.5", "2.5"], None),
    ]);
}

#[test]
fn updates() {
    check(&[
        (".a |= . + 1", r#"{"a":1}"#, &[r#"{"a":2}"#], None),
        (".a = (1, 2)", "{}", &[r#"{"a":1}"#, r#"{"a":2}"#], None),
        // `=`'s right side is evaluated on the original input.
        (".a = .b", r#"{"b":3}"#, &[r#"{"b":3,"a":3}"#], None),
        (
            ".a += 1, .a -= 1, .a *= 2, .a /= 2, .a %= 2",
            r#"{"a":3}"#,
            &[
                r#"{"a":4}"#,
                r#"{"a":2}"#,
                r#"{"a":6}"#,
                r#"{"a":1.5}"#,
                r#"{"a":1}"#,
            ],
            None,
        ),
        (
            ".a //= 3, .b //= 3",
            r#"{"a":1}"#,
            &[r#"{"a":1}"#, r#"{"a":1,"b":3}"#],
            None,
        ),
        (".a |= empty", r#"{"a":1,"b":2}"#, &[r#"{"b":2}"#], None),
        // `|=` takes the first output and evaluates no further (jq 1.8's `_modify`).
        (".a |= (., 5)", r#"{"a":1}"#, &[r#"{"a":1}"#], None),
        (r#".a |= (1, error("x"))"#, "{}", &[r#"{"a":1}"#], None),
        (r#".[] |= (error("x"), 1)"#, "[0]", &[], Some("x")),
        (".[] |= . * 2", "[1,2]", &["[2,4]"], None),
        (".[0] -= 1", "[5]", &["[4]"], None),
        (".a.b |= 7", "null", &[r#"{"a":{"b":7}}"#], None),
        (".[1:] = [9]", "[1,2,3]", &["[1,9]"], None),
        (r#".[("a","b")] = 0"#, "{}", &[r#"{"a":0,"b":0}"#], None),
        (".[.k] = 1", r#"{"k":"z"}"#, &[r#"{"k":"z","z":1}"#], None),
        (
            ".a += 1",
            r#"{"a":"x"}"#,
            &[],
            Some("string (\"x\") and number (1) cannot be added"),
        ),
        (
            ".a |= 1",
            "[]",
            &[],
            Some("Cannot index array with string (\"a\")"),
        ),
        (
            "map(. + 1), map_values(. * 2)",
            "[1,2]",
            &["[2,3]", "[2,4]"],
            None,
        ),
        (
            "to_entries | map(.value) | add",
            r#"{"a":1,"b":2}"#,
            &["3"],
            None,
        ),
    ]);
}

#[test]
fn builtins() {
    check(&[
        (
            "length, has(\"a\"), keys",
            r#"{"a":1}"#,
            &["1", "true", r#"["a"]"#],
            None,
        ),
        // Arguments: the first is the outermost loop.
        ("pow(1,2; 3,4)", "null", &["1", "1", "8", "16"], None),
        (
            r#"[splits(", *"; null)], join("-")"#,
            r#""a, b""#,
            &[r#"["a","b"]"#],
            Some("Cannot iterate over string (\"a, b\")"),
        ),
        (
            "nan | isnan, (infinite | isinfinite), (now | type)",
            "null",
            &["true", "true", r#""number""#],
            None,
        ),
        (
            r#"has(.[])"#,
            r#"{"a":1}"#,
            &[],
            Some("Cannot check whether object has a number key"),
        ),
        (
            r#"ltrimstr("a"), startswith("a"), ascii_upcase, tostring, tojson"#,
            r#""ab""#,
            &[r#""b""#, "true", r#""AB""#, r#""ab""#, r#""\"ab\"""#],
            None,
        ),
        (
            "tostring, tojson, (tojson | fromjson)",
            "[1.50]",
            &[r#""[1.50]""#, r#""[1.50]""#, "[1.50]"],
            None,
        ),
        ("length", "true", &[], Some("boolean (true) has no length")),
        (
            "getpath([\"a\",\"b\"]), setpath([\"a\"]; 1), delpaths([[\"a\"]])",
            r#"{"a":{"b":2}}"#,
            &["2", r#"{"a":1}"#, "{}"],
            None,
        ),
        ("pick(.a)", r#"{"a":1,"b":2}"#, &[r#"{"a":1}"#], None),
        (
            "@base64, @uri, @html, @sh",
            r#""<a b>""#,
            &[
                r#""PGEgYj4=""#,
                r#""%3Ca%20b%3E""#,
                r#""&lt;a b&gt;""#,
                r#""'<a b>'""#,
            ],
            None,
        ),
        (
            "@csv, @tsv, @json, @text",
            r#"[1,"a"]"#,
            &[
                r#""1,\"a\"""#,
                r#""1\ta""#,
                r#""[1,\"a\"]""#,
                r#""[1,\"a\"]""#,
            ],
            None,
        ),
        ("@base64d", r#""aGk=""#, &[r#""hi""#], None),
        (
            "sort_by(.a), group_by(.a), unique_by(.a), min_by(.a), max_by(.a)",
            r#"[{"a":2},{"a":1},{"a":2}]"#,
            &[
                r#"[{"a":1},{"a":2},{"a":2}]"#,
                r#"[[{"a":1}],[{"a":2},{"a":2}]]"#,
                r#"[{"a":1},{"a":2}]"#,
                r#"{"a":1}"#,
                r#"{"a":2}"#,
            ],
            None,
        ),
        (
            "sort_by(.a, .b)",
            r#"[{"a":1,"b":2},{"a":1,"b":1}]"#,
            &[r#"[{"a":1,"b":1},{"a":1,"b":2}]"#],
            None,
        ),
        (
            "sort_by(.)",
            "1",
            &[],
            Some("Cannot iterate over number (1)"),
        ),
        ("select(. > 1), (.[]? | select(. > 1))", "2", &["2"], None),
        (
            "walk(if type == \"number\" then . + 1 else . end)",
            r#"[1,{"a":2}]"#,
            &[r#"[2,{"a":3}]"#],
            None,
        ),
        // Arrays keep every output, objects the first (none deletes the key).
        (
            "walk(if type == \"number\" then empty else . end)",
            r#"[1,{"a":2,"b":"x"}]"#,
            &[r#"[{"b":"x"}]"#],
            None,
        ),
        (
            "walk(if type == \"number\" then (., .) else . end)",
            "[1]",
            &["[1,1]"],
            None,
        ),
        (
            r#"walk(if . == 2 then error("w") else . end)"#,
            "[1,2]",
            &[],
            Some("w"),
        ),
    ]);
}

#[test]
fn regexes() {
    check(&[
        (
            r#"test("a"), test("A"; "i"), test("A"; null)"#,
            r#""cat""#,
            &["true", "true", "false"],
            None,
        ),
        (
            r#"[match("a"; "g") | .offset]"#,
            r#""aXa""#,
            &["[0,2]"],
            None,
        ),
        (r#"[match("a") | .offset]"#, r#""aXa""#, &["[0]"], None),
        (
            r#"capture("(?<n>\\d+)")"#,
            r#""x12""#,
            &[r#"{"n":"12"}"#],
            None,
        ),
        (r#"[scan("\\d")]"#, r#""a1b2""#, &[r#"["1","2"]"#], None),
        (
            r#"[splits(", *")], split(", *"; null)"#,
            r#""a, b,c""#,
            &[r#"["a","b","c"]"#, r#"["a","b","c"]"#],
            None,
        ),
        (
            r#"sub("a"; "b"), gsub("a"; "b"), sub("a"; "b"; "g")"#,
            r#""aa""#,
            &[r#""ba""#, r#""bb""#, r#""bb""#],
            None,
        ),
        (
            r#"sub("(?<x>a)"; "<\(.x)>"; "g")"#,
            r#""ab""#,
            &[r#""<a>b""#],
            None,
        ),
        // Output i of the replacement builds output i.
        (
            r#"[gsub("a"; "b", "c")]"#,
            r#""aa""#,
            &[r#"["bb","cc"]"#],
            None,
        ),
        (r#"gsub("z"; "y")"#, r#""aa""#, &[r#""aa""#], None),
        (r#"sub("a"; error("r"))"#, r#""a""#, &[], Some("r")),
        (
            r#"test("a")"#,
            "1",
            &[],
            Some("number (1) cannot be matched, as it is not a string"),
        ),
        // Computed patterns and flags: the pattern is the outer loop.
        (
            r#"("p", "q") as $p | [("pq", "qq") | test($p)]"#,
            "null",
            &["[true,false]", "[true,true]"],
            None,
        ),
        (
            r#"[.[] as $re | "abc" | test($re)]"#,
            r#"["b","^b",["B","i"]]"#,
            &["[true,false,true]"],
            None,
        ),
        (
            r#"[test(("a","b"); ("", "x"))]"#,
            r#""a""#,
            &["[true,true,false,false]"],
            None,
        ),
        (
            r#""(" as $p | test($p)"#,
            r#""x""#,
            &[],
            Some("Regex failure: end pattern with unmatched parenthesis"),
        ),
        (
            r#""q" as $f | test("a"; $f)"#,
            r#""a""#,
            &[],
            Some("q is not a valid modifier string"),
        ),
        (
            r#"1 as $p | test($p)"#,
            r#""a""#,
            &[],
            Some("number cannot be matched, as it is not a string"),
        ),
        (
            r#""a" as $p | gsub($p; "b")"#,
            r#""aa""#,
            &[r#""bb""#],
            None,
        ),
        (
            r#""a" as $p | [scan($p)], [match($p) | .offset], [capture($p)]"#,
            r#""aa""#,
            &[r#"["a","a"]"#, "[0]", "[{}]"],
            None,
        ),
    ]);
}
