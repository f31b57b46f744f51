//! Property test of the JSON decoder (`parse_json`, `parse_json_ocean`, `parse_json_projected`,
//! `parse_json_projected_ocean`) on hostile input: random documents and mutations of them —
//! nesting past jq's 10,000 levels, long strings, every escape (and broken ones), invalid
//! UTF-8, huge and malformed numbers, truncation, flipped and inserted bytes. Fixed seed,
//! bounded (a few thousand cases, a few seconds in a debug build).
//!
//! For every document, on a thread with a tokio worker's 2 MiB stack: no decoder panics or
//! aborts; all four agree on whether it is JSON (projection and Ocean numbers change what is
//! built, never what is accepted); what they build prints as JSON that decodes again; and the
//! most memory a decode holds at once stays within a fixed multiple of the input
//! size (a counting global allocator, which is why this is a test binary of its own).

use std::alloc::{GlobalAlloc, Layout, System};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use opsgenie_port_jq::{
    parse_json, parse_json_ocean, parse_json_projected, parse_json_projected_ocean, tojson_string,
    JsonError, Projection, Value,
};

/// Counts the bytes the process holds and the most it held since the last reset.
struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = CURRENT.fetch_add(by, Relaxed) + by;
    PEAK.fetch_max(now, Relaxed);
}

// SAFETY: every call is forwarded unchanged to the system allocator; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Peak bytes held while decoding, per input byte (plus [`PEAK_SLACK`]). The worst inputs
/// are dense containers: `[[],[],…]` or `[[[…]]]` spend 2–3 text bytes on an element that is
/// a 32-byte value plus a 40-byte shared allocation, and the scratch stacks double.
const PEAK_PER_BYTE: usize = 64;
/// Fixed costs: the key cache (512 slots and its keys), the frame stack's first growths.
const PEAK_SLACK: usize = 256 << 10;

/// xorshift64*: small and deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const KEYS: &[&str] = &[
    "\"a\"",
    "\"b\"",
    "\"c\"",
    "\"id\"",
    "\"\\u0061\"",
    "\"é\"",
    "\"\"",
    "\"a\\\"b\"",
];

const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-12",
    "1.5",
    "1.50",
    "3.0",
    "1e5",
    "1E+2",
    "-2.5e-3",
    "1e308",
    "1e309",
    "-1e-400",
    "1E+999999999",
    "1e-999999999",
    "1E+1000000000",
    "123456789012345678901234567890",
    "0.000001",
    "0.0000001",
    "9007199254740993",
    // Malformed: the decoder must refuse them.
    "01",
    "1.",
    "-",
    ".5",
    "1e",
    "1e+",
    "NaN",
    "Infinity",
    "+1",
    "0x10",
];

const STRING_PARTS: &[&str] = &[
    "a",
    "Z9 ",
    "é",
    "😀",
    "\\n",
    "\\\"",
    "\\\\",
    "\\/",
    "\\b\\f\\r\\t",
    "\\u00e9",
    "\\u0000",
    "\\ud83d\\ude00",
    "\\ud800",
    "\\udc00x",
    "\\ud800\\u0041",
    // Broken escapes and raw control characters.
    "\\x",
    "\\u12",
    "\\uZZZZ",
    "\u{1}",
    "\t",
    "\u{7f}",
];

fn gen_string(rng: &mut Rng, out: &mut Vec<u8>) {
    out.push(b'"');
    if rng.one_in(40) {
        // A long plain run, sometimes with an escape near the end.
        let n = 1 + rng.below(64 << 10);
        out.extend(std::iter::repeat_n(b'x', n));
        if rng.one_in(2) {
            out.extend_from_slice(b"\\n");
        }
    }
    for _ in 0..rng.below(8) {
        match rng.below(10) {
            // Invalid UTF-8: lone continuation, overlong lead, truncated sequence, surrogate.
            0 => out.extend_from_slice(
                [
                    &[0x80u8][..],
                    &[0xC0, 0x80],
                    &[0xE2, 0x82],
                    &[0xED, 0xA0, 0x80],
                    &[0xFF],
                ][rng.below(5)],
            ),
            _ => out.extend_from_slice(rng.pick(STRING_PARTS).as_bytes()),
        }
    }
    out.push(b'"');
}

