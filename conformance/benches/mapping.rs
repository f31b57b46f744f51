//! Mapping throughput: `cargo bench -p opsgenie-port-conformance --bench mapping [-- ALERTS [REPS]]`.
//!
//! On N sim-generated alerts (`AlertView::List`, JSON text prepared up front) it times, per pass
//! over all alerts:
//! (a) `serde_json::from_slice::<serde_json::Value>`, parse only (the baseline);
//! (b) the compiled default alert mapping: projected decode + selector + `map` + `to_port_json`;
//! (c) jaq-core 3 interpreting the same mapping with Ocean's rules: jaq_json parse + every leaf
//!     (selector included) + entity object + JSON text;
//! (d) like (b) but decoding the whole document with `parse_json` (no projection);
//! (e) the same mapping compiled at run time (from Port's JSON form, as a mapping edited in Port
//!     is) and run by the interpreter: projected decode + selector + `map` + `to_port_json`.
//! It also times the run-time compilation itself (`compile_port` + the interpreted mapping).
//! Each case gets a warm-up pass, then REPS rounds run every case once (interleaved, so load
//! from other processes hits all cases alike); the table shows median and best per case.

#[path = "../tests/support/ocean_jaq.rs"]
#[allow(dead_code)]
mod ocean_jaq;

use opsgenie_port_runtime::jq::{parse_json, parse_json_projected, Value};
use opsgenie_port_runtime::mapping::{Mapping, Origin, Outcome, Resource};
use opsgenie_port_sim::generate::{Account, AlertView, GenSpec};
use std::hint::black_box;
use std::time::{Duration, Instant};

mod default_set {
    opsgenie_port_macros::include_mappings!("mappings");
}

const SEED: u64 = 20_260_828;

/// A named pass over all alerts.
type Case<'a> = (&'static str, Box<dyn FnMut() + 'a>);

fn main() {
    // `cargo bench` passes `--bench`; numbers among the arguments are ALERTS and REPS.
    let numbers: Vec<usize> = std::env::args().filter_map(|a| a.parse().ok()).collect();
    let alerts = numbers.first().copied().unwrap_or(10_000);
    let reps = numbers.get(1).copied().unwrap_or(7).max(1);

    let account = Account::generate(&GenSpec::typical(SEED, alerts));
    let texts: Vec<Vec<u8>> = account
        .alerts()
        .iter()
        .map(|a| serde_json::to_vec(&a.to_json(AlertView::List)).expect("alert serialises"))
        .collect();
    let bytes: usize = texts.iter().map(Vec::len).sum();
    let mapping = default_set::mapping();
    let resource = mapping
        .resources
        .iter()
        .find(|r| r.kind == "alert")
        .expect("the default set maps alerts");
    let (interpreted, compile_times) = compile_at_run_time(&mapping, reps);
    let interpreted_resource = interpreted
        .resources
        .iter()
        .find(|r| r.kind == "alert")
        .expect("the interpreted default set maps alerts");
    let reference = ocean_jaq::load_resources(&mapping.app_config_json, "")
        .into_iter()
        .nth(resource.index)
        .expect("same resources as the registry");
    assert_eq!(reference.kind, "alert");

    println!(
        "mapping bench: {} alerts, {:.2} MB JSON ({} B/alert avg), {reps} timed passes after 1 warm-up",
        texts.len(),
        bytes as f64 / 1e6,
        bytes / texts.len().max(1)
    );

    let mut cases: Vec<Case<'_>> = vec![
        (
            "(a) serde_json::Value parse only",
            Box::new(|| {
                for t in &texts {
                    let v: serde_json::Value = serde_json::from_slice(t).expect("valid JSON");
                    black_box(v);
                }
            }),
        ),
        (
            "(b) compiled: projected decode + map + encode",
            Box::new(|| {
                for t in &texts {
                    let v = parse_json_projected(t, &resource.projection).expect("valid JSON");
                    black_box(map_and_encode(resource, &v));
                }
            }),
        ),
        (
            "(c) jaq-core 3.1.2: parse + every leaf + entity",
            Box::new(|| {
                for t in &texts {
                    let v = jaq_json::read::parse_single(t).expect("valid JSON");
                    for mapped in reference.map_raw(&v) {
                        if let ocean_jaq::Outcome::Entity(e) = mapped.outcome {
                            black_box(e.to_string());
                        }
                    }
                }
            }),
        ),
        (
            "(d) compiled: full parse_json + map + encode",
            Box::new(|| {
                for t in &texts {
                    let v = parse_json(t).expect("valid JSON");
                    black_box(map_and_encode(resource, &v));
                }
            }),
        ),
        (
            "(e) interpreted: projected decode + map + encode",
            Box::new(|| {
                for t in &texts {
                    let v = parse_json_projected(t, &interpreted_resource.projection)
                        .expect("valid JSON");
                    black_box(map_and_encode(interpreted_resource, &v));
                }
            }),
        ),
    ];
    // Letters among the arguments (`a`, `b` …) run only those cases, e.g. for a profiler.
    let only: Vec<String> = std::env::args()
        .filter(|a| a.len() == 1 && a.chars().all(|c| c.is_ascii_lowercase()))
        .collect();
    cases.retain(|(name, _)| only.is_empty() || only.iter().any(|o| name[1..].starts_with(o)));
    let timings = measure_interleaved(reps, &mut cases);
    let [parse_only, compiled, jaq, full, interp] = timings[..] else {
        // A subset was selected: print what ran, no ratios.
        for ((name, _), t) in cases.iter().zip(&timings) {
            println!("{name}: median {:.1} ms/pass", t.median.as_secs_f64() * 1e3);
        }
        return;
    };

    println!();
    println!("| case | median ms/pass | best ms/pass | MB/s (median) | alerts/s (median) |");
    println!("|---|---:|---:|---:|---:|");
    let rows = [
        ("(a) serde_json::Value parse only", parse_only),
        ("(b) compiled: projected decode + map + encode", compiled),
        ("(c) jaq-core 3.1.2: parse + every leaf + entity", jaq),
        ("(d) compiled: full parse_json + map + encode", full),
        ("(e) interpreted: projected decode + map + encode", interp),
    ];
    for (name, t) in rows {
        let secs = t.median.as_secs_f64();
        println!(
            "| {name} | {:.1} | {:.1} | {:.1} | {:.0} |",
            secs * 1e3,
            t.best.as_secs_f64() * 1e3,
            bytes as f64 / 1e6 / secs,
            texts.len() as f64 / secs
        );
    }
    let ratio = |x: Timing, y: Timing| x.median.as_secs_f64() / y.median.as_secs_f64();
    println!();
    println!(
        "b/a throughput ratio: {:.2}x (goal >= 0.7x); b/c: {:.1}x (goal >= 8x); d/a: {:.2}x",
        ratio(parse_only, compiled),
        ratio(jaq, compiled),
        ratio(parse_only, full)
    );
    println!(
        "e/b (interpreted vs compiled) throughput ratio: {:.2}x (goal >= 0.5x); e/c (interpreted vs jaq): {:.1}x",
        ratio(compiled, interp),
        ratio(jaq, interp)
    );
    let mut times = compile_times;
    times.sort();
    println!(
        "run-time compilation of the default mapping (compile_port + interpreted mapping): median {:.1} ms, best {:.1} ms over {} runs (goal < 50 ms)",
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times.len()
    );
}

