//! Which names are settings: every key of [`Config`] (read off its defaults, so a new field is
//! known the moment it exists), the `CONFAB_*` variables that are not settings but belong to
//! the command line or the test and build tooling, and "did you mean" hints for the rest.

use super::Config;

/// `CONFAB_*` variables that are not settings, with who reads them. They are neither merged
/// into the configuration nor reported as unknown.
pub const OTHER_VARIABLES: &[(&str, &str)] = &[
    ("CONFAB_CONFIG", "the configuration file (`--config`)"),
    (
        "CONFAB_BIN",
        "the release binary the JavaScript suites and scripts/ drive",
    ),
    (
        "CONFAB_CLUSTER_NODE_BIN",
        "the cluster_node example the interop suite drives",
    ),
    (
        "CONFAB_BINARY",
        "docker/Dockerfile: build or prebuilt binary",
    ),
    (
        "CONFAB_DOCKER_CACHE",
        "scripts/test-image: the imported base image cache",
    ),
    (
        "CONFAB_TOOLS_VENV",
        "scripts/python-tools: the tools' virtualenv",
    ),
    ("CONFAB_TEST_POSTGRES_URL", "tests: the PostgreSQL server"),
    ("CONFAB_TEST_REDIS_URL", "tests: the Redis server"),
    (
        "CONFAB_TEST_PGBOUNCER_URL",
        "tests: a PgBouncer in transaction mode (scripts/pgbouncer)",
    ),
    ("CONFAB_TEST_PG_HOST", "tests/support: the PostgreSQL host"),
    ("CONFAB_TEST_PG_PORT", "tests/support: the PostgreSQL port"),
    ("CONFAB_TEST_PG_USER", "tests/support: the PostgreSQL user"),
    (
        "CONFAB_TEST_EXTENDED",
        "scripts/test: the longer fuzzing and fault runs",
    ),
    (
        "CONFAB_FUZZ_TARGET_DIR",
        "scripts/fuzz: the fuzzers' target dir",
    ),
    (
        "CONFAB_WRITE_TS",
        "confab-domain's wire_ts test: rewrite wire.ts",
    ),
    (
        "CONFAB_AUTHZ_PRINT",
        "the authorization matrix test: print the table",
    ),
    ("CONFAB_SCHEMATHESIS_SEED", "the Schemathesis run: its seed"),
    (
        "CONFAB_SCHEMATHESIS_MAX_EXAMPLES",
        "the Schemathesis run: examples per operation",
    ),
    (
        "CONFAB_SCHEMATHESIS_MAX_TIME",
        "the Schemathesis run: its time budget",
    ),
    (
        "CONFAB_SCREENSHOTS",
        "the Nuxt browser tests: where screenshots go",
    ),
];

/// The prefix of every setting's environment variable.
pub const PREFIX: &str = "CONFAB_";

/// Whether `name` (a full variable name, any case) is one of [`OTHER_VARIABLES`].
pub fn is_other_variable(name: &str) -> bool {
    OTHER_VARIABLES
        .iter()
        .any(|(other, _)| other.eq_ignore_ascii_case(name))
}

/// The configuration's key tree: leaves (settings) and sections (tables), as dotted paths.
#[derive(Debug)]
pub struct Known {
    /// Defaults as JSON: sections are objects, unset options `null`, lists arrays.
    pub defaults: serde_json::Value,
    /// Dotted paths of every setting (leaf), e.g. `limits.messages_per_minute`.
    pub settings: Vec<String>,
    /// Dotted paths of every section (table), e.g. `files.s3`.
    pub sections: Vec<String>,
}

impl Known {
    /// The key tree of [`Config::default`].
    pub fn new() -> Self {
        let defaults = serde_json::to_value(Config::default()).unwrap_or_default();
        let mut known = Self {
            defaults: serde_json::Value::Null,
            settings: Vec::new(),
            sections: Vec::new(),
        };
        known.walk(&defaults, "");
        known.defaults = defaults;
        known
    }

