//! Value-level tests of the date builtins: jq's own test-suite cases, the jq manual
//! examples and cases from Ocean's mappings (expected values from libjq 1.8.2).

use super::*;
use crate::json::parse_json;

fn json(text: &str) -> Value {
    parse_json(text.as_bytes()).unwrap_or_else(|e| panic!("bad JSON {text}: {e}"))
}

fn err_text<T: std::fmt::Debug>(r: R<T>) -> String {
    r.expect_err("expected an error").message()
}

/// The text of `shared/conformance/<file>`, found beside the checkout as CI lays
/// it out (`<clone>/../shared`) or in the workspace's shared folder.
fn fixture_text(file: &str) -> String {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        manifest.join("../../shared/conformance").join(file),
        manifest.join("../../../shared/conformance").join(file),
        std::path::PathBuf::from("/work/shared/conformance").join(file),
    ];
    let path = candidates.iter().find(|p| p.exists()).unwrap_or_else(|| {
        panic!(
            "conformance fixture {file} not found near {}",
            manifest.display()
        )
    });
    std::fs::read_to_string(path).expect("readable fixture")
}

/// The fixture lines as JSON documents.
pub(crate) fn conformance_lines(file: &str) -> Vec<serde_json::Value> {
    fixture_text(file)
        .lines()
        .map(|line| serde_json::from_str(line).expect("fixture line is JSON"))
        .collect()
}

/// The fixture lines as jq values (key order and number literals as written).
pub(crate) fn conformance_values(file: &str) -> Vec<Value> {
    fixture_text(file).lines().map(json).collect()
}

/// Runs every jq-manual example whose program is in `programs`, through `run`.
/// Returns how many examples ran.
pub(crate) fn run_manual_examples(
    programs: &[&str],
    run: impl Fn(&str, &Value) -> R<Vec<Value>>,
) -> usize {
    let mut ran = 0;
    for case in conformance_lines("jq-manual.jsonl") {
        let program = case["program"].as_str().unwrap_or_default();
        if !programs.contains(&program) {
            continue;
        }
        let input = json(case["input_text"].as_str().expect("input_text"));
        let expected: Vec<Value> = case["outputs_text"]
            .as_array()
            .expect("outputs_text")
            .iter()
            .map(|t| json(t.as_str().expect("output text")))
            .collect();
        let got = run(program, &input).unwrap_or_else(|e| panic!("{program}: error {e}"));
        assert_eq!(got, expected, "manual example {}", case["id"]);
        ran += 1;
    }
    ran
}

/// An Ocean fixture case whose program is `.a.b | f(args) | g(args)…` with only
/// string-literal arguments: the calls, the input at the path, and `expect`.
pub(crate) struct PipelineCase {
    pub program: String,
    pub calls: Vec<(String, Vec<Value>)>,
    pub input: Value,
    pub expect: serde_json::Value,
}