/// Opens `n` containers (arrays and `{"k":` objects mixed) around a value and closes them.
fn gen_deep(rng: &mut Rng, out: &mut Vec<u8>) {
    let n = [50, 9_999, 10_000, 10_001, 12_000][rng.below(5)];
    let objects = rng.below(3);
    let mut closers = Vec::with_capacity(n);
    for i in 0..n {
        if objects == 0 || (objects == 2 && i % 2 == 0) {
            out.push(b'[');
            closers.push(b']');
        } else {
            out.extend_from_slice(b"{\"k\":");
            closers.push(b'}');
        }
    }
    gen_value(rng, 4, out);
    closers.reverse();
    out.extend_from_slice(&closers);
}

fn gen_value(rng: &mut Rng, depth: usize, out: &mut Vec<u8>) {
    let kinds = if depth > 4 { 3 } else { 7 };
    match rng.below(kinds) {
        0 => out.extend_from_slice(
            rng.pick(&["null", "true", "false", "nul", "tru"])
                .as_bytes(),
        ),
        1 => {
            if rng.one_in(50) {
                // A 2,000-digit literal.
                out.extend(std::iter::repeat_n(b'7', 2_000));
            } else {
                out.extend_from_slice(rng.pick(NUMBERS).as_bytes());
            }
        }
        2 => gen_string(rng, out),
        3 | 4 => {
            out.push(b'[');
            for i in 0..rng.below(5) {
                if i > 0 {
                    out.push(b',');
                }
                gen_value(rng, depth + 1, out);
            }
            out.push(b']');
        }
        5 => {
            out.push(b'{');
            for i in 0..rng.below(5) {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(rng.pick(KEYS).as_bytes());
                out.extend_from_slice(rng.pick(&[":", " : ", ":\n"]).as_bytes());
                gen_value(rng, depth + 1, out);
            }
            out.push(b'}');
        }
        _ => {
            if rng.one_in(8) {
                gen_deep(rng, out);
            } else {
                // Dense containers, the most memory per input byte.
                let item: &[u8] = [&b"[]"[..], b"{}", b"0", b"\"\""][rng.below(4)];
                out.push(b'[');
                for i in 0..rng.below(4_000) {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(item);
                }
                out.push(b']');
            }
        }
    }
}

fn mutate(rng: &mut Rng, doc: &mut Vec<u8>) {
    if doc.is_empty() {
        return;
    }
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(doc.len().max(1));
        match rng.below(5) {
            0 => doc.truncate(at),
            1 => {
                if let Some(b) = doc.get_mut(at) {
                    *b = rng.next() as u8;
                }
            }
            2 => {
                let bytes: &[u8] = [
                    &b"["[..],
                    b"{",
                    b"]",
                    b"}",
                    b",",
                    b"\"",
                    b"\\",
                    b"\xff",
                    b":",
                ][rng.below(9)];
                doc.splice(at..at, bytes.iter().copied());
            }
            3 => {
                let end = (at + rng.below(16)).min(doc.len());
                doc.drain(at..end);
            }
            _ => {
                let end = (at + rng.below(64)).min(doc.len());
                let copy = doc[at..end].to_vec();
                doc.splice(at..at, copy);
            }
        }
    }
}

fn projections() -> Vec<Projection> {
    let inner = Projection::some(vec![("c", Projection::ALL)], None);
    vec![
        Projection::ALL,
        Projection::some(
            vec![
                ("a", Projection::ALL),
                ("k", Projection::some(vec![], Some(inner))),
            ],
            Some(Projection::some(vec![("id", Projection::ALL)], None)),
        ),
        Projection::some(vec![("b", Projection::some(vec![], None))], None),
    ]
}

