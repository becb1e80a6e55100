//! Secrets at rest (the Pipedrive API token): sealed with ChaCha20-Poly1305 under a 32-byte key
//! that lives in a file outside the database (`--secret-key-file`, default
//! `<data>/secret.key`, created with mode 0600 on first start). A copy of the database alone
//! does not reveal the token; a copy of the database *and* the key file does. See
//! `docs/pipedrive.md`.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;
use std::path::Path;

/// The key that seals secrets stored in the database.
#[derive(Clone)]
pub struct SecretKey(Key);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(…)")
    }
}

impl SecretKey {
    /// Reads the key file, or creates it (0600) with a fresh random key when it is missing.
    pub fn load_or_create(path: &Path) -> anyhow::Result<Self> {
        match std::fs::read(path) {
            Ok(bytes) => {
                let text = String::from_utf8(bytes)
                    .map_err(|_| anyhow::anyhow!("{} is not a key file", path.display()))?;
                let raw = B64.decode(text.trim()).map_err(|_| {
                    anyhow::anyhow!("{} does not hold a base64 key", path.display())
                })?;
                if raw.len() != 32 {
                    anyhow::bail!("{} must hold 32 bytes (base64)", path.display());
                }
                Ok(SecretKey(*Key::from_slice(&raw)))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut raw = [0u8; 32];
                rand::thread_rng().fill_bytes(&mut raw);
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                write_private(path, B64.encode(raw).as_bytes())?;
                Ok(SecretKey(*Key::from_slice(&raw)))
            }
            Err(e) => Err(anyhow::anyhow!("cannot read {}: {e}", path.display())),
        }
    }

    /// `base64(nonce ‖ ciphertext)`.
    pub fn seal(&self, plain: &str) -> String {
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let cipher = ChaCha20Poly1305::new(&self.0);
        let sealed = cipher
            .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
            .expect("ChaCha20-Poly1305 encryption does not fail for short inputs");
        let mut out = nonce.to_vec();
        out.extend(sealed);
        B64.encode(out)
    }

    /// The plain text, or `None` when it was sealed with another key or was altered.
    pub fn open(&self, sealed: &str) -> Option<String> {
        let raw = B64.decode(sealed).ok()?;
        if raw.len() < 12 {
            return None;
        }
        let (nonce, body) = raw.split_at(12);
        let plain = ChaCha20Poly1305::new(&self.0)
            .decrypt(Nonce::from_slice(nonce), body)
            .ok()?;
        String::from_utf8(plain).ok()
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_text_opens_with_its_key_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.key");
        let key = SecretKey::load_or_create(&path).unwrap();
        let sealed = key.seal("token-123");
        assert!(!sealed.contains("token-123"));
        assert_ne!(sealed, key.seal("token-123"), "a fresh nonce each time");
        let again = SecretKey::load_or_create(&path).unwrap();
        assert_eq!(again.open(&sealed).as_deref(), Some("token-123"));
        let other = SecretKey::load_or_create(&dir.path().join("other.key")).unwrap();
        assert_eq!(other.open(&sealed), None);
        assert_eq!(key.open("not base64!"), None);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
