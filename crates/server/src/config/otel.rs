//! The standard OpenTelemetry variables confab honours besides `OTEL_EXPORTER_OTLP_ENDPOINT`:
//! `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER` and
//! `OTEL_TRACES_SAMPLER_ARG`, as the OpenTelemetry specification defines them. They have no
//! `confab.toml` key; they are read here, with the rest of the configuration, and a bad value
//! stops the node like any other bad setting.

use super::Problem;

/// What the four variables say, defaults filled in.
#[derive(Clone, Debug, PartialEq)]
pub struct OtelSettings {
    /// `OTEL_SERVICE_NAME`, else `service.name` in `OTEL_RESOURCE_ATTRIBUTES`, else `confab`.
    pub service_name: String,
    /// `OTEL_RESOURCE_ATTRIBUTES`: `key=value` pairs, comma-separated, values percent-decoded.
    pub resource_attributes: Vec<(String, String)>,
    /// `OTEL_TRACES_SAMPLER` (+ `OTEL_TRACES_SAMPLER_ARG`); default `parentbased_always_on`.
    pub sampler: Sampler,
}

impl Default for OtelSettings {
    fn default() -> Self {
        Self {
            service_name: "confab".into(),
            resource_attributes: Vec::new(),
            sampler: Sampler::ParentBasedAlwaysOn,
        }
    }
}

/// The specification's built-in samplers (`jaeger_remote` and `xray` need services confab
/// does not talk to, and are refused).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Sampler {
    /// `always_on`: record every trace.
    AlwaysOn,
    /// `always_off`: record no trace.
    AlwaysOff,
    /// `traceidratio`: record this share (0.0..=1.0) of traces, by trace id.
    TraceIdRatio(f64),
    /// `parentbased_always_on` (the default): follow the parent's decision; record root spans.
    ParentBasedAlwaysOn,
    /// `parentbased_always_off`: follow the parent's decision; drop root spans.
    ParentBasedAlwaysOff,
    /// `parentbased_traceidratio`: follow the parent's decision; record this share (0.0..=1.0) of
    /// root spans.
    ParentBasedTraceIdRatio(f64),
}

const SAMPLERS: &str = "always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio";

/// Reads the variables through `var` (unset and empty are the same), listing every bad one.
pub fn from_env<'a>(var: impl Fn(&str) -> Option<&'a str>) -> (OtelSettings, Vec<Problem>) {
    let var = |name: &str| var(name).map(str::trim).filter(|v| !v.is_empty());
    let mut problems = Vec::new();
    let mut settings = OtelSettings::default();
    if let Some(text) = var("OTEL_RESOURCE_ATTRIBUTES") {
        match resource_attributes(text) {
            Ok(attributes) => settings.resource_attributes = attributes,
            Err(message) => problems.push(problem("OTEL_RESOURCE_ATTRIBUTES", message)),
        }
    }
    if let Some((_, name)) = settings
        .resource_attributes
        .iter()
        .find(|(key, _)| key == "service.name")
    {
        settings.service_name = name.clone();
    }
    if let Some(name) = var("OTEL_SERVICE_NAME") {
        settings.service_name = name.to_owned();
    }
    let ratio = match var("OTEL_TRACES_SAMPLER_ARG").map(|arg| (arg, arg.parse::<f64>())) {
        None => Ok(1.0),
        Some((_, Ok(ratio))) if (0.0..=1.0).contains(&ratio) => Ok(ratio),
        Some((arg, _)) => Err(problem(
            "OTEL_TRACES_SAMPLER_ARG",
            format!("`{arg}` is not a sampling ratio: a number from 0.0 to 1.0"),
        )),
    };
    let sampler = match var("OTEL_TRACES_SAMPLER") {
        None | Some("parentbased_always_on") => Ok(Sampler::ParentBasedAlwaysOn),
        Some("always_on") => Ok(Sampler::AlwaysOn),
        Some("always_off") => Ok(Sampler::AlwaysOff),
        Some("parentbased_always_off") => Ok(Sampler::ParentBasedAlwaysOff),
        Some("traceidratio") => ratio.map(Sampler::TraceIdRatio),
        Some("parentbased_traceidratio") => ratio.map(Sampler::ParentBasedTraceIdRatio),
        Some(other) => Err(problem(
            "OTEL_TRACES_SAMPLER",
            format!(
                "unknown sampler `{}`; expected one of {SAMPLERS}",
                confab_domain::logs::clip(other)
            ),
        )),
    };
    match sampler {
        Ok(sampler) => settings.sampler = sampler,
        Err(p) => problems.push(p),
    }
    (settings, problems)
}

