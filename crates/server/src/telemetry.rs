//! Logs and traces. Logs: human-readable text by default, JSON lines with
//! `CONFAB_LOG_FORMAT=json`; the filter comes from `RUST_LOG`, else the configured
//! `log_filter`. Traces: when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, spans (HTTP requests,
//! socket connections and events, and the database statements and Redis requests under them)
//! go to that OTLP collector over HTTP/protobuf, named and sampled by the standard `OTEL_*`
//! variables (`crate::config::otel`). A W3C `traceparent` a caller sends is continued
//! (`crate::access_log`, and the gateway's handshake) through the global propagator set here.

use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::resource::TelemetryResourceDetector;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::config::otel::{self, OtelSettings};
use crate::config::{Config, LogFormat};

/// Keeps the trace exporter alive; dropping it flushes the spans still queued.
#[derive(Debug, Default)]
pub struct Telemetry {
    traces: Option<SdkTracerProvider>,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(provider) = self.traces.take()
            && let Err(e) = provider.shutdown()
        {
            eprintln!("confab: flushing traces failed: {e}");
        }
    }
}

/// The OTLP traces URL for a collector base URL (`http://collector:4318` ->
/// `http://collector:4318/v1/traces`), as the OTLP exporter specification defines it.
pub fn traces_url(endpoint: &str) -> String {
    let base = endpoint.trim_end_matches('/');
    if base.ends_with("/v1/traces") {
        base.to_owned()
    } else {
        format!("{base}/v1/traces")
    }
}

/// Installs the global subscriber. Call once, first thing in `main`.
pub fn init(config: &Config, rust_log: Option<String>) -> Telemetry {
    // A bad `RUST_LOG` is reported (below, once logging works) rather than fatal: the variable
    // is shared with every other Rust tool in the environment, some of which accept another
    // syntax, and a node should not refuse to serve over its log level.
    let (from_env, rejected) = match rust_log.map(|f| (EnvFilter::try_new(&f), f)) {
        Some((Ok(filter), _)) => (Some(filter), None),
        Some((Err(e), text)) => (None, Some((text, e))),
        None => (None, None),
    };
    let filter = from_env
        .or_else(|| EnvFilter::try_new(&config.log_filter).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    // sqlx logs every statement at info: keep it to slow ones and warnings.
    let filter = filter.add_directive("sqlx=warn".parse().unwrap_or_default());
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let logs: Box<dyn Layer<Registry> + Send + Sync> = match config.log_format {
        LogFormat::Json => Box::new(
            tracing_subscriber::fmt::layer()
                .json()
                .flatten_event(true)
                .with_current_span(false)
                .with_writer(std::io::stderr),
        ),
        LogFormat::Text => Box::new(
            tracing_subscriber::fmt::layer()
                .with_ansi(ansi)
                .with_writer(std::io::stderr),
        ),
    };
    let (traces, provider) = match config
        .otlp_endpoint
        .as_deref()
        .filter(|e| !e.trim().is_empty())
    {
        Some(endpoint) => match tracer_provider(endpoint, &config.otel) {
            Ok(provider) => {
                let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("confab"));
                (Some(layer), Some(provider))
            }
            Err(e) => {
                eprintln!(
                    "confab: OTEL_EXPORTER_OTLP_ENDPOINT={endpoint} is unusable, exporting no traces: {e}"
                );
                (None, None)
            }
        },
        None => (None, None),
    };
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let installed = Registry::default()
        .with(logs)
        .with(traces)
        .with(filter)
        .with(no_secrets())
        .try_init();
    if let Err(e) = installed {
        eprintln!("confab: a tracing subscriber was already installed: {e}");
    }
    if let Some((text, error)) = rejected {
        tracing::warn!(
            rust_log = %text,
            %error,
            log_filter = %config.log_filter,
            "RUST_LOG is not a valid log filter; it is ignored and log_filter is used"
        );
    }
    if let Some(endpoint) = &config.otlp_endpoint {
        tracing::info!(endpoint = %traces_url(endpoint), "exporting traces over OTLP/HTTP");
    }
    Telemetry { traces: provider }
}