    fn walk(&mut self, value: &serde_json::Value, prefix: &str) {
        let serde_json::Value::Object(fields) = value else {
            return;
        };
        for (key, value) in fields {
            let path = join(prefix, key);
            if value.is_object() {
                self.walk(value, &path);
                self.sections.push(path);
            } else {
                self.settings.push(path);
            }
        }
    }

    /// Whether `path` (dotted) names a setting.
    pub fn is_setting(&self, path: &str) -> bool {
        self.settings.iter().any(|s| s == path)
    }

    /// Whether `path` (dotted) names a section.
    pub fn is_section(&self, path: &str) -> bool {
        self.sections.iter().any(|s| s == path)
    }

    /// The default value at a dotted path, if that path is known.
    pub fn default_at(&self, path: &[String]) -> Option<&serde_json::Value> {
        path.iter()
            .try_fold(&self.defaults, |value, key| value.get(key.as_str()))
    }

    /// Settings under a section, for "set one of" messages.
    pub fn settings_under(&self, section: &str) -> Vec<&str> {
        let prefix = format!("{section}.");
        self.settings
            .iter()
            .filter(|s| s.starts_with(&prefix))
            .map(String::as_str)
            .collect()
    }

    /// The closest variable name to an unknown `CONFAB_*` one.
    pub fn suggest_variable(&self, name: &str) -> Option<String> {
        let candidates = self
            .settings
            .iter()
            .map(|s| env_name(s))
            .chain(OTHER_VARIABLES.iter().map(|(n, _)| (*n).to_owned()));
        let upper = name.to_ascii_uppercase();
        let wanted = upper.strip_prefix(PREFIX).unwrap_or(&upper);
        closest(wanted, candidates, |c| {
            c.strip_prefix(PREFIX).unwrap_or(c).to_owned()
        })
    }

    /// The closest setting or section to an unknown `confab.toml` key (a dotted path).
    pub fn suggest_key(&self, path: &str) -> Option<String> {
        // Not the table the key is in (`limits` for `limits.foo`): that is no typo's fix.
        let candidates = self
            .settings
            .iter()
            .chain(&self.sections)
            .filter(|c| !path.starts_with(&format!("{c}.")))
            .cloned();
        if let Some(found) = closest(path, candidates.clone(), Clone::clone) {
            return Some(found);
        }
        // A setting in the wrong table (`messages_per_minute` at the top level): same name.
        let last = path.rsplit('.').next().unwrap_or(path);
        candidates
            .into_iter()
            .find(|c| c.rsplit('.').next() == Some(last))
    }
}

impl Default for Known {
    fn default() -> Self {
        Self::new()
    }
}

/// `limits.messages_per_minute` -> `CONFAB_LIMITS__MESSAGES_PER_MINUTE`.
pub fn env_name(path: &str) -> String {
    format!("{PREFIX}{}", path.replace('.', "__").to_ascii_uppercase())
}

