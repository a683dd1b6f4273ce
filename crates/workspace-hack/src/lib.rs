//! No code. This crate only lists dependency features (see its Cargo.toml) so that a plain
//! `cargo build` or `cargo run` at the workspace root resolves the same features as the test
//! build and reuses its compiled artifacts. Nothing may depend on it.
