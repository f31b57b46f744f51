//! Both shipped mapping sets compile through the macro, as through build.rs.
mod default_set {
    opsgenie_port_macros::include_mappings!("mappings");
}
mod ocean_2026 {
    opsgenie_port_macros::include_mappings!("mappings/ocean-2026");
}

fn main() {
    assert_eq!(default_set::mapping().resources.len(), 3);
    assert_eq!(ocean_2026::mapping().resources.len(), 7);
}
