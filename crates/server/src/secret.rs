//! The development token secret: when neither `CONFAB_JWT_SECRET` nor `CONFAB_JWKS_URL` is
//! set, a random secret is created once in the data dir and reused, so `confab token` and
//! `confab serve` agree without any setup.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use rand::RngCore;

const FILE: &str = "jwt-secret";

/// Reads the data dir's secret, creating it (mode 0600) on first use.
pub fn dev_secret(data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    let path = data_dir.join(FILE);
    if let Ok(text) = std::fs::read_to_string(&path) {
        let text = text.trim();
        anyhow::ensure!(
            text.len() >= 32,
            "{} is too short to be a token secret",
            path.display()
        );
        return Ok(text.as_bytes().to_vec());
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating data dir {}", data_dir.display()))?;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&path) {
        Ok(mut file) => {
            file.write_all(secret.as_bytes())
                .with_context(|| format!("writing {}", path.display()))?;
            tracing::info!(path = %path.display(), "created a development token secret (set CONFAB_JWT_SECRET in production)");
            Ok(secret.into_bytes())
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => dev_secret(data_dir),
        Err(e) => Err(e).with_context(|| format!("creating {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_is_created_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = dev_secret(dir.path()).unwrap();
        let second = dev_secret(dir.path()).unwrap();
        assert_eq!(first, second);
        assert_eq!(first.len(), 64);
    }
}
