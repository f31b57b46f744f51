//! Compile-fail UI tests: one mapping mistake per file under `tests/ui/<category>/`, each with
//! the diagnostic rustc shows (`.stderr`), plus mappings that must compile (`tests/ui/pass/`).
//! Bless changed output with `TRYBUILD=overwrite cargo test --test ui`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/[!p]*/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
