//! Property tests of the webhook body parser (`serve::webhook::parse`), bounded for CI: on any
//! input — random bytes, JSON-like token soup, mutated real payloads, nesting 200,000 deep — it
//! returns (no panic, and no stack overflow, which would abort the process: the properties run
//! on a thread with a 2 MiB stack), and it allocates at most a small multiple of the body's
//! size (counted by this binary's allocator). On well-formed JSON it decides exactly as reading
//! the body into a `serde_json::Value` would.

use opsgenie_port_runtime::serve::limits::MAX_ALERT_ID_BYTES;
use opsgenie_port_runtime::serve::webhook::{parse, Parsed, KNOWN_ACTIONS};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The system allocator, counting the bytes each thread has live and its peak.
struct Counting;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn allocated(size: usize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get() + size;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

fn freed(size: usize) {
    let _ = LIVE.try_with(|live| live.set(live.get().saturating_sub(size)));
}

// SAFETY: every call is forwarded to `System` unchanged; the counters are plain thread-local
// cells with const initialisers, which allocate nothing.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let pointer = System.alloc(layout);
        if !pointer.is_null() {
            allocated(layout.size());
        }
        pointer
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let pointer = System.alloc_zeroed(layout);
        if !pointer.is_null() {
            allocated(layout.size());
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        System.dealloc(pointer, layout);
        freed(layout.size());
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = System.realloc(pointer, layout, new_size);
        if !moved.is_null() {
            freed(layout.size());
            allocated(new_size);
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// What `parse` decided, comparable across implementations.
#[derive(Debug, PartialEq, Eq)]
enum Decision {
    Event { action: String, alert_id: String },
    Ignored(String),
    Refused(String),
}

/// Parses `body`, checking the allocation bound on the way.
fn decide(body: &[u8]) -> Result<Decision, TestCaseError> {
    let base = LIVE.with(Cell::get);
    PEAK.with(|peak| peak.set(base));
    let decision = match parse(body) {
        Ok(Parsed::Event(event)) => Decision::Event {
            action: event.action.to_owned(),
            alert_id: event.alert_id,
        },
        Ok(Parsed::Ignored { action }) => Decision::Ignored(action),
        Err(bad) => Decision::Refused(bad.0),
    };
    let peak = PEAK.with(Cell::get) - base;
    // An escaped string is copied through serde_json's scratch buffer (which may double) into
    // the owned value: 3× its length at worst. The result and error text: a few KiB.
    let bound = 3 * body.len() + (16 << 10);
    prop_assert!(
        peak <= bound,
        "{peak} bytes allocated for a {}-byte body",
        body.len()
    );
    Ok(decision)
}

/// The same decision made on a fully built `serde_json::Value` (what the parser replaced).
fn reference(body: &[u8]) -> Decision {
    let refused = |message: &str| Decision::Refused(message.to_owned());
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(error) => return Decision::Refused(format!("malformed JSON: {error}")),
    };
    let Value::Object(fields) = value else {
        return refused("the body must be a JSON object (Opsgenie's webhook payload)");
    };
    let action = match fields.get("action") {
        Some(Value::String(action)) if !action.is_empty() => action.clone(),
        Some(_) => return refused("field `action` must be a non-empty string"),
        None => return refused("missing field `action`"),
    };
    if !KNOWN_ACTIONS.contains(&action.as_str()) {
        return Decision::Ignored(action.chars().take(64).collect());
    }
    let alert = match fields.get("alert") {
        Some(Value::Object(alert)) => alert,
        Some(_) => return refused("field `alert` must be an object"),
        None => return refused("missing field `alert`"),
    };
    let id = match alert.get("alertId") {
        Some(Value::String(id)) if !id.trim().is_empty() => id.trim(),
        Some(_) => return refused("field `alert.alertId` must be a non-empty string"),
        None => return refused("missing field `alert.alertId`"),
    };
    let valid = id.len() <= MAX_ALERT_ID_BYTES && id.bytes().all(|b| b.is_ascii_graphic());
    if !valid {
        return Decision::Refused(format!(
            "field `alert.alertId` is not an Opsgenie alert id: it must be 1 to \
             {MAX_ALERT_ID_BYTES} printable ASCII characters (got {} bytes)",
            id.len()
        ));
    }
    Decision::Event {
        action,
        alert_id: id.to_owned(),
    }
}

/// Runs `check` on `cases` inputs from `strategy()`, on a thread with a 2 MiB stack: a parser
/// that recursed per nesting level would overflow it at the depths generated (and abort the
/// whole test binary).
fn run<S>(cases: u32, strategy: fn() -> S, check: fn(&[u8]) -> Result<(), TestCaseError>)
where
    S: Strategy<Value = Vec<u8>> + 'static,
{
    let thread = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let config = Config {
                cases,
                failure_persistence: None,
                ..Config::default()
            };
            let mut runner = TestRunner::new(config);
            runner
                .run(&strategy(), |body| check(&body))
                .map_err(|failure| failure.to_string())
        })
        .expect("thread");
    if let Err(failure) = thread.join().expect("no panic") {
        panic!("{failure}");
    }
}

