//! Value-level tests of the regex builtins: jq 1.8.2's tests/onig.test, the jq
//! manual examples and Ocean mapping cases (expected values from libjq 1.8.2).

use super::*;
use crate::dates::tests::run_manual_examples;
use crate::json::parse_json;

fn json(text: &str) -> Value {
    parse_json(text.as_bytes()).unwrap_or_else(|e| panic!("bad JSON {text}: {e}"))
}

fn s(text: &str) -> Value {
    Value::from(text)
}

fn re(pattern: &str, flags: &str) -> Regex {
    Regex::new(pattern, flags).unwrap_or_else(|e| panic!("{pattern}: {e}"))
}

fn matches(input: &str, pattern: &str, flags: &str) -> Value {
    Value::from(regex_match(&s(input), &re(pattern, flags), false).unwrap())
}

/// `sub`/`gsub` whose replacement yields the strings `f` computes from the capture object.
fn replace(
    input: &str,
    pattern: &str,
    flags: &str,
    f: impl Fn(&Value) -> Vec<String>,
) -> Vec<Value> {
    let mut replacement = |captures: Value| -> R<Vec<Value>> {
        Ok(f(&captures).into_iter().map(Value::from).collect())
    };
    sub(&s(input), &re(pattern, flags), false, &mut replacement).unwrap()
}

fn constant(text: &'static str) -> impl Fn(&Value) -> Vec<String> {
    move |_| vec![text.to_string()]
}

/// `.name` of a capture object as jq's string interpolation renders it.
fn field(captures: &Value, name: &str) -> String {
    match captures.as_object().and_then(|o| o.get(name)) {
        Some(Value::String(text)) => text.to_string(),
        Some(other) => crate::json::tojson_string(other),
        None => "null".to_string(),
    }
}

fn gsub_one(input: &str, pattern: &str, replacement: &'static str) -> Value {
    let mut out = replace(input, pattern, "g", constant(replacement));
    assert_eq!(out.len(), 1);
    out.remove(0)
}

fn sub_one(input: &str, pattern: &str, replacement: &'static str) -> Value {
    let mut out = replace(input, pattern, "", constant(replacement));
    assert_eq!(out.len(), 1);
    out.remove(0)
}

