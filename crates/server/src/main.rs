//! `confab`: one messaging node (`serve`), migrations (`migrate`), development tokens
//! (`token`), container healthchecks (`healthcheck`), configuration checks (`config`),
//! imports (`import seed`).

use anyhow::Context;
use clap::Parser;
use confab_server::cli::{Cli, Command, ConfigCommand, ImportCommand};
use confab_server::config::{Sources, check, print, rust_log};
use confab_server::{App, Config, app, healthcheck, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Config { command } = &command {
        std::process::exit(config_command(command, cli.config.as_deref()));
    }
    // Any unknown key or variable, or bad value, stops every command before it does anything.
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(invalid) => {
            eprintln!("confab: {invalid}");
            eprintln!("confab: not starting (`confab config check` validates without starting)");
            std::process::exit(1)
        }
    };
    match command {
        Command::Serve => {
            let _telemetry = telemetry::init(&config, rust_log());
            let app = App::build(config).await?;
            reload_flags_on_sighup(app.services().clone(), cli.config.clone());
            app.run(shutdown_signal()).await
        }
        Command::Migrate => {
            let _telemetry = telemetry::init(&config, rust_log());
            let database = app::open_direct_database(&config).await?;
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
            let claims = confab_auth::claims_for(user, name, email, admin, ttl);
            let token = confab_auth::mint_hs256(&secret, &claims).map_err(anyhow::Error::msg)?;
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
        Command::Import {
            command: ImportCommand::Seed(args),
        } => match confab_server::import::seed(&config, &args).await {
            Ok(summary) => {
                println!("{summary}");
                Ok(())
            }
            Err(e) => {
                eprintln!("confab import seed: {e:#}");
                std::process::exit(1)
            }
        },
        Command::Config { .. } => Ok(()),
    }
}

/// `confab config check|print`: the exit code.
fn config_command(command: &ConfigCommand, path: Option<&std::path::Path>) -> i32 {
    let checked = check::check(&Sources::from_process(path));
    for warning in &checked.warnings {
        eprintln!("warning: {warning}");
    }
    let Some(config) = checked.config else {
        eprintln!("{}", confab_server::config::Invalid(checked.problems));
        return 1;
    };
    match command {
        ConfigCommand::Check => println!("configuration ok"),
        ConfigCommand::Print => print!("{}", print::to_toml(&config)),
    }
    0
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