type Decoded = Result<Value, JsonError>;

/// Decodes `doc` and returns the result with the most bytes held meanwhile (result included).
fn measured(decode: impl FnOnce() -> Decoded) -> (Decoded, usize) {
    let base = CURRENT.load(Relaxed);
    PEAK.store(base, Relaxed);
    let result = decode();
    let peak = PEAK.load(Relaxed).saturating_sub(base);
    (result, peak)
}

/// Runs the four decoders on one document and checks the properties; `Err` describes a failure.
fn check(doc: &[u8], projection: &Projection, worst: &mut f64) -> Result<(), String> {
    let decoders: [(&str, &dyn Fn() -> Decoded); 4] = [
        ("parse_json", &|| parse_json(doc)),
        ("parse_json_ocean", &|| parse_json_ocean(doc)),
        ("parse_json_projected", &|| {
            parse_json_projected(doc, projection)
        }),
        ("parse_json_projected_ocean", &|| {
            parse_json_projected_ocean(doc, projection)
        }),
    ];
    let mut outcomes = Vec::with_capacity(4);
    for (name, decode) in decoders {
        let (result, peak) = catch_unwind(AssertUnwindSafe(|| measured(decode)))
            .map_err(|_| format!("{name} panicked"))?;
        let allowed = PEAK_PER_BYTE * doc.len() + PEAK_SLACK;
        if peak > allowed {
            return Err(format!(
                "{name} held {peak} bytes for {} input bytes (allowed {allowed})",
                doc.len()
            ));
        }
        *worst = worst.max(peak.saturating_sub(PEAK_SLACK) as f64 / doc.len().max(1) as f64);
        outcomes.push((name, result));
    }
    let errors: Vec<Option<&JsonError>> = outcomes.iter().map(|(_, r)| r.as_ref().err()).collect();
    if errors.iter().any(|e| *e != errors[0]) {
        return Err(format!("decoders disagree: {errors:?}"));
    }
    for (name, result) in &outcomes {
        if let Ok(v) = result {
            // What was built prints as JSON, and from there printing and decoding are a fixed
            // point (the first round may turn an infinity into the largest double, as jq does).
            let text = tojson_string(v);
            let back = parse_json(text.as_bytes())
                .map_err(|e| format!("{name}: {text:.200} does not re-decode: {e}"))?;
            let again = tojson_string(&back);
            match parse_json(again.as_bytes()) {
                Ok(third) if third == back => {}
                other => return Err(format!("{name}: {again:.200} re-decodes as {other:.200?}")),
            }
        }
    }
    Ok(())
}

#[test]
fn decoder_survives_hostile_documents() {
    const CASES: usize = 2_000;
    let report = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let mut rng = Rng(0x5EED_0FDE_C0DE);
            let projections = projections();
            let (mut worst, mut bytes, mut accepted) = (0.0f64, 0usize, 0usize);
            for case in 0..CASES {
                let mut doc = Vec::new();
                gen_value(&mut rng, 0, &mut doc);
                if rng.one_in(2) {
                    mutate(&mut rng, &mut doc);
                }
                bytes += doc.len();
                accepted += usize::from(parse_json(&doc).is_ok());
                let projection = &projections[case % projections.len()];
                if let Err(why) = check(&doc, projection, &mut worst) {
                    let shown = String::from_utf8_lossy(&doc[..doc.len().min(300)]).into_owned();
                    panic!("case {case} ({} bytes) {shown:?}…: {why}", doc.len());
                }
            }
            format!(
                "decoder: {CASES} documents, {:.1} MB, {accepted} accepted; \
                 peak memory at most {worst:.1}x the input (+{} KiB)",
                bytes as f64 / 1e6,
                PEAK_SLACK >> 10
            )
        })
        .expect("spawn")
        .join()
        .expect("the decoder checks finish");
    println!("{report}");
}
