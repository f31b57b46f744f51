//! Files of a mapping directory that cannot be read (E0008, with the reason) or are over the
//! size limit (E0001/E0002): diagnosed without reading more than the limit, and without ever
//! opening a FIFO (which would block) or a device (which may never end).

use opsgenie_port_compiler::diag::{render_all_human, Diagnostics};
use opsgenie_port_compiler::documents::MAX_DOCUMENT_BYTES;
use opsgenie_port_compiler::inputs::mapdir::{load_mapping_dir, MappingDir};
use std::path::{Path, PathBuf};

const CONFIG: &str = "resources:\n  - kind: user\n    selector:\n      query: 'true'\n    port:\n      entity:\n        mappings:\n          identifier: .id\n          blueprint: '\"u\"'\n";
const BLUEPRINTS: &str = r#"[{"identifier": "u"}]"#;

/// A mapping directory holding a good config and blueprints, then `change` applied to it.
fn mapping_dir(name: &str, change: impl FnOnce(&Path)) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("front-files-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sources")).unwrap();
    std::fs::write(dir.join("port-app-config.yaml"), CONFIG).unwrap();
    std::fs::write(dir.join("blueprints.json"), BLUEPRINTS).unwrap();
    std::fs::write(dir.join("sources/user.json"), r#"{"type": "object"}"#).unwrap();
    change(&dir);
    dir
}

fn load(dir: &Path) -> (MappingDir, Diagnostics) {
    let mut diags = Diagnostics::new();
    let loaded = load_mapping_dir(dir, &dir.join("sources"), &mut diags);
    (loaded, diags)
}

fn replace(path: &Path, with: impl FnOnce(&Path)) {
    std::fs::remove_file(path).unwrap();
    with(path);
}

#[cfg(unix)]
fn fifo(path: &Path) {
    let made = std::process::Command::new("mkfifo").arg(path).status();
    assert!(made.unwrap().success());
}

#[test]
#[cfg(unix)]
fn unreadable_files_are_e0008_with_the_reason() {
    use std::os::unix::fs::symlink;
    let config = |dir: &Path| dir.join("port-app-config.yaml");
    type Change<'a> = Box<dyn FnOnce(&Path) + 'a>;
    let cases: Vec<(&str, Change<'_>, &str)> = vec![
        (
            "folder",
            Box::new(|d| replace(&config(d), |p| std::fs::create_dir(p).unwrap())),
            "port-app-config.yaml`: it is a directory",
        ),
        (
            "fifo",
            Box::new(|d| replace(&config(d), fifo)),
            "port-app-config.yaml`: it is not a regular file",
        ),
        (
            "device",
            Box::new(|d| replace(&config(d), |p| symlink("/dev/zero", p).unwrap())),
            "port-app-config.yaml`: it is not a regular file",
        ),
        (
            "loop",
            Box::new(|d| {
                replace(&config(d), |p| symlink(d.join("a"), p).unwrap());
                symlink(d.join("b"), d.join("a")).unwrap();
                symlink(d.join("a"), d.join("b")).unwrap();
            }),
            "port-app-config.yaml`: Too many levels of symbolic links",
        ),
        (
            "dangling",
            Box::new(|d| replace(&config(d), |p| symlink(d.join("nowhere"), p).unwrap())),
            "port-app-config.yaml`: it is a symbolic link to nothing",
        ),
        (
            "binary",
            Box::new(|d| std::fs::write(config(d), [b'a', 0xff, 0xfe]).unwrap()),
            "port-app-config.yaml`: it is not UTF-8 text",
        ),
        (
            "blueprints-fifo",
            Box::new(|d| replace(&d.join("blueprints.json"), fifo)),
            "blueprints.json`: it is not a regular file",
        ),
        (
            "source-folder",
            Box::new(|d| std::fs::create_dir(d.join("sources/alert.json")).unwrap()),
            "alert.json`: it is a directory",
        ),
    ];
    for (name, change, reason) in cases {
        let dir = mapping_dir(name, change);
        let (_, diags) = load(&dir);
        let e0008: Vec<&str> = diags
            .iter()
            .filter(|d| d.code == "E0008")
            .map(|d| d.message.as_str())
            .collect();
        assert!(
            e0008.len() == 1 && e0008[0].starts_with("cannot read `") && e0008[0].contains(reason),
            "{name}: {e0008:?}"
        );
    }
}

/// A 50 MB file (sparse: nothing is written) costs what its first line costs, and is reported
/// with its size and first line.
#[test]
fn a_file_over_the_limit_is_not_read() {
    for (file, code, format) in [
        ("port-app-config.yaml", "E0001", "YAML"),
        ("blueprints.json", "E0002", "JSON"),
    ] {
        let dir = mapping_dir(&format!("large-{code}"), |d| {
            let path = d.join(file);
            std::fs::write(&path, "resources: # a mapping, then 50 MB of NULs\n").unwrap();
            let big = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
            big.set_len(50 << 20).unwrap();
        });
        let base = super::alloc::start_peak();
        let (loaded, diags) = load(&dir);
        let peak = super::alloc::peak() - base;
        assert!(peak < MAX_DOCUMENT_BYTES / 4, "{file}: {peak} bytes held");
        let found: Vec<_> = diags.iter().filter(|d| d.code == code).collect();
        assert_eq!(found.len(), 1, "{file}: {diags:?}");
        assert_eq!(
            found[0].message,
            format!("{format} file is too large ({} bytes)", 50 << 20)
        );
        let shown = render_all_human(&diags.iter().cloned().collect::<Vec<_>>(), &loaded.sm);
        assert!(
            shown.contains("resources: # a mapping, then 50 MB of NULs"),
            "{shown}"
        );
    }
}