fn returns(body: &[u8]) -> Result<(), TestCaseError> {
    decide(body).map(|_| ())
}

fn same_as_reference(body: &[u8]) -> Result<(), TestCaseError> {
    let decision = decide(body)?;
    prop_assert_eq!(decision, reference(body));
    Ok(())
}

/// Fragments real payloads are made of, and the characters that break JSON.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    " ",
    "\"",
    "\\",
    "\"action\"",
    "\"alert\"",
    "\"alertId\"",
    "\"Delete\"",
    "\"Create\"",
    "\"Close\"",
    "\"a-1\"",
    "\"\"",
    "\" \"",
    "null",
    "true",
    "false",
    "0",
    "-1.5e3",
    "1e999",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\"\\u0041\"",
    "\"\\n\"",
    "\u{e9}",
    "\u{0}",
    "\u{feff}",
];

fn token_soup() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..400)
        .prop_map(|tokens| tokens.concat().into_bytes())
}

const PAYLOAD: &str = r#"{"action":"Create","alert":{"alertId":"8418d193-2dab-4490-b331-8c02cdd196b7-1568971408734","message":"Disk full","tags":["db","prod"],"tinyId":"7","createdAt":1568971408734,"updatedAt":1568971408734001603,"priority":"P1","details":{"k":"v"}},"source":{"name":"","type":"API"},"integrationName":"Webhook"}"#;

/// The real payload with up to 20 bytes inserted, replaced or removed.
fn mutated_payload() -> impl Strategy<Value = Vec<u8>> {
    let edit = (0usize..3, any::<prop::sample::Index>(), any::<u8>());
    prop::collection::vec(edit, 0..20).prop_map(|edits| {
        let mut body = PAYLOAD.as_bytes().to_vec();
        for (kind, at, byte) in edits {
            let at = at.index(body.len() + 1);
            match kind {
                0 => body.insert(at, byte),
                1 if at < body.len() => body[at] = byte,
                _ if at < body.len() => {
                    body.remove(at);
                }
                _ => {}
            }
        }
        body
    })
}