/// Crates that log what clients send, tokens included, below INFO: socketioxide (each
/// CONNECT packet's `auth`, every packet), engineioxide, and tungstenite (every frame and the
/// upgrade request's `?token=`, through the `log` bridge).
const CLIENT_DATA_LOGGERS: &[&str] = &[
    "socketioxide",
    "engineioxide",
    "tungstenite",
    "tokio_tungstenite",
];

/// Holds [`CLIENT_DATA_LOGGERS`] at INFO whatever `RUST_LOG` says, so tokens (and message
/// contents) reach no log or span at any level.
fn no_secrets<S: tracing::Subscriber>() -> impl Layer<S> {
    tracing_subscriber::filter::filter_fn(|meta| {
        *meta.level() <= tracing::Level::INFO || !from_client_data_logger(meta.target())
    })
}

fn from_client_data_logger(target: &str) -> bool {
    CLIENT_DATA_LOGGERS.iter().any(|name| {
        target
            .strip_prefix(name)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
    })
}

fn tracer_provider(
    endpoint: &str,
    settings: &OtelSettings,
) -> Result<SdkTracerProvider, opentelemetry_otlp::ExporterBuildError> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(traces_url(endpoint))
        .with_timeout(std::time::Duration::from_secs(5))
        .build()?;
    // From an empty resource: the SDK's own detectors would read the environment again.
    let resource = Resource::builder_empty()
        .with_detector(Box::new(TelemetryResourceDetector))
        .with_attributes(
            settings
                .resource_attributes
                .iter()
                .map(|(k, v)| KeyValue::new(k.clone(), v.clone())),
        )
        .with_service_name(settings.service_name.clone())
        .build();
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_sampler(sampler(settings.sampler))
        .with_resource(resource)
        .build())
}

fn sampler(setting: otel::Sampler) -> Sampler {
    match setting {
        otel::Sampler::AlwaysOn => Sampler::AlwaysOn,
        otel::Sampler::AlwaysOff => Sampler::AlwaysOff,
        otel::Sampler::TraceIdRatio(ratio) => Sampler::TraceIdRatioBased(ratio),
        otel::Sampler::ParentBasedAlwaysOn => Sampler::ParentBased(Box::new(Sampler::AlwaysOn)),
        otel::Sampler::ParentBasedAlwaysOff => Sampler::ParentBased(Box::new(Sampler::AlwaysOff)),
        otel::Sampler::ParentBasedTraceIdRatio(ratio) => {
            Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(ratio)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-shot OTLP/HTTP collector: answers every POST with 200 and reports the paths.
    fn collector() -> (String, std::sync::mpsc::Receiver<String>) {
        use std::io::{BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let Some(request) = confab_test_client::http::read_request(&mut reader).unwrap()
                else {
                    continue;
                };
                stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                    .unwrap();
                let _ = tx.send(format!("{} {}", request.path(), request.body.len()));
            }
        });
        (url, rx)
    }

    #[test]
    fn spans_reach_the_otlp_collector() {
        let (url, requests) = collector();
        let config = Config {
            otlp_endpoint: Some(url),
            ..Config::default()
        };
        let telemetry = init(&config, Some("info".into()));
        tracing::info_span!("exported").in_scope(|| tracing::info!("inside a span"));
        drop(telemetry);
        let request = requests
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("the collector got the spans");
        let (path, size) = request.split_once(' ').unwrap();
        assert_eq!(path, "/v1/traces");
        assert!(size.parse::<usize>().unwrap() > 0);
    }

    #[test]
    fn the_traces_path_is_appended_once() {
        assert_eq!(
            traces_url("http://collector:4318"),
            "http://collector:4318/v1/traces"
        );
        assert_eq!(
            traces_url("http://collector:4318/"),
            "http://collector:4318/v1/traces"
        );
        assert_eq!(
            traces_url("http://c:4318/v1/traces"),
            "http://c:4318/v1/traces"
        );
    }
}
