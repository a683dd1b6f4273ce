//! `confab`: one messaging node (`serve`), migrations (`migrate`), development tokens
//! (`token`).

use anyhow::Context;
use clap::Parser;
use confab_server::cli::{Cli, Command};
use confab_server::{App, Config, app, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::load(cli.config.as_deref())?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let _telemetry = telemetry::init(&config, std::env::var("RUST_LOG").ok());
            let app = App::build(config).await?;
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
    }
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