#[test]
fn onig_test_match_cases() {
    assert_eq!(
        matches("abc", "( )*", "g"),
        json(
            r#"[{"offset":0,"length":0,"string":"","captures":[{"offset":-1,"string":null,"length":0,"name":null}]},{"offset":1,"length":0,"string":"","captures":[{"offset":-1,"string":null,"length":0,"name":null}]},{"offset":2,"length":0,"string":"","captures":[{"offset":-1,"string":null,"length":0,"name":null}]},{"offset":3,"length":0,"string":"","captures":[{"offset":-1,"string":null,"length":0,"name":null}]}]"#
        )
    );
    assert_eq!(matches("abc", "( )*", "gn"), json("[]"));
    assert_eq!(
        matches("ab", "", "g"),
        json(
            r#"[{"offset":0,"length":0,"string":"","captures":[]},{"offset":1,"length":0,"string":"","captures":[]},{"offset":2,"length":0,"string":"","captures":[]}]"#
        )
    );
    assert_eq!(matches("āáàä", "a", "gi"), json("[]"));
    assert_eq!(
        Value::from(
            regex_match(
                &s("foo bar"),
                &Regex::from_arg(&json(r#"["(bar)"]"#)).unwrap(),
                false
            )
            .unwrap()
        ),
        json(
            r#"[{"offset": 4, "length": 3, "string": "bar", "captures":[{"offset": 4, "length": 3, "string": "bar", "name": null}]}]"#
        )
    );
    // Offsets and lengths count codepoints, combining marks included.
    assert_eq!(
        matches("a\u{304} bar with a combining codepoint U+0304", "bar", ""),
        json(r#"[{"offset": 3, "length": 3, "string": "bar", "captures":[]}]"#)
    );
    assert_eq!(
        matches("a ba\u{304}r", "ba\u{304}r", ""),
        json("[{\"offset\": 2, \"length\": 4, \"string\": \"ba\\u0304r\", \"captures\":[]}]")
    );
    assert_eq!(
        matches("a\u{304} two-codepoint grapheme", r".+?\b", ""),
        json("[{\"offset\": 0, \"length\": 2, \"string\": \"a\\u0304\", \"captures\":[]}]")
    );
    assert_eq!(
        Value::from(
            regex_match(
                &s("foo bar foo foo  foo"),
                &Regex::from_arg(&json(r#"["foo (?<bar123>bar)? foo", "ig"]"#)).unwrap(),
                false
            )
            .unwrap()
        ),
        json(
            r#"[{"offset": 0, "length": 11, "string": "foo bar foo", "captures":[{"offset": 4, "length": 3, "string": "bar", "name": "bar123"}]},{"offset":12, "length": 8, "string": "foo  foo", "captures":[{"offset": -1, "length": 0, "string": null, "name": "bar123"}]}]"#
        )
    );
}

#[test]
fn onig_test_optional_groups() {
    let expected_capture = ["{\"x\":\"a\"}", "{\"x\":null}", "{\"x\":null}"];
    let expected_match = [
        r#"{"offset":0,"length":1,"string":"a","captures":[{"offset":0,"length":1,"string":"a","name":"x"}]}"#,
        r#"{"offset":0,"length":1,"string":"b","captures":[{"offset":-1,"string":null,"length":0,"name":"x"}]}"#,
        r#"{"offset":0,"length":0,"string":"","captures":[{"offset":-1,"string":null,"length":0,"name":"x"}]}"#,
    ];
    for (i, input) in ["a", "b", "c"].into_iter().enumerate() {
        let r = re("(?<x>a)?b?", "");
        assert_eq!(
            capture(&s(input), &r, false).unwrap(),
            vec![json(expected_capture[i])]
        );
        assert_eq!(
            regex_match(&s(input), &r, false).unwrap(),
            vec![json(expected_match[i])]
        );
    }
    let expected_capture = ["{\"x\":\"a\"}", "{\"x\":\"\"}", "{\"x\":\"\"}"];
    let expected_match = [
        r#"{"offset":0,"length":1,"string":"a","captures":[{"offset":0,"length":1,"string":"a","name":"x"}]}"#,
        r#"{"offset":0,"length":1,"string":"b","captures":[{"offset":0,"string":"","length":0,"name":"x"}]}"#,
        r#"{"offset":0,"length":0,"string":"","captures":[{"offset":0,"string":"","length":0,"name":"x"}]}"#,
    ];
    for (i, input) in ["a", "b", "c"].into_iter().enumerate() {
        let r = re("(?<x>a?)?b?", "");
        assert_eq!(
            capture(&s(input), &r, false).unwrap(),
            vec![json(expected_capture[i])]
        );
        assert_eq!(
            regex_match(&s(input), &r, false).unwrap(),
            vec![json(expected_match[i])]
        );
    }
}

#[test]
fn match_objects_keep_jq_key_order() {
    let text = crate::json::tojson_string(&matches("xay", "(?<n>z)?(a)()", ""));
    assert_eq!(
        text,
        r#"[{"offset":1,"length":1,"string":"a","captures":[{"offset":-1,"string":null,"length":0,"name":"n"},{"offset":1,"length":1,"string":"a","name":null},{"offset":2,"string":"","length":0,"name":null}]}]"#
    );
}

#[test]
fn onig_test_test_and_capture() {
    assert_eq!(test(&s("abc"), &re("( )*", "gn")).unwrap(), json("false"));
    assert_eq!(test(&s("ā"), &re("ā", "")).unwrap(), json("true"));
    assert_eq!(
        capture(&s("xyzzy-14"), &re("(?<a>[a-z]+)-(?<n>[0-9]+)", ""), false).unwrap(),
        vec![json(r#"{"a":"xyzzy","n":"14"}"#)]
    );
}

#[test]
fn onig_test_sub_and_gsub() {
    let pairs = ["a,b, c, d, e,f", ", a,b, c, d, e,f, "];
    assert_eq!(sub_one(pairs[0], ", ", ":"), s("a,b:c, d, e,f"));
    assert_eq!(sub_one(pairs[1], ", ", ":"), s(":a,b, c, d, e,f, "));
    assert_eq!(gsub_one(pairs[0], ", ", ":"), s("a,b:c:d:e,f"));
    assert_eq!(gsub_one(pairs[1], ", ", ":"), s(":a,b:c:d:e,f:"));
    let head = replace("abcdef", "^(?<head>.)", "", |c| {
        vec![format!("Head={} Tail=", field(c, "head"))]
    });
    assert_eq!(head, vec![s("Head=a Tail=bcdef")]);
    assert_eq!(
        replace("a1b2", r"(?<d>\d)", "g", |c| vec![format!(
            ":{};",
            field(c, "d")
        )]),
        vec![s("a:1;b:2;")]
    );
    assert_eq!(gsub_one("aaaaa", "a", "b"), s("bbbbb"));
    assert_eq!(replace("", "(.*)", "gx", constant("")), vec![s("")]);
    assert_eq!(gsub_one("", "", "a"), s("a"));
    assert_eq!(gsub_one("a", "^", ""), s("a"));
    assert_eq!(gsub_one("a", "", "a"), s("aaa"));
    assert_eq!(gsub_one("a", "$", "a"), s("aa"));
    assert_eq!(gsub_one("", "^", "a"), s("a"));
    assert_eq!(gsub_one("qux", "(?=u)", "u"), s("quux"));
    assert_eq!(gsub_one("aaa", "^.*a", "b"), s("b"));
    assert_eq!(gsub_one("aaa", "^.*?a", "b"), s("baa"));
    let two = |_: &Value| vec!["b".to_string(), "c".to_string()];
    assert_eq!(replace("a", "a", "g", two), vec![s("b"), s("c")]);
    assert_eq!(replace("a", "a", "", two), vec![s("b"), s("c")]);
    assert_eq!(
        replace("Abcabc", "(?<x>.)[^a]*", "g", |c| vec![format!(
            "+{}-",
            field(c, "x")
        )]),
        vec![s("+A-+a-")]
    );
    let lower = |c: &Value| {
        vec![format!(
            "{}{}",
            field(c, "x").to_ascii_lowercase(),
            field(c, "y")
        )]
    };
    assert_eq!(
        replace("A1 B2 CD", "(?<x>.)(?<y>[0-9])", "g", lower),
        vec![s("a1 b2 CD")]
    );
    let lower_x = |c: &Value| vec![field(c, "x").to_ascii_lowercase()];
    assert_eq!(
        replace("ABC DEF", r"\b(?<x>.)", "g", lower_x),
        vec![s("aBC dEF")]
    );
    assert_eq!(
        replace("123foo456bar", "[^a-z]*(?<x>[a-z]*)", "g", |c| vec![
            format!("Z{}", field(c, "x"))
        ]),
        vec![s("ZfooZbarZ")]
    );
    assert_eq!(
        replace("’", "(?<x>.)", "", |c| vec![format!(
            "{}!",
            field(c, "x")
        )]),
        vec![s("’!")]
    );
    let three = |c: &Value| {
        let a = field(c, "a");
        vec![
            a.to_ascii_uppercase(),
            a.to_ascii_lowercase(),
            "c".to_string(),
        ]
    };
    assert_eq!(
        replace("aB", "(?<a>.)", "", three),
        vec![s("AB"), s("aB"), s("cB")]
    );
    assert_eq!(
        replace("aB", "(?<a>.)", "g", three),
        vec![s("AB"), s("ab"), s("cc")]
    );
}

#[test]
fn onig_test_scan_and_splits() {
    let commas = |input: &str, pattern: &str| scan(&s(input), &re(pattern, ""), false).unwrap();
    let pairs = ["a,b, c, d, e,f", ", a,b, c, d, e,f, "];
    let all: Vec<Value> = pairs.iter().flat_map(|p| commas(p, ", ")).collect();
    assert_eq!(
        Value::from(all),
        json(r#"[", ",", ",", ",", ",", ",", ",", ",", "]"#)
    );
    // [.[]|[[sub(", *";":")], [gsub(", *";":")], [scan(", *")]]]
    let star: Vec<Value> = pairs
        .iter()
        .map(|p| {
            Value::from(vec![
                Value::from(replace(p, ", *", "", constant(":"))),
                Value::from(replace(p, ", *", "g", constant(":"))),
                Value::from(commas(p, ", *")),
            ])
        })
        .collect();
    assert_eq!(
        Value::from(star),
        json(
            r#"[[["a:b, c, d, e,f"],["a:b:c:d:e:f"],[",",", ",", ",", ",","]],[[":a,b, c, d, e,f, "],[":a:b:c:d:e:f:"],[", ",",",", ",", ",", ",",",", "]]]"#
        )
    );
    let plus: Vec<Value> = pairs
        .iter()
        .map(|p| {
            Value::from(vec![
                Value::from(replace(p, ", +", "", constant(":"))),
                Value::from(replace(p, ", +", "g", constant(":"))),
                Value::from(commas(p, ", +")),
            ])
        })
        .collect();
    assert_eq!(
        Value::from(plus),
        json(
            r#"[[["a,b:c, d, e,f"],["a,b:c:d:e,f"],[", ",", ",", "]],[[":a,b, c, d, e,f, "],[":a,b:c:d:e,f:"],[", ",", ",", ",", ",", "]]]"#
        )
    );
    let scanned: Vec<Value> = ["", "bBb", "abcABBBCabbbc"]
        .iter()
        .flat_map(|input| scan(&s(input), &re("b+", "i"), false).unwrap())
        .collect();
    assert_eq!(Value::from(scanned), json(r#"["bBb","b","BBB","bbb"]"#));
    let split = |input: &str, pattern: &str, flags: &str| {
        Value::from(splits(&s(input), &re(pattern, flags)).unwrap())
    };
    assert_eq!(split("ab", "", ""), json(r#"["","a","b",""]"#));
    assert_eq!(split("ab", "c", ""), json(r#"["ab"]"#));
    assert_eq!(
        split("abAABBabA", "a+", "i"),
        json(r#"["","b","BB","b",""]"#)
    );
    assert_eq!(split("abAABBabA", "b+", "i"), json(r#"["a","AA","a","A"]"#));
}

#[test]
fn manual_regex_examples() {
    let programs = [
        r#"test("foo")"#,
        r#".[] | test("a b c # spaces are ignored"; "ix")"#,
        r#"match("(abc)+"; "g")"#,
        r#"match("foo")"#,
        r#"match(["foo", "ig"])"#,
        r#"match("foo (?<bar123>bar)? foo"; "ig")"#,
        r#"[ match("."; "g")] | length"#,
        r#"capture("(?<a>[a-z]+)-(?<n>[0-9]+)")"#,
        r#"scan("c")"#,
        r#"scan("(a+)(b+)")"#,
        r#"split(", *"; null)"#,
        r#"splits(", *")"#,
        r#"splits(",? *"; "n")"#,
        r#"sub("[^a-z]*(?<x>[a-z]+)"; "Z\(.x)"; "g")"#,
        r#"[sub("(?<a>.)"; "\(.a|ascii_upcase)", "\(.a|ascii_downcase)")]"#,
        r#"gsub("(?<x>.)[^a]*"; "+\(.x)-")"#,
        r#"[gsub("p"; "a", "b")]"#,
    ];
    let ran = run_manual_examples(&programs, |program, input| {
        let m = |pattern: &str, flags: &Value| Regex::from_values(&s(pattern), flags);
        let null = Value::Null;
        Ok(match program {
            p if p.starts_with("test(") => vec![test(input, &m("foo", &null))?],
            p if p.starts_with(".[]") => {
                let r = m("a b c # spaces are ignored", &s("ix"));
                input
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| test(v, &r))
                    .collect::<R<_>>()?
            }
            p if p.starts_with(r#"match("(abc)"#) => {
                regex_match(input, &m("(abc)+", &s("g")), false)?
            }
            r#"match("foo")"# => regex_match(input, &m("foo", &null), false)?,
            p if p.starts_with("match([") => {
                regex_match(input, &Regex::from_arg(&json(r#"["foo", "ig"]"#))?, false)?
            }
            p if p.starts_with("match(\"foo (") => {
                regex_match(input, &m("foo (?<bar123>bar)? foo", &s("ig")), false)?
            }
            p if p.starts_with("[ match") => vec![Value::from(
                regex_match(input, &m(".", &s("g")), false)?.len(),
            )],
            p if p.starts_with("capture") => {
                capture(input, &m("(?<a>[a-z]+)-(?<n>[0-9]+)", &null), false)?
            }
            r#"scan("c")"# => scan(input, &m("c", &null), false)?,
            p if p.starts_with("scan") => scan(input, &m("(a+)(b+)", &null), false)?,
            p if p.starts_with("split(") => vec![split_re(input, &m(", *", &null))?],
            r#"splits(", *")"# => splits(input, &m(", *", &null))?,
            p if p.starts_with("splits") => splits(input, &m(",? *", &s("n")))?,
            p if p.starts_with("sub(") => {
                let mut z = |c: Value| Ok(vec![Value::from(format!("Z{}", field(&c, "x")))]);
                sub(input, &m("[^a-z]*(?<x>[a-z]+)", &s("g")), false, &mut z)?
            }
            p if p.starts_with("[sub") => {
                let mut cases = |c: Value| {
                    let a = field(&c, "a");
                    Ok(vec![
                        Value::from(a.to_ascii_uppercase()),
                        Value::from(a.to_ascii_lowercase()),
                    ])
                };
                vec![Value::from(sub(
                    input,
                    &m("(?<a>.)", &null),
                    false,
                    &mut cases,
                )?)]
            }
            p if p.starts_with("gsub") => {
                let mut plus = |c: Value| Ok(vec![Value::from(format!("+{}-", field(&c, "x")))]);
                sub(input, &m("(?<x>.)[^a]*", &null), true, &mut plus)?
            }
            _ => {
                let mut ab = |_: Value| Ok(vec![s("a"), s("b")]);
                vec![Value::from(sub(input, &m("p", &null), true, &mut ab)?)]
            }
        })
    });
    assert_eq!(ran, programs.len());
}

#[test]
fn oniguruma_syntax_used_by_mappings() {
    // GitHub logins: `gsub("\\["; "-") | gsub("\\](?=[^$])"; "-") | gsub("\\]$"; "")`.
    let login = |name: &str| {
        let step1 = gsub_one(name, r"\[", "-");
        let step2 = gsub_one(step1.as_str().unwrap(), r"\](?=[^$])", "-");
        gsub_one(step2.as_str().unwrap(), r"\]$", "")
    };
    assert_eq!(login("dependabot[bot]"), s("dependabot-bot"));
    assert_eq!(login("a[b]c"), s("a-b-c"));
    assert_eq!(login("web/frontend (legacy)"), s("web/frontend (legacy)"));
    let sanitize = |text: &str| gsub_one(text, r"[^A-Za-z0-9@_.+:\\/='-]", "_");
    assert_eq!(
        sanitize("release/v1.2.3-api[v2](beta)@prod:eu"),
        s("release/v1.2.3-api_v2__beta_@prod:eu")
    );
    assert_eq!(
        sanitize("null-Mixed Case-Name_1.2"),
        s("null-Mixed_Case-Name_1.2")
    );
    assert_eq!(gsub_one("foo bar baz", "[ ();]", ""), s("foobarbaz"));
    assert_eq!(gsub_one("ünïcode team ✓", "[ ();]", ""), s("ünïcodeteam✓"));
    assert_eq!(gsub_one("🚀 launch pad", " ", "_"), s("🚀_launch_pad"));
    assert_eq!(
        gsub_one("[REDACTED]/_apis/projects/31440986", "_apis/projects/", ""),
        s("[REDACTED]/31440986")
    );
    // `?` makes the `e` optional: `_releas` + `releaseId=`.
    assert_eq!(
        gsub_one("x/_releasreleaseId=7", "_release?releaseId=", ""),
        s("x/7")
    );
    assert_eq!(sub_one("a|b||", "-+$", ""), s("a|b||"));
    assert_eq!(
        sub_one(gsub_one("a|b||", r"\|", "-").as_str().unwrap(), "-+$", ""),
        s("a-b")
    );
    assert_eq!(
        sub_one("2024-07-09T12:35:49.123Z", r"\..*Z$", "Z"),
        s("2024-07-09T12:35:49Z")
    );
    assert_eq!(
        sub_one("2024-07-09T12:35:49.123Z", r"\.\d+Z$", "Z"),
        s("2024-07-09T12:35:49Z")
    );
    assert_eq!(
        sub_one("2024-07-09T12:35:49.123Z", r"\.[0-9]+Z$", "Z"),
        s("2024-07-09T12:35:49Z")
    );
    let https = re("^https?://.+", "");
    assert_eq!(
        test(&s("https://github.com/x"), &https).unwrap(),
        json("true")
    );
    assert_eq!(test(&s("httphttps://pt"), &https).unwrap(), json("false"));
    // Unicode classes, lazy quantifiers, `$` before a final newline.
    let digits = regex_match(&s("Ab1٣"), &re(r"\d", "g"), false).unwrap();
    let strings: Vec<Value> = digits
        .iter()
        .map(|m| m.as_object().unwrap().get("string").unwrap().clone())
        .collect();
    assert_eq!(Value::from(strings), json(r#"["1","٣"]"#));
    assert_eq!(test(&s("ab\n"), &re("b$", "")).unwrap(), json("true"));
    assert_eq!(test(&s("ab\nc"), &re("b$", "")).unwrap(), json("false"));
    assert_eq!(test(&s("ab\nc"), &re("(?m)b$", "")).unwrap(), json("true"));
    assert_eq!(test(&s("a\nb"), &re("a.b", "")).unwrap(), json("false"));
    assert_eq!(test(&s("a\nb"), &re("a.b", "p")).unwrap(), json("true"));
    assert_eq!(test(&s("a{1}"), &re("a{1", "")).unwrap(), json("true"));
    assert_eq!(
        scan(&s("<a><bb>"), &re("<(.+?)>", ""), false).unwrap(),
        vec![json(r#"["a"]"#), json(r#"["bb"]"#)]
    );
}

#[test]
fn ocean_regex_pipelines() {
    use crate::dates::tests::{check_pipeline, ocean_pipelines};
    let cases = ocean_pipelines(&["gsub", "sub", "test"]);
    assert!(cases.len() >= 50, "only {} cases", cases.len());
    for case in &cases {
        let result = case
            .calls
            .iter()
            .try_fold(case.input.clone(), |v, (name, args)| {
                let flags = if name == "gsub" { s("g") } else { Value::Null };
                let regex = Regex::from_values(&args[0], &flags);
                if name == "test" {
                    return test(&v, &regex);
                }
                let replacement = args[1].clone();
                let mut constant = |_: Value| Ok(vec![replacement.clone()]);
                Ok(sub(&v, &regex, false, &mut constant)?.remove(0))
            });
        check_pipeline(case, result);
    }
}

#[test]
fn error_texts() {
    let err = |r: R<Vec<Value>>| r.expect_err("error").message();
    let space = re(" ", "g");
    let mut keep = |c: Value| Ok(vec![c]);
    assert_eq!(
        err(sub(&Value::Null, &space, true, &mut keep)),
        "null (null) cannot be matched, as it is not a string"
    );
    assert_eq!(
        err(regex_match(&json("100.0"), &space, true)),
        "number (100.0) cannot be matched, as it is not a string"
    );
    assert_eq!(
        err(regex_match(&json("1e-07"), &space, true)),
        "number (1E-7) cannot be matched, as it is not a string"
    );
    assert_eq!(
        err(splits(
            &json(r#"{"name": "x y/z", "id": 1718012345}"#),
            &space
        )),
        r#"object ({"name":"x y/z","id":1718...}) cannot be matched, as it is not a string"#
    );
    assert_eq!(
        test(&json("false"), &space).unwrap_err().message(),
        "boolean (false) cannot be matched, as it is not a string"
    );
    assert_eq!(
        Regex::new("a", "gq").unwrap_err().message(),
        "gq is not a valid modifier string"
    );
    assert_eq!(
        Regex::new("(a", "").unwrap_err().message(),
        "Regex failure: end pattern with unmatched parenthesis"
    );
    assert_eq!(
        Regex::new("[a", "").unwrap_err().message(),
        "Regex failure: premature end of char-class"
    );
    // Pattern and flag errors surface only once the input is known to be a string.
    let number_pattern = Regex::from_values(&json("1"), &Value::Null);
    assert_eq!(
        err(regex_match(&s("x"), &number_pattern, false)),
        "number (1) is not a string"
    );
    assert_eq!(
        err(regex_match(&Value::Null, &number_pattern, false)),
        "null (null) cannot be matched, as it is not a string"
    );
    let bad_flags = Regex::from_values(&s("a"), &json("[]"));
    assert_eq!(
        test(&s("x"), &bad_flags).unwrap_err().message(),
        "array ([]) is not a string"
    );
    let bad_pattern = Regex::from_values(&s("["), &Value::Null);
    assert!(!bad_pattern.is_global());
    assert_eq!(
        err(splits(&s("x"), &bad_pattern)),
        "Regex failure: premature end of char-class"
    );
    assert_eq!(
        err(splits(&json("1"), &bad_pattern)),
        "number (1) cannot be matched, as it is not a string"
    );
    // jq builds the flags of scan, splits, split/2 and gsub with `+`.
    assert_eq!(Regex::scan_flags(&Value::Null).unwrap(), s("g"));
    assert_eq!(Regex::scan_flags(&s("x")).unwrap(), s("gx"));
    assert_eq!(Regex::global_flags(&s("x")).unwrap(), s("xg"));
    assert_eq!(
        Regex::global_flags(&json("1")).unwrap_err().message(),
        r#"number (1) and string ("g") cannot be added"#
    );
    let bad_modifier = Regex::from_values(&s("a"), &Regex::global_flags(&s("q")).unwrap());
    assert_eq!(
        err(regex_match(&s("x"), &bad_modifier, false)),
        "qg is not a valid modifier string"
    );
    assert_eq!(
        Regex::from_arg(&json("1")).unwrap_err().message(),
        "number not a string or array"
    );
    assert_eq!(
        Regex::from_arg(&json("[]")).unwrap_err().message(),
        "array not a string or array"
    );
    // Replacement outputs are added to the text with jq's `+`.
    let mut number = |_: Value| Ok(vec![json("1")]);
    assert_eq!(
        err(sub(&s("xay"), &re("a", ""), false, &mut number)),
        r#"string ("x") and number (1) cannot be added"#
    );
}

#[test]
fn sub_edge_semantics() {
    // No match, or a replacement with no outputs: the input unchanged.
    assert_eq!(replace("abc", "z", "g", constant("-")), vec![s("abc")]);
    assert_eq!(replace("abc", "b", "g", |_| Vec::new()), vec![s("abc")]);
    // A null output adds nothing; unnamed groups are not in the capture object.
    let mut null = |c: Value| {
        assert_eq!(c, json("{}"));
        Ok(vec![Value::Null])
    };
    assert_eq!(
        sub(&s("abc"), &re("(b)", ""), false, &mut null).unwrap(),
        vec![s("ac")]
    );
    // Output 1 exists only from the second match on, so it lacks the first gap.
    let mut uneven = |c: Value| {
        Ok(if field(&c, "x") == "1" {
            vec![s("<1>")]
        } else {
            vec![s("<2>"), s("[2]")]
        })
    };
    assert_eq!(
        sub(&s("a1b2c"), &re(r"(?<x>\d)", ""), true, &mut uneven).unwrap(),
        vec![s("a<1>b<2>c"), s("b[2]c")]
    );
    // The regex's own `g` flag makes sub global too.
    assert_eq!(replace("aa", "a", "g", constant("b")), vec![s("bb")]);
    assert!(re("a", "g").is_global() && !re("a", "").is_global());
}
