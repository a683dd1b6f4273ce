//! `confab`: one messaging node (`serve`), migrations (`migrate`), development tokens
//! (`token`), container healthchecks (`healthcheck`).

use anyhow::Context;
use clap::Parser;
use confab_server::cli::{Cli, Command};
use confab_server::{App, Config, app, healthcheck, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::load(cli.config.as_deref())?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let _telemetry = telemetry::init(&config, std::env::var("RUST_LOG").ok());
            let app = App::build(config).await?;
            reload_flags_on_sighup(app.services().clone(), cli.config.clone());
            app.run(shutdown_signal()).await
        }
        Command::Migrate => {
            let _telemetry = telemetry::init(&config, std::env::var("RUST_LOG").ok());
            let database = app::open_database(&config).await?;
            database.migrate().await.context("applying migrations")?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Token {
            user,
            name,
            email,
            admin,
            ttl,
        } => {
            let secret = app::hs256_secret(&config)?
                .context("no HS256 secret: only CONFAB_JWKS_URL is configured, so confab cannot sign tokens; set CONFAB_JWT_SECRET")?;
            let claims = confab_http::auth::claims_for(user, name, email, admin, ttl);
            let token =
                confab_http::auth::mint_hs256(&secret, &claims).map_err(anyhow::Error::msg)?;
            println!("{token}");
            Ok(())
        }
        Command::Healthcheck { url, timeout } => {
            let url = healthcheck::readyz_url(config.bind, url.as_deref())?;
            match healthcheck::check(url, timeout).await {
                Ok(ready) => {
                    println!("{ready}");
                    Ok(())
                }
                Err(e) => {
                    eprintln!("confab healthcheck: unhealthy: {e:#}");
                    std::process::exit(1)
                }
            }
        }
    }
}

/// SIGHUP re-reads the configuration and applies the messaging feature flags
/// (`CONFAB_FEATURES__MESSAGING__*`, or `[features.messaging]` in `confab.toml`) without a
/// restart. Other settings need a restart.
fn reload_flags_on_sighup(
    services: std::sync::Arc<confab_domain::Services>,
    path: Option<std::path::PathBuf>,
) {
    #[cfg(unix)]
    tokio::spawn(async move {
        let Ok(mut hangups) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            tracing::warn!("cannot listen for SIGHUP; feature flags reload needs a restart");
            return;
        };
        while hangups.recv().await.is_some() {
            match Config::load(path.as_deref()) {
                Ok(config) => {
                    let flags = config.features.messaging.flags();
                    tracing::info!(?flags, "SIGHUP: messaging feature flags reloaded");
                    services.set_flags(flags);
                }
                Err(e) => tracing::error!(error = %e, "SIGHUP: configuration not reloaded"),
            }
        }
    });
    #[cfg(not(unix))]
    let _ = (services, path);
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
