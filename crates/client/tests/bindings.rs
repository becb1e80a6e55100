//! The committed TypeScript bindings of the engine's UI types equal what the Rust types
//! generate. When this fails, regenerate:
//! `UPDATE_BINDINGS=1 cargo test -p frontdesk-client --test bindings`.

use std::path::PathBuf;

#[test]
fn engine_bindings_are_current() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/backend/engine-bindings.ts");
    let generated = frontdesk_client::typescript_bindings();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, &generated).expect("write bindings");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is out of date with the Rust types: run `UPDATE_BINDINGS=1 cargo test -p frontdesk-client --test bindings` and commit the result",
        path.display()
    );
}