/// `CONFAB_LIMITS__MESSAGES_PER_MINUTE` (any case) -> `limits.messages_per_minute`, the key
/// path the variable sets; `None` without the prefix.
pub fn env_path(name: &str) -> Option<String> {
    let prefix = name.get(..PREFIX.len())?;
    if !prefix.eq_ignore_ascii_case(PREFIX) {
        return None;
    }
    Some(name[PREFIX.len()..].to_ascii_lowercase().replace("__", "."))
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// The candidate nearest to `wanted` by edit distance (compared through `key`), when near
/// enough to be a typo: at most a quarter of the name's length, plus one.
fn closest<I, F>(wanted: &str, candidates: I, key: F) -> Option<String>
where
    I: IntoIterator<Item = String>,
    F: Fn(&String) -> String,
{
    let budget = 1 + wanted.chars().count() / 4;
    candidates
        .into_iter()
        .map(|c| (distance(wanted, &key(&c)), c))
        .filter(|(d, _)| *d <= budget)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters, ASCII case ignored.
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().map(|c| c.to_ascii_lowercase()).collect();
    let b: Vec<char> = b.chars().map(|c| c.to_ascii_lowercase()).collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_insertions_deletions_and_substitutions() {
        assert_eq!(distance("", ""), 0);
        assert_eq!(distance("bind", "bind"), 0);
        assert_eq!(distance("bind", "BIND"), 0);
        assert_eq!(distance("message", "messages"), 1);
        assert_eq!(distance("bnid", "bind"), 2);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
    }

    #[test]
    fn the_key_tree_holds_every_setting_and_section() {
        let known = Known::new();
        for setting in [
            "bind",
            "database_url",
            "jwt_secret",
            "cors_origins",
            "limits.messages_per_minute",
            "features.messaging.enabled_users",
            "files.s3.secret_access_key",
            "redis.node_dead_after",
        ] {
            assert!(known.is_setting(setting), "{setting}");
        }
        for section in ["limits", "features", "features.messaging", "files.s3"] {
            assert!(known.is_section(section), "{section}");
            assert!(!known.is_setting(section), "{section}");
        }
        assert!(!known.is_setting("limits.message_per_minute"));
    }

    #[test]
    fn a_missing_letter_in_a_variable_gets_the_right_name() {
        let known = Known::new();
        assert_eq!(
            known
                .suggest_variable("CONFAB_LIMITS__MESSAGE_PER_MINUTE")
                .as_deref(),
            Some("CONFAB_LIMITS__MESSAGES_PER_MINUTE")
        );
        // One underscore where nesting needs two; two where the name has one.
        assert_eq!(
            known
                .suggest_variable("CONFAB_LIMITS_MESSAGES_PER_MINUTE")
                .as_deref(),
            Some("CONFAB_LIMITS__MESSAGES_PER_MINUTE")
        );
        assert_eq!(
            known.suggest_variable("CONFAB_DATABASE__URL").as_deref(),
            Some("CONFAB_DATABASE_URL")
        );
        assert_eq!(
            known.suggest_variable("confab_jwt_secrte").as_deref(),
            Some("CONFAB_JWT_SECRET")
        );
    }

    #[test]
    fn a_name_like_nothing_gets_no_hint() {
        let known = Known::new();
        assert_eq!(known.suggest_variable("CONFAB_FOO"), None);
        assert_eq!(known.suggest_variable("CONFAB_COMPLETELY_DIFFERENT"), None);
        assert_eq!(known.suggest_key("zzz"), None);
        // Never the table the unknown key sits in.
        assert_eq!(known.suggest_key("features.messaging.foo"), None);
    }

    #[test]
    fn a_toml_key_gets_the_nearest_path_or_the_same_name_elsewhere() {
        let known = Known::new();
        assert_eq!(
            known.suggest_key("limits.message_per_minute").as_deref(),
            Some("limits.messages_per_minute")
        );
        assert_eq!(known.suggest_key("limit").as_deref(), Some("limits"));
        assert_eq!(
            known.suggest_key("reports_per_hour").as_deref(),
            Some("limits.reports_per_hour")
        );
    }

    #[test]
    fn variable_names_and_key_paths_map_both_ways() {
        assert_eq!(
            env_name("features.messaging.enabled"),
            "CONFAB_FEATURES__MESSAGING__ENABLED"
        );
        assert_eq!(
            env_path("CONFAB_FEATURES__MESSAGING__ENABLED").as_deref(),
            Some("features.messaging.enabled")
        );
        assert_eq!(env_path("confab_bind").as_deref(), Some("bind"));
        assert_eq!(env_path("RUST_LOG"), None);
        assert!(is_other_variable("CONFAB_BIN"));
        assert!(is_other_variable("confab_config"));
        assert!(!is_other_variable("CONFAB_BIND"));
    }
}
