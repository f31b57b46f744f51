//! Resource limits. Where jq 1.8.2 has a limit we use its number and its message (the
//! constants of `src/jv.c`, `jv_aux.c`, `jv_parse.c` and `jv_print.c`); where jq's limit would
//! let one operation exhaust this process's memory we add a lower one of our own, with jq's
//! message where jq has one. No traversal recurses more than 64 levels on the thread's stack
//! (deeper, they keep their own stack), so the depth limits are jq's semantics, not our
//! stack's.

/// Containers a JSON text may nest (jq: `MAX_PARSING_DEPTH`).
pub const MAX_PARSING_DEPTH: usize = 10_000;

/// Deepest level `tojson` prints; anything below is `<skipped: too deep>` (jq:
/// `MAX_PRINT_DEPTH`; the top value is level 0).
pub const MAX_PRINT_DEPTH: usize = 10_000;

/// What jq prints in place of a value below [`MAX_PRINT_DEPTH`].
pub const SKIPPED_TOO_DEEP: &str = "<skipped: too deep>";

/// Longest path `getpath`/`setpath`/`delpaths` accept (jq: `MAX_PATH_DEPTH`).
pub const MAX_PATH_DEPTH: usize = 10_000;

/// Deepest level compared by the builtins that raise "Equality check too deep"
/// (jq: `MAX_EQUAL_DEPTH`), "Comparison too deep" (`MAX_CMP_DEPTH`) and "Containment check too
/// deep" (`MAX_CONTAINS_DEPTH`), and merged by `*` before "Object merge too deep"
/// (`MAX_OBJECT_MERGE_DEPTH`). All four are 10,000 in jq 1.8.2.
pub const MAX_COMPARE_DEPTH: usize = 10_000;

/// Largest index an assignment may write (jq: `INT_MAX >> 2` in `jv_array_set`).
pub const MAX_ARRAY_INDEX: usize = (i32::MAX >> 2) as usize;

/// Ours: the most `null`s one assignment may pad an array with (`.[n] = x` past the end),
/// "Array index too large" past it. jq's own bound would let `.[536870911] = 0` fill 17 GB of
/// 32-byte values; 2^20 nulls are 32 MiB. Growing an array element by element
/// (`.[length] = x`) never pads. `transpose` may pad as many ("transpose result too large":
/// jq has no bound there).
pub const MAX_ARRAY_PADDING: usize = 1 << 20;

/// Ours: the longest string one operation builds from a value, where jq's strings stop at
/// `INT_MAX` bytes (2 GiB), more than any container this service runs in holds. `s * n` past
/// it is "Repeat string result too long", `tojson`/`tostring`/`@format` "String too long"
/// (jq's messages): a value whose parts are shared many times over
/// (`reduce range(40) as $_ (0; [., .])`) would print as 2^40 elements. 2^26 bytes (64 MiB)
/// is far beyond any field.
pub const MAX_STRING_BYTES: usize = 1 << 26;
