//! Compile-fail UI tests: one mapping mistake per file under `tests/ui/<category>/`, each with
//! the diagnostic rustc shows (`.stderr`), plus mappings that must compile (`tests/ui/pass/`).
//! Bless changed output with `TRYBUILD=overwrite cargo test --test ui`.

#[test]
fn ui() {
    // trybuild's generated project does not inherit the workspace's [profile]; without debug
    // info its build takes a third of the disk (CI machines have little to spare).
    std::env::set_var("CARGO_PROFILE_DEV_DEBUG", "false");
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/[!p]*/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