/// A valid envelope with a nest of arrays and objects up to 200,000 deep in one of its fields,
/// balanced or cut off.
fn deep_nesting() -> impl Strategy<Value = Vec<u8>> {
    let slot = 0usize..5;
    (slot, 0usize..200_000, any::<bool>(), any::<bool>()).prop_map(
        |(slot, depth, objects, balanced)| {
            let (open, close) = if objects {
                ("{\"a\":", "}")
            } else {
                ("[", "]")
            };
            let mut nest = open.repeat(depth);
            nest.push('1');
            if balanced {
                nest.push_str(&close.repeat(depth));
            }
            let body = match slot {
                0 => format!(r#"{{"action":{nest},"alert":{{"alertId":"a"}}}}"#),
                1 => format!(r#"{{"action":"Close","alert":{nest}}}"#),
                2 => format!(r#"{{"action":"Close","alert":{{"alertId":{nest}}}}}"#),
                3 => format!(r#"{{"action":"Close","alert":{{"alertId":"a","x":{nest}}}}}"#),
                _ => nest,
            };
            body.into_bytes()
        },
    )
}

/// Bodies made of many small values (an array or object of up to 100,000 of them) in one field:
/// a parser that built them would need many times the body's size.
fn wide_values() -> impl Strategy<Value = Vec<u8>> {
    (0usize..4, 0usize..100_000, any::<bool>()).prop_map(|(slot, width, objects)| {
        let wide = if objects {
            let fields: Vec<String> = (0..width).map(|i| format!("\"{i}\":0")).collect();
            format!("{{{}}}", fields.join(","))
        } else {
            format!("[{}]", vec!["0"; width].join(","))
        };
        let body = match slot {
            0 => format!(r#"{{"action":{wide},"alert":{{"alertId":"a"}}}}"#),
            1 => format!(r#"{{"action":"Close","alert":{{"alertId":"a","details":{wide}}}}}"#),
            2 => format!(r#"{{"action":"Close","alert":{{"alertId":{wide}}}}}"#),
            _ => format!(r#"{{"action":"Close","alert":{{"alertId":"a"}},"x":{wide}}}"#),
        };
        body.into_bytes()
    })
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |x| x.is_finite())
            .prop_map(Value::from),
        prop::sample::select(KNOWN_ACTIONS.as_slice()).prop_map(Value::from),
        "[ -~]{0,12}".prop_map(Value::from),
        ".{0,8}".prop_map(Value::from),
        (1usize..400).prop_map(|n| Value::from("i".repeat(n))),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("action".to_owned()),
                        Just("alert".to_owned()),
                        Just("alertId".to_owned()),
                        "[a-z]{1,6}",
                    ],
                    inner
                ),
                0..6
            )
            .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

/// Well-formed bodies shaped like webhook payloads, with any JSON in their fields.
fn envelopes() -> impl Strategy<Value = Vec<u8>> {
    let maybe = |strategy: BoxedStrategy<Value>| prop::option::weighted(0.8, strategy);
    let alert = prop_oneof![
        3 => (maybe(json_value().boxed()), json_value())
            .prop_map(|(id, other)| {
                let mut alert = serde_json::Map::new();
                if let Some(id) = id {
                    alert.insert("alertId".into(), id);
                }
                alert.insert("message".into(), other);
                Value::Object(alert)
            }),
        1 => json_value(),
    ];
    (
        maybe(json_value().boxed()),
        maybe(alert.boxed()),
        json_value(),
    )
        .prop_map(|(action, alert, extra)| {
            let mut body = serde_json::Map::new();
            body.insert("source".into(), extra);
            if let Some(action) = action {
                body.insert("action".into(), action);
            }
            if let Some(alert) = alert {
                body.insert("alert".into(), alert);
            }
            serde_json::to_vec(&Value::Object(body)).expect("serialisable")
        })
}

fn random_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..2048)
}

#[test]
fn any_bytes_are_answered() {
    run(512, random_bytes, returns);
}

#[test]
fn token_soup_decides_like_a_parsed_value() {
    // Mostly malformed; whatever parses must be decided as the Value-based reading does.
    run(512, token_soup, |body| {
        let decision = decide(body)?;
        if serde_json::from_slice::<Value>(body).is_ok() {
            prop_assert_eq!(decision, reference(body));
        }
        Ok(())
    });
}

#[test]
fn mutated_payloads_decide_like_a_parsed_value() {
    run(512, mutated_payload, |body| {
        let decision = decide(body)?;
        if serde_json::from_slice::<Value>(body).is_ok() {
            prop_assert_eq!(decision, reference(body));
        }
        Ok(())
    });
}

#[test]
fn envelopes_decide_like_a_parsed_value() {
    run(512, envelopes, same_as_reference);
}

#[test]
fn wide_values_are_skipped_without_being_built() {
    run(48, wide_values, same_as_reference);
}

#[test]
fn deep_nesting_neither_overflows_nor_allocates_per_level_beyond_the_body() {
    run(48, deep_nesting, returns);
}
