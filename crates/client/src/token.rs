//! Where the session token lives: the OS keyring (Keychain, Credential Manager, Secret
//! Service) when one works, else a file readable only by the user (`session-token`, mode
//! 0600) in the data directory. Never in the cache database.
//!
//! Headless Linux usually has no Secret Service (`NoDefaultStore` without a session bus,
//! `ServiceUnknown` without a secrets daemon, `NoStorageAccess` when it is locked): then the
//! file is used. `FRONTDESK_TOKEN_STORE=file` forces the file (tests, kiosk setups).

use crate::error::{EngineError, Result};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

const KEYRING_SERVICE: &str = "frontdesk-desktop";
const TOKEN_FILE: &str = "session-token";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenBackend {
    Keyring,
    File,
}

impl TokenBackend {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenBackend::Keyring => "keyring",
            TokenBackend::File => "file",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "keyring" => Some(TokenBackend::Keyring),
            "file" => Some(TokenBackend::File),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct TokenStore {
    data_dir: PathBuf,
    allow_keyring: bool,
}

impl TokenStore {
    pub fn new(data_dir: &Path) -> TokenStore {
        let forced_file = std::env::var("FRONTDESK_TOKEN_STORE").is_ok_and(|v| v == "file");
        TokenStore {
            data_dir: data_dir.to_owned(),
            allow_keyring: !forced_file,
        }
    }

    fn file(&self) -> PathBuf {
        self.data_dir.join(TOKEN_FILE)
    }

    /// Stores the token for `account`; returns where it went.
    pub async fn save(&self, account: &str, token: &str) -> Result<TokenBackend> {
        if self.allow_keyring {
            let (account, token) = (account.to_owned(), token.to_owned());
            let stored = tokio::task::spawn_blocking(move || {
                keyring::Entry::new(KEYRING_SERVICE, &account).and_then(|e| e.set_password(&token))
            })
            .await;
            match stored {
                Ok(Ok(())) => {
                    // A file from an earlier keyring-less run must not outlive the switch.
                    let _ = std::fs::remove_file(self.file());
                    return Ok(TokenBackend::Keyring);
                }
                Ok(Err(e)) => {
                    tracing::info!(error = %e, "no usable OS keyring; storing the session token in a 0600 file")
                }
                Err(e) => tracing::warn!(error = %e, "keyring task failed"),
            }
        }
        write_private(&self.file(), token.as_bytes())
            .map_err(|e| EngineError::new("token_store", format!("The session could not be stored in {}: {e}. Check that the data directory is writable.", self.file().display())))?;
        Ok(TokenBackend::File)
    }

    pub async fn load(&self, account: &str, backend: TokenBackend) -> Result<Option<String>> {
        match backend {
            TokenBackend::Keyring => {
                let account = account.to_owned();
                let got = tokio::task::spawn_blocking(move || {
                    keyring::Entry::new(KEYRING_SERVICE, &account).and_then(|e| e.get_password())
                })
                .await
                .map_err(|e| EngineError::new("token_store", e.to_string()))?;
                match got {
                    Ok(t) => Ok(Some(t)),
                    Err(keyring::Error::NoEntry) => Ok(None),
                    Err(e) => Err(EngineError::new(
                        "token_store",
                        format!("The OS keyring did not give back the session ({e}). Unlock it, or sign in again."),
                    )),
                }
            }
            TokenBackend::File => match std::fs::read_to_string(self.file()) {
                Ok(t) if !t.trim().is_empty() => Ok(Some(t.trim().to_owned())),
                Ok(_) => Ok(None),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(EngineError::new(
                    "token_store",
                    format!("{} cannot be read: {e}", self.file().display()),
                )),
            },
        }
    }

    /// Forgets the token wherever it is.
    pub async fn delete(&self, account: &str) {
        let _ = std::fs::remove_file(self.file());
        if self.allow_keyring {
            let account = account.to_owned();
            let _ = tokio::task::spawn_blocking(move || {
                keyring::Entry::new(KEYRING_SERVICE, &account).and_then(|e| e.delete_credential())
            })
            .await;
        }
    }
}

/// Writes `bytes` to `path` through a temporary file created with mode 0600, then renames it,
/// so the token is never readable by others, not even for a moment.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn file_fallback_is_private_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore {
            data_dir: dir.path().to_owned(),
            allow_keyring: false,
        };
        assert_eq!(
            store.save("acct", "secret-token").await.unwrap(),
            TokenBackend::File
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(store.file())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(
            store
                .load("acct", TokenBackend::File)
                .await
                .unwrap()
                .as_deref(),
            Some("secret-token")
        );
        store.delete("acct").await;
        assert_eq!(store.load("acct", TokenBackend::File).await.unwrap(), None);
    }
}