/// Every such Ocean case whose calls are all in `names`.
pub(crate) fn ocean_pipelines(names: &[&str]) -> Vec<PipelineCase> {
    let field = |v: &Value, key: &str| v.as_object().and_then(|o| o.get(key).cloned());
    let mut cases = Vec::new();
    for case in conformance_values("ocean-expressions.jsonl") {
        let Some(Value::String(program)) = field(&case, "program") else {
            continue;
        };
        let mut stages = program.split(" | ");
        let Some(path) = stages.next().filter(|p| p.starts_with('.')) else {
            continue;
        };
        let calls: Option<Vec<(String, Vec<Value>)>> = stages.map(parse_call).collect();
        let Some(calls) =
            calls.filter(|c| !c.is_empty() && c.iter().all(|(n, _)| names.contains(&n.as_str())))
        else {
            continue;
        };
        let plain_path = path[1..].split('.').all(|key| {
            !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        if !plain_path {
            continue;
        }
        // `.a.b` on objects and null (other inputs would be an indexing error).
        let Some(root) = field(&case, "input") else {
            continue;
        };
        let input = path[1..].split('.').try_fold(root, |v, key| match v {
            Value::Null => Some(Value::Null),
            Value::Object(_) => Some(field(&v, key).unwrap_or(Value::Null)),
            _ => None,
        });
        let Some(input) = input else { continue };
        let expect = conformance_expect(&case);
        cases.push(PipelineCase {
            program: program.to_string(),
            calls,
            input,
            expect,
        });
    }
    cases
}

fn conformance_expect(case: &Value) -> serde_json::Value {
    let text = crate::json::tojson_string(case);
    let parsed: serde_json::Value = serde_json::from_str(&text).expect("fixture line is JSON");
    parsed["expect"].clone()
}

/// `name` or `name("lit"; "lit")` with JSON-compatible string literals.
fn parse_call(stage: &str) -> Option<(String, Vec<Value>)> {
    let stage = stage.trim();
    let Some((name, rest)) = stage.split_once('(') else {
        return stage
            .chars()
            .all(|c| c.is_ascii_alphanumeric())
            .then(|| (stage.to_string(), Vec::new()));
    };
    let body = rest.strip_suffix(')')?;
    let mut args = Vec::new();
    for arg in body.split(';') {
        let arg = arg.trim();
        if !arg.starts_with('"') || arg.contains("\\(") {
            return None;
        }
        let text: String = serde_json::from_str(arg).ok()?;
        args.push(Value::from(text));
    }
    Some((name.to_string(), args))
}

/// Checks a pipeline's first output (or error) against the fixture's `expect`.
pub(crate) fn check_pipeline(case: &PipelineCase, result: R<Value>) {
    let expect = &case.expect;
    match result {
        Ok(value) => assert_eq!(
            Some(&value),
            expect.get("value").map(|v| json(&v.to_string())).as_ref(),
            "{}: input {:?}",
            case.program,
            case.input
        ),
        Err(e) => assert_eq!(
            Some(e.message().as_str()),
            expect["error"].as_str(),
            "{}: input {:?}",
            case.program,
            case.input
        ),
    }
}

#[test]
fn ocean_date_pipelines() {
    let cases = ocean_pipelines(&[
        "todate",
        "fromdate",
        "todateiso8601",
        "fromdateiso8601",
        "gmtime",
        "mktime",
        "strptime",
        "strftime",
    ]);
    assert!(cases.len() >= 10, "only {} cases", cases.len());
    for case in &cases {
        let result = case
            .calls
            .iter()
            .try_fold(case.input.clone(), |v, (name, args)| match name.as_str() {
                "todate" => todate(&v),
                "todateiso8601" => todateiso8601(&v),
                "fromdate" => fromdate(&v),
                "fromdateiso8601" => fromdateiso8601(&v),
                "gmtime" => gmtime(&v),
                "mktime" => mktime(&v),
                "strptime" => strptime(&v, &args[0]),
                _ => strftime(&v, &args[0]),
            });
        check_pipeline(case, result);
    }
}

#[test]
fn manual_date_examples() {
    let iso = Value::from(ISO8601);
    let ran = run_manual_examples(
        &[
            "fromdate",
            r#"strptime("%Y-%m-%dT%H:%M:%SZ")"#,
            r#"strptime("%Y-%m-%dT%H:%M:%SZ")|mktime"#,
        ],
        |program, input| {
            Ok(vec![match program {
                "fromdate" => fromdate(input)?,
                p if p.ends_with("mktime") => mktime(&strptime(input, &iso)?)?,
                _ => strptime(input, &iso)?,
            }])
        },
    );
    assert_eq!(ran, 3);
}

// Cases from jq 1.8.2's tests/jq.test and tests/optional.test.
#[test]
fn jq_test_suite_cases() {
    let iso = Value::from(ISO8601);
    let march_5 = json("[2015,2,5,23,51,47,4,63]");
    assert_eq!(
        strftime(&march_5, &iso).unwrap(),
        json(r#""2015-03-05T23:51:47Z""#)
    );
    assert_eq!(
        strftime(&json("1435677542.822351"), &Value::from("%A, %B %d, %Y")).unwrap(),
        json(r#""Tuesday, June 30, 2015""#)
    );
    assert_eq!(
        strftime(&json("1435677542.822351"), &Value::from("%A, %B %e, %Y")).unwrap(),
        json(r#""Tuesday, June 30, 2015""#)
    );
    assert_eq!(
        strftime(&json("[2024,2,15]"), &iso).unwrap(),
        json(r#""2024-03-15T00:00:00Z""#)
    );
    assert_eq!(mktime(&json("[2024,8,21]")).unwrap(), json("1726876800"));
    assert_eq!(gmtime(&json("1425599507")).unwrap(), march_5);
    assert_eq!(
        gmtime(&json("1425599507.25")).unwrap().as_array().unwrap()[5],
        json("47.25")
    );
    let bad = json(r#"["a",1,2,3,4,5,6,7]"#);
    assert_eq!(
        err_text(strftime(&bad, &iso)),
        "strftime/1 requires parsed datetime inputs"
    );
    assert_eq!(
        err_text(strflocaltime(&bad, &iso)),
        "strflocaltime/1 requires parsed datetime inputs"
    );
    assert_eq!(
        err_text(mktime(&bad)),
        "mktime requires parsed datetime inputs"
    );
    assert_eq!(
        err_text(strftime(&json("0"), &json("[]"))),
        "strftime/1 requires a string format"
    );
    assert_eq!(
        err_text(strflocaltime(&json("0"), &json("{}"))),
        "strflocaltime/1 requires a string format"
    );
    assert_eq!(
        fromdate(&json(r#""2038-01-19T03:14:08Z""#)).unwrap(),
        json("2147483648")
    );
}

#[test]
fn day_of_week_and_year_round_trip_for_67_years() {
    // jq.test: every day from 1970-03-01 for 67 years survives mktime/strftime/strptime.
    let iso = Value::from(ISO8601);
    let start = mktime(&strptime(&json(r#""1970-03-01T01:02:03Z""#), &iso).unwrap()).unwrap();
    let start = start.as_f64().unwrap();
    let mut last = Value::Null;
    for day in 0..365 * 67 {
        let text = strftime(&Value::from(start + 86_400.0 * f64::from(day)), &iso).unwrap();
        last = strptime(&text, &iso).unwrap();
        let fields = last.as_array().unwrap();
        let again = gmtime(&mktime(&last).unwrap()).unwrap();
        assert_eq!(&again, &last, "{text:?}");
        assert_eq!(fields.len(), 8);
    }
    assert_eq!(last, json("[2037,1,11,1,2,3,3,41]"));
}

#[test]
fn strptime_errors_and_trailing_text() {
    let fmt = Value::from("%Y-%m-%d");
    assert_eq!(
        err_text(strptime(&Value::Null, &fmt)),
        "strptime/1 requires string inputs and arguments"
    );
    assert_eq!(
        err_text(strptime(&Value::from("2024-01-02"), &json("1"))),
        "strptime/1 requires string inputs and arguments"
    );
    assert_eq!(
        err_text(strptime(&Value::from("team@example.com"), &fmt)),
        r#"date "team@example.com" does not match format "%Y-%m-%d""#
    );
    assert_eq!(
        err_text(fromdate(&Value::from("2015-03-05T23:51:47.123Z"))),
        r#"date "2015-03-05T23:51:47.123Z" does not match format "%Y-%m-%dT%H:%M:%SZ""#
    );
    // Trailing text must start with white space; jq then appends it.
    assert_eq!(
        strptime(&Value::from("2024-01-02  x"), &fmt).unwrap(),
        json(r#"[2024,0,2,0,0,0,2,1,"  x"]"#)
    );
    assert!(strptime(&Value::from("2024-01-02x"), &fmt).is_err());
    assert_eq!(
        fromdate(&Value::from("2015-03-05T23:51:47Z \n")).unwrap(),
        json("1425599507")
    );
    // A time of day only: glibc derives nothing, jq keeps its sentinels.
    assert_eq!(
        strptime(&Value::from("10:30"), &Value::from("%H:%M")).unwrap(),
        json("[1900,0,0,10,30,0,8,367]")
    );
}

#[test]
fn mktime_and_gmtime_edges() {
    assert_eq!(
        err_text(mktime(&Value::from("x"))),
        "mktime requires array inputs"
    );
    assert_eq!(
        mktime(&json("[2015,2,5,23,51,47.9,0,0]")).unwrap(),
        json("1425599507")
    );
    assert_eq!(mktime(&json("[1970,0,1,0,0,1]")).unwrap(), json("1"));
    // glibc's timegm uses -1 for failure, so jq cannot represent the second before the epoch.
    assert_eq!(
        err_text(mktime(&json("[1969,11,31,23,59,59]"))),
        "invalid gmtime representation"
    );
    assert_eq!(mktime(&json("[1969,11,31,23,59,58]")).unwrap(), json("-2"));
    assert_eq!(mktime(&json("[]")).unwrap(), json("-2209075200"));
    assert_eq!(
        err_text(gmtime(&Value::from("1"))),
        "gmtime() requires numeric inputs"
    );
    assert_eq!(
        err_text(localtime(&Value::Null)),
        "localtime() requires numeric inputs"
    );
    assert_eq!(
        gmtime(&json("-1.5")).unwrap(),
        json("[1969,11,31,23,59,59.5,3,364]")
    );
    assert_eq!(localtime(&json("0")).unwrap(), json("[1970,0,1,0,0,0,4,0]"));
    assert_eq!(
        err_text(gmtime(&json("1e300"))),
        "error converting number of seconds since epoch to datetime"
    );
}

#[test]
fn strftime_zone_names_and_buffer_limit() {
    assert_eq!(
        strftime(&json("0"), &Value::from("%Z %z")).unwrap(),
        json(r#""GMT +0000""#)
    );
    assert_eq!(
        strflocaltime(&json("0"), &Value::from("%Z %H")).unwrap(),
        json(r#""UTC 00""#)
    );
    assert_eq!(
        strftime(&json("0"), &Value::from("")).unwrap(),
        json(r#""""#)
    );
    // jq's buffer is strlen(format) + 100 bytes.
    let long = Value::from("%c".repeat(5));
    assert_eq!(
        err_text(strftime(&json("0"), &long)),
        "strftime/1: unknown system failure"
    );
    assert_eq!(
        err_text(strftime(&Value::from("0"), &long)),
        "strftime/1 requires parsed datetime inputs"
    );
    // Out-of-range fields are normalised before formatting.
    assert_eq!(
        strftime(&json("[2024,1,30,25]"), &Value::from("%F %T %a %j")).unwrap(),
        json(r#""2024-03-02 01:00:00 Sat 062""#)
    );
}

// Ocean mappings: `.x | todate`, `.x / 1000 | todate`, `strptime(…) | strftime(…)`,
// `strptime("%Y-%m-%d") | todateiso8601` (fixture expect values).
#[test]
fn ocean_mapping_cases() {
    let cases = [
        ("1720269335", r#""2024-07-06T12:35:35Z""#),
        ("1719664547", r#""2024-06-29T12:35:47Z""#),
        ("-0.25", r#""1970-01-01T00:00:00Z""#),
        // `.x / 1000 | todate` with x = 7
        ("0.007", r#""1970-01-01T00:00:00Z""#),
        ("[]", r#""1899-12-31T00:00:00Z""#),
    ];
    for (input, expected) in cases {
        assert_eq!(todate(&json(input)).unwrap(), json(expected), "{input}");
    }
    for (millis, expected) in [
        (1_719_318_931_321.0, r#""2024-06-25T12:35:31Z""#),
        (1_720_269_299_321.0, r#""2024-07-06T12:34:59Z""#),
        (1_718_368_532_321.0, r#""2024-06-14T12:35:32Z""#),
    ] {
        assert_eq!(
            todate(&Value::from(millis / 1000.0)).unwrap(),
            json(expected)
        );
    }
    for bad in [
        "null",
        r#"{"name": "x y/z", "id": 0}"#,
        r#""https://example.com/a/b?c=d#e""#,
    ] {
        assert_eq!(
            err_text(todate(&json(bad))),
            "strftime/1 requires parsed datetime inputs"
        );
    }
    let parse_fmt = Value::from("%Y-%m-%d %H:%M:%S");
    let print_fmt = Value::from(ISO8601);
    let reformat =
        |input: &str| -> R<Value> { strftime(&strptime(&json(input), &parse_fmt)?, &print_fmt) };
    assert_eq!(
        reformat(r#""2024-07-20 12:35:10""#).unwrap(),
        json(r#""2024-07-20T12:35:10Z""#)
    );
    assert_eq!(
        reformat(r#""2024-06-17 12:35:27""#).unwrap(),
        json(r#""2024-06-17T12:35:27Z""#)
    );
    for bad in ["null", "true", "-0.25", r#"["ünïcødé"]"#] {
        assert_eq!(
            err_text(reformat(bad)),
            "strptime/1 requires string inputs and arguments"
        );
    }
    assert_eq!(
        err_text(reformat(r#""tab\there""#)),
        "date \"tab\there\" does not match format \"%Y-%m-%d %H:%M:%S\""
    );
    let day = strptime(&Value::from("2024-07-16"), &Value::from("%Y-%m-%d")).unwrap();
    assert_eq!(
        todateiso8601(&day).unwrap(),
        json(r#""2024-07-16T00:00:00Z""#)
    );
    assert_eq!(
        mktime(&strptime(&Value::from("2024-01-02"), &Value::from("%Y-%m-%d")).unwrap()).unwrap(),
        json("1704153600")
    );
    assert_eq!(
        fromdateiso8601(&Value::from("2024-06-17T12:35:32Z")).unwrap(),
        json("1718627732")
    );
}

#[test]
fn now_is_a_recent_epoch_number() {
    let t = now().as_f64().unwrap();
    // 2024-01-01 .. 2200-01-01: sanity only, no timing.
    assert!((1_704_067_200.0..7_258_118_400.0).contains(&t), "{t}");
}