/// The default mapping as a mapping edited in Port arrives: its JSON form and blueprints,
/// compiled with every check and turned into an interpreted mapping, `reps` times; the last
/// result and each compilation's time.
fn compile_at_run_time(mapping: &Mapping, reps: usize) -> (Mapping, Vec<Duration>) {
    let config: serde_json::Value =
        serde_json::from_str(&mapping.app_config_json).expect("config JSON");
    let blueprints: Vec<serde_json::Value> =
        serde_json::from_str(&mapping.blueprints_json).expect("blueprints JSON");
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..reps.max(5) {
        let started = Instant::now();
        let compiled = opsgenie_port_compiler::compile_port(&config, &blueprints, mapping.schemas);
        let plan = compiled.plan.expect("the default mapping compiles");
        let interpreted = Mapping::interpreted(
            plan,
            Origin::Port,
            mapping.blueprints_json.clone(),
            mapping.app_config_json.clone(),
        );
        times.push(started.elapsed());
        last = Some(interpreted);
    }
    (last.expect("at least one run"), times)
}

/// Selector, mapping and Port JSON for one decoded alert, as a resync does it.
fn map_and_encode(resource: &Resource, v: &Value) -> Option<Vec<u8>> {
    if !matches!(resource.select(v), Ok(true)) {
        return None;
    }
    match resource.map(v).outcome {
        Outcome::Entity(e) => Some(e.to_port_json()),
        _ => None,
    }
}

#[derive(Clone, Copy)]
struct Timing {
    median: Duration,
    best: Duration,
}

/// Warm-up pass for each case, then `reps` rounds that run every case once, so load from
/// other processes affects all cases alike.
fn measure_interleaved(reps: usize, cases: &mut [Case<'_>]) -> Vec<Timing> {
    for (_, pass) in cases.iter_mut() {
        pass();
    }
    let mut times: Vec<Vec<Duration>> = vec![Vec::with_capacity(reps); cases.len()];
    for _ in 0..reps {
        for ((_, pass), slot) in cases.iter_mut().zip(&mut times) {
            let start = Instant::now();
            pass();
            slot.push(start.elapsed());
        }
    }
    times
        .into_iter()
        .map(|mut t| {
            t.sort();
            Timing {
                median: t[t.len() / 2],
                best: t[0],
            }
        })
        .collect()
}
