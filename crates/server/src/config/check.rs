//! Loading with every problem reported: unknown `CONFAB_*` variables and `confab.toml` keys
//! (with a "did you mean" hint), values of the wrong type, and a `RUST_LOG` that does not
//! parse. `confab config check` prints the lot; every other command refuses to start on any
//! problem.

use std::fmt;
use std::path::{Path, PathBuf};

use figment::providers::{Format, Serialized, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider, Source};

use super::Config;
use super::keys::{self, Known};

/// One thing wrong with the configuration, named by where it was set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// `CONFAB_LIMITS__X`, or `confab.toml: limits.x`.
    pub origin: String,
    /// What is wrong, in words (e.g. the expected type, or a "did you mean" hint).
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.origin, self.message)
    }
}

/// Every problem found, for `confab config check` and start-up errors.
#[derive(Debug)]
pub struct Invalid(pub Vec<Problem>);

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.0.len();
        write!(
            f,
            "invalid configuration ({count} problem{}):",
            if count == 1 { "" } else { "s" }
        )?;
        for problem in &self.0 {
            write!(f, "\n  {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Invalid {}

/// What a configuration check found.
#[derive(Debug)]
pub struct Checked {
    /// The effective configuration, when there was no problem.
    pub config: Option<Config>,
    /// Every fatal problem found; empty exactly when `config` is `Some`.
    pub problems: Vec<Problem>,
    /// Not fatal: a `RUST_LOG` that does not parse (the configured filter is used instead).
    pub warnings: Vec<String>,
}

/// The inputs of a check: the file and the process environment.
#[derive(Debug, Default)]
pub struct Sources {
    /// `--config`/`CONFAB_CONFIG`; `None`: `confab.toml` when present.
    pub file: Option<PathBuf>,
    /// Environment variables (all of them; only `CONFAB_*`, `OTEL_EXPORTER_OTLP_ENDPOINT`, the
    /// other `OTEL_*` variables of `super::otel` and `RUST_LOG` are read).
    pub env: Vec<(String, String)>,
}

impl Sources {
    /// The configuration file `file` (or `confab.toml` when `None`) and every variable of this
    /// process's environment.
    #[expect(
        clippy::disallowed_methods,
        reason = "the config module is the one place that reads the process environment"
    )]
    pub fn from_process(file: Option<&Path>) -> Self {
        Self {
            file: file.map(Path::to_path_buf),
            env: std::env::vars_os()
                .map(|(k, v)| {
                    (
                        k.to_string_lossy().into_owned(),
                        v.to_string_lossy().into_owned(),
                    )
                })
                .collect(),
        }
    }

    fn var(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Checks `sources` against the configuration's keys and types.
pub fn check(sources: &Sources) -> Checked {
    let known = Known::new();
    let mut problems = Vec::new();
    let toml = match &sources.file {
        Some(path) if !path.exists() => {
            problems.push(Problem {
                origin: path.display().to_string(),
                message: "the configuration file does not exist".into(),
            });
            None
        }
        Some(path) => Some(Toml::file_exact(path)),
        None => Some(Toml::file("confab.toml")),
    };
    if let Some(toml) = &toml {
        problems.extend(unknown_keys(&known, toml));
    }
    problems.extend(unknown_variables(&known, &sources.env));
    let mut figment = Figment::new();
    if let Some(toml) = toml {
        figment = figment.merge(toml);
    }
    figment = figment.merge(EnvSettings::new(&known, &sources.env));
    if let Some(endpoint) = sources.var("OTEL_EXPORTER_OTLP_ENDPOINT") {
        figment = figment.merge(Serialized::default("otlp_endpoint", endpoint));
    }
    let (otel, otel_problems) = super::otel::from_env(|name| sources.var(name));
    problems.extend(otel_problems);
    let config = extract(&known, figment, &mut problems).map(|mut config| {
        config.otel = otel;
        // `CONFAB_DATABASE_URL=` (set but empty, as compose files do) means the default.
        if config
            .database_url
            .as_deref()
            .is_some_and(|u| u.trim().is_empty())
        {
            config.database_url = None;
        }
        config
    });
    let config = config.filter(|config| {
        problems.extend(invalid_settings(config));
        problems.is_empty()
    });
    let mut warnings = Vec::new();
    if let Some(filter) = sources.var("RUST_LOG")
        && let Err(e) = tracing_subscriber::EnvFilter::try_new(filter)
    {
        warnings.push(format!(
            "RUST_LOG={filter} is not a valid log filter ({e}); it is ignored and log_filter is used"
        ));
    }
    Checked {
        config: if problems.is_empty() { config } else { None },
        problems,
        warnings,
    }
}

/// Keys of the file that are no setting (at any depth).
fn unknown_keys(known: &Known, toml: &figment::providers::Data<Toml>) -> Vec<Problem> {
    let file = toml
        .metadata()
        .source
        .as_ref()
        .and_then(Source::file_path)
        .map_or_else(|| "confab.toml".to_owned(), |p| p.display().to_string());
    match toml.data() {
        Ok(data) => {
            let mut problems = Vec::new();
            for dict in data.values() {
                walk_file(known, &file, dict, "", &mut problems);
            }
            problems
        }
        Err(e) => vec![Problem {
            origin: file,
            message: format!("not valid TOML: {}", e.kind),
        }],
    }
}

fn walk_file(known: &Known, file: &str, dict: &Dict, prefix: &str, out: &mut Vec<Problem>) {
    for (key, value) in dict {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        if known.is_setting(&path) {
            continue;
        }
        if known.is_section(&path) {
            if let Value::Dict(_, inner) = value {
                walk_file(known, file, inner, &path, out);
            }
            continue;
        }
        let hint = match known.suggest_key(&path) {
            Some(found) => format!("; did you mean `{found}`?"),
            None => String::new(),
        };
        out.push(Problem {
            origin: format!("{file}: {path}"),
            message: format!("unknown key{hint}"),
        });
    }
}

/// `CONFAB_*` variables that name no setting and are not one of the tools' own variables.
fn unknown_variables(known: &Known, env: &[(String, String)]) -> Vec<Problem> {
    let mut problems: Vec<Problem> = env
        .iter()
        .filter(|(name, _)| !keys::is_other_variable(name))
        .filter_map(|(name, _)| {
            let path = keys::env_path(name)?;
            if known.is_setting(&path) {
                return None;
            }
            let message = if known.is_section(&path) {
                let examples: Vec<String> = known
                    .settings_under(&path)
                    .into_iter()
                    .take(2)
                    .map(keys::env_name)
                    .collect();
                format!(
                    "names a section, not a setting: set its settings one by one (e.g. `{}`)",
                    examples.join("`, `")
                )
            } else {
                match known.suggest_variable(name) {
                    Some(found) => format!("unknown variable; did you mean `{found}`?"),
                    None => "unknown variable (every setting is listed in confab.example.toml)"
                        .to_owned(),
                }
            };
            Some(Problem {
                origin: name.clone(),
                message,
            })
        })
        .collect();
    problems.sort_by(|a, b| a.origin.cmp(&b.origin));
    problems
}

/// Extracts the configuration; on a bad value, records it, puts the default in its place and
/// tries again, so one run reports every bad value.
fn extract(known: &Known, mut figment: Figment, problems: &mut Vec<Problem>) -> Option<Config> {
    for _ in 0..64 {
        let error = match figment.extract::<Config>() {
            Ok(config) => return Some(config),
            Err(error) => error,
        };
        let mut replaced = false;
        for error in error {
            problems.push(value_problem(&error));
            // The deepest known path of the error, with its default.
            let fallback = (1..=error.path.len())
                .rev()
                .find_map(|n| Some((&error.path[..n], known.default_at(&error.path[..n])?)));
            if let Some((path, default)) = fallback {
                figment = figment.merge(Serialized::default(&path.join("."), default.clone()));
                replaced = true;
            }
        }
        if !replaced {
            return None;
        }
    }
    None
}

fn value_problem(error: &figment::Error) -> Problem {
    let path = error.path.join(".");
    let from_env = error
        .metadata
        .as_ref()
        .is_some_and(|m| m.name == EnvSettings::NAME);
    let file = error
        .metadata
        .as_ref()
        .and_then(|m| m.source.as_ref())
        .and_then(Source::file_path);
    let origin = match file {
        _ if from_env => keys::env_name(&path),
        Some(file) => format!("{}: {path}", file.display()),
        None if path == "otlp_endpoint" => "OTEL_EXPORTER_OTLP_ENDPOINT".to_owned(),
        None => path,
    };
    Problem {
        origin,
        message: describe(&error.kind),
    }
}

/// A short description of a bad value, naming the expected type in words.
fn describe(kind: &figment::error::Kind) -> String {
    use figment::error::Kind;
    match kind {
        Kind::InvalidType(actual, expected) | Kind::InvalidValue(actual, expected) => {
            format!("expected {}, found {actual}", expected_words(expected))
        }
        Kind::UnknownVariant(actual, expected) => format!(
            "`{actual}` is not one of {}",
            expected
                .iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Kind::Message(message) if message.contains("socket address") => {
            format!("expected an address such as `0.0.0.0:3000` ({message})")
        }
        Kind::Message(message) => format!("invalid value: {message}"),
        other => other.to_string(),
    }
}

fn expected_words(expected: &str) -> String {
    let bits = match expected {
        "u8" => 8,
        "u16" => 16,
        "u32" => 32,
        "u64" | "usize" => 64,
        "a boolean" => return "`true` or `false`".into(),
        "socket address" => return "an address such as `0.0.0.0:3000`".into(),
        "a duration" => return "a duration such as `30s`, `5m` or `1h`".into(),
        other => return other.to_owned(),
    };
    let max = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    format!("a whole number from 0 to {max}")
}

/// Checks serde cannot express.
fn invalid_settings(config: &Config) -> Vec<Problem> {
    let mut problems = Vec::new();
    if let Err(e) = tracing_subscriber::EnvFilter::try_new(&config.log_filter) {
        problems.push(Problem {
            origin: "log_filter".into(),
            message: format!("`{}` is not a valid log filter: {e}", config.log_filter),
        });
    }
    let rollout = config.features.messaging.rollout_percentage;
    if rollout > 100 {
        problems.push(Problem {
            origin: "features.messaging.rollout_percentage".into(),
            message: format!("expected a percentage from 0 to 100, found {rollout}"),
        });
    }
    // The URL's form (the CA file is read, and checked against the URL, when the node starts).
    if let Some(url) = config.redis_url.as_deref().filter(|u| !u.trim().is_empty())
        && let Err(e) = confab_redis_link::RedisTarget::parse(url)
    {
        problems.push(Problem {
            origin: "redis_url".into(),
            message: e.to_string(),
        });
    }
    problems
}

/// The `CONFAB_*` settings (not the tools' own variables), nested on `__` and lower-cased as
/// figment's `Env` provider does, from an explicit list so a check can be run on any input.
struct EnvSettings {
    dict: Dict,
}

impl EnvSettings {
    const NAME: &'static str = "`CONFAB_` environment variable(s)";

    fn new(known: &Known, env: &[(String, String)]) -> Self {
        let mut dict = Dict::new();
        for (name, value) in env {
            if keys::is_other_variable(name) {
                continue;
            }
            let Some(path) = keys::env_path(name) else {
                continue;
            };
            // Unknown names are reported on their own; merging them would only add noise.
            if path.split('.').any(str::is_empty) || !known.is_setting(&path) {
                continue;
            }
            let parsed: Value = value
                .parse()
                .unwrap_or_else(|never: std::convert::Infallible| match never {});
            if let Some(nested) = figment::util::nest(&path, parsed).into_dict() {
                dict = merge(dict, nested);
            }
        }
        Self { dict }
    }
}

fn merge(mut into: Dict, from: Dict) -> Dict {
    for (key, value) in from {
        let merged = match (into.remove(&key), value) {
            (Some(Value::Dict(_, a)), Value::Dict(tag, b)) => Value::Dict(tag, merge(a, b)),
            (_, value) => value,
        };
        into.insert(key, merged);
    }
    into
}

impl Provider for EnvSettings {
    fn metadata(&self) -> Metadata {
        Metadata::named(Self::NAME)
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.dict.clone()))
    }
}
