//! `confab.example.toml` at the repository root holds every setting with its default and a
//! comment; these tests fail as soon as it and [`Config`] drift apart.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::Config;
use super::check::{Sources, check};
use super::keys::Known;

fn example_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../confab.example.toml")
}

/// Every `key = value` line, commented out or not, as (dotted path, commented, line index).
fn setting_lines(text: &str) -> Vec<(String, bool, usize)> {
    let mut table = String::new();
    let mut out = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            table = name.to_owned();
            continue;
        }
        let (commented, body) = match line.strip_prefix("# ") {
            Some(body) => (true, body),
            None => (false, line),
        };
        let Some((key, _)) = body.split_once(" = ") else {
            continue;
        };
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            continue;
        }
        let path = if table.is_empty() {
            key.to_owned()
        } else {
            format!("{table}.{key}")
        };
        out.push((path, commented, index));
    }
    out
}

#[test]
fn the_example_holds_every_setting_once_with_a_comment_above_it() {
    let text = std::fs::read_to_string(example_path()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let settings = setting_lines(&text);
    let known = Known::new();
    let in_file: BTreeSet<&str> = settings.iter().map(|(p, _, _)| p.as_str()).collect();
    let in_config: BTreeSet<&str> = known.settings.iter().map(String::as_str).collect();
    assert_eq!(
        in_file.len(),
        settings.len(),
        "a setting appears twice in confab.example.toml"
    );
    assert_eq!(
        in_file.difference(&in_config).collect::<Vec<_>>(),
        Vec::<&&str>::new(),
        "confab.example.toml has settings the configuration does not know"
    );
    assert_eq!(
        in_config.difference(&in_file).collect::<Vec<_>>(),
        Vec::<&&str>::new(),
        "settings missing from confab.example.toml"
    );
    for (path, commented, index) in &settings {
        // Unset-by-default settings are shown commented out; the rest are live lines.
        let unset = known
            .default_at(&path.split('.').map(str::to_owned).collect::<Vec<_>>())
            .is_some_and(serde_json::Value::is_null);
        assert_eq!(
            *commented, unset,
            "{path}: commented out in confab.example.toml iff it is unset by default"
        );
        let above = lines[index - 1];
        assert!(
            above.starts_with("# ") && setting_lines(above).is_empty(),
            "{path}: no comment line above it in confab.example.toml"
        );
    }
}

#[test]
fn the_example_is_accepted_and_its_values_are_the_defaults() {
    let checked = check(&Sources {
        file: Some(example_path()),
        env: Vec::new(),
    });
    assert_eq!(checked.problems, Vec::new());
    assert!(checked.warnings.is_empty(), "{:?}", checked.warnings);
    let loaded = serde_json::to_value(checked.config.unwrap()).unwrap();
    let defaults = serde_json::to_value(Config::default()).unwrap();
    assert_eq!(
        loaded, defaults,
        "a value in confab.example.toml is not the default"
    );
}

#[test]
fn the_examples_of_unset_settings_are_valid_values() {
    let text = std::fs::read_to_string(example_path()).unwrap();
    let uncommented: String = text
        .lines()
        .map(|line| match setting_lines(line).first() {
            Some((_, true, _)) => line.trim_start_matches("# "),
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("all.toml");
    std::fs::write(&file, uncommented).unwrap();
    let checked = check(&Sources {
        file: Some(file),
        env: Vec::new(),
    });
    assert_eq!(checked.problems, Vec::new());
    let config = checked.config.unwrap();
    assert!(config.jwt_secret.is_some());
    assert!(config.files.s3.secret_access_key.is_some());
    assert_eq!(config.files.s3.allow_http, Some(false));
}