fn problem(origin: &str, message: impl Into<String>) -> Problem {
    Problem {
        origin: origin.to_owned(),
        message: message.into(),
    }
}

/// `key1=value1,key2=value2` with percent-encoded values (the W3C Baggage octet rules).
fn resource_attributes(text: &str) -> Result<Vec<(String, String)>, String> {
    text.split(',')
        .filter(|pair| !pair.trim().is_empty())
        .map(|pair| {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("`{}` is not key=value", confab_domain::logs::clip(pair)))?;
            let key = key.trim();
            if key.is_empty() {
                return Err(format!(
                    "`{}` has an empty key",
                    confab_domain::logs::clip(pair)
                ));
            }
            Ok((key.to_owned(), percent_decode(value.trim())?))
        })
        .collect()
}

fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    format!(
                        "`{}` has a bad percent escape",
                        confab_domain::logs::clip(text)
                    )
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| {
        format!(
            "`{}` does not decode to UTF-8",
            confab_domain::logs::clip(text)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(vars: &[(&str, &str)]) -> (OtelSettings, Vec<Problem>) {
        from_env(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| *v))
    }

    #[test]
    fn nothing_set_means_confab_sampled_after_its_parent() {
        let (settings, problems) = read(&[]);
        assert!(problems.is_empty());
        assert_eq!(settings, OtelSettings::default());
        assert_eq!(settings.service_name, "confab");
        assert_eq!(settings.sampler, Sampler::ParentBasedAlwaysOn);
    }

    #[test]
    fn the_service_name_comes_from_the_variable_before_the_attributes() {
        let (settings, _) = read(&[(
            "OTEL_RESOURCE_ATTRIBUTES",
            "service.name=chat,deployment.environment=prod%20eu",
        )]);
        assert_eq!(settings.service_name, "chat");
        assert_eq!(
            settings.resource_attributes[1],
            ("deployment.environment".into(), "prod eu".into())
        );
        let (settings, _) = read(&[
            ("OTEL_RESOURCE_ATTRIBUTES", "service.name=chat"),
            ("OTEL_SERVICE_NAME", "chat-eu"),
        ]);
        assert_eq!(settings.service_name, "chat-eu");
    }

    #[test]
    fn ratio_samplers_take_their_argument() {
        let (settings, problems) = read(&[
            ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0.25"),
        ]);
        assert!(problems.is_empty());
        assert_eq!(settings.sampler, Sampler::ParentBasedTraceIdRatio(0.25));
        let (settings, _) = read(&[("OTEL_TRACES_SAMPLER", "traceidratio")]);
        assert_eq!(settings.sampler, Sampler::TraceIdRatio(1.0));
    }

    #[test]
    fn bad_values_are_refused_by_name() {
        let (_, problems) = read(&[
            ("OTEL_TRACES_SAMPLER", "sometimes"),
            ("OTEL_RESOURCE_ATTRIBUTES", "no-equals-sign"),
        ]);
        let origins: Vec<&str> = problems.iter().map(|p| p.origin.as_str()).collect();
        assert_eq!(
            origins,
            ["OTEL_RESOURCE_ATTRIBUTES", "OTEL_TRACES_SAMPLER"],
            "{problems:?}"
        );
        let (_, problems) = read(&[
            ("OTEL_TRACES_SAMPLER", "traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "2"),
        ]);
        assert_eq!(problems[0].origin, "OTEL_TRACES_SAMPLER_ARG");
    }
}
