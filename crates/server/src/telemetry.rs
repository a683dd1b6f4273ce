//! Logs: human-readable text by default, JSON lines with `CONFAB_LOG_FORMAT=json`;
//! the filter comes from `RUST_LOG`, else the configured `log_filter`.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::config::{Config, LogFormat};

/// Installs the global subscriber. Call once, first thing in `main`.
pub fn init(config: &Config, rust_log: Option<String>) {
    let filter = rust_log
        .and_then(|f| EnvFilter::try_new(f).ok())
        .or_else(|| EnvFilter::try_new(&config.log_filter).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    // sqlx logs every statement at info: keep it to slow ones and warnings.
    let filter = filter.add_directive("sqlx=warn".parse().unwrap_or_default());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_span_events(FmtSpan::NONE)
        .with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .init(),
        LogFormat::Text => builder.init(),
    }
    if let Some(endpoint) = &config.otlp_endpoint {
        tracing::warn!(%endpoint, "OTEL_EXPORTER_OTLP_ENDPOINT is set, but this build exports no traces; logs only");
    }
}
