//! Secrets at rest: XChaCha20-Poly1305 with a random 192-bit nonce per value and the
//! variable's identity (organization, scope, name) as associated data, so a ciphertext
//! copied onto another row does not decrypt.
//!
//! The keyring is a file of `<key-id> <base64 key>` lines, created 0600 on first run. The
//! first key encrypts; every key decrypts. `windflow admin rotate-secret-key` puts a new key
//! first, re-encrypts every secret with it, then drops the old keys.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use windflow_storage::{SecretValue, Store, Variable, VariableScope, VariableValue};

const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 24;

pub struct Keyring {
    path: PathBuf,
    /// Newest first.
    keys: Vec<(String, [u8; KEY_LEN])>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("path", &self.path)
            .field(
                "key_ids",
                &self.keys.iter().map(|(id, _)| id).collect::<Vec<_>>(),
            )
            .finish()
    }
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    bytes
}

/// The associated data that binds a ciphertext to its variable.
pub fn secret_aad(org_id: &str, scope: &VariableScope, name: &str) -> Vec<u8> {
    let scope = match scope {
        VariableScope::Stack {
            stack_id,
            environment_id,
        } => format!(
            "stack:{stack_id}:{}",
            environment_id.as_deref().unwrap_or("")
        ),
        VariableScope::Environment { environment_id } => format!("env:{environment_id}"),
    };
    format!("windflow-secret/v1\0{org_id}\0{scope}\0{name}").into_bytes()
}

impl Keyring {
    /// Loads the keyring at `path`, creating it (0600, one fresh key) when it does not exist.
    pub fn load_or_create(path: &Path) -> anyhow::Result<Self> {
        if !path.exists() {
            let ring = Keyring {
                path: path.to_path_buf(),
                keys: vec![new_key()],
            };
            ring.save()?;
            tracing::info!(path = %path.display(), "created the secrets keyring");
            return Ok(ring);
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the secrets keyring {}", path.display()))?;
        let mut keys = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((id, key)) = line.split_once(' ') else {
                bail!(
                    "{}:{}: expected `<key-id> <base64 key>`",
                    path.display(),
                    n + 1
                );
            };
            let bytes = STANDARD
                .decode(key.trim())
                .ok()
                .filter(|b| b.len() == KEY_LEN)
                .with_context(|| {
                    format!(
                        "{}:{}: the key must be {KEY_LEN} bytes of base64",
                        path.display(),
                        n + 1
                    )
                })?;
            let mut key = [0u8; KEY_LEN];
            key.copy_from_slice(&bytes);
            keys.push((id.to_string(), key));
        }
        if keys.is_empty() {
            bail!("{}: the secrets keyring has no key", path.display());
        }
        Ok(Keyring {
            path: path.to_path_buf(),
            keys,
        })
    }

    fn save(&self) -> anyhow::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let mut text = String::from(
            "# WindFlow secrets keyring: the first key encrypts, all decrypt. Keep it private.\n",
        );
        for (id, key) in &self.keys {
            text.push_str(&format!("{id} {}\n", STANDARD.encode(key)));
        }
        let tmp = self.path.with_extension("tmp");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(&tmp)
            .with_context(|| format!("writing {}", tmp.display()))?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, &self.path)
            .with_context(|| format!("writing {}", self.path.display()))?;
        Ok(())
    }

    pub fn encrypt(&self, aad: &[u8], plaintext: &[u8]) -> SecretValue {
        let (id, key) = &self.keys[0];
        let cipher = XChaCha20Poly1305::new_from_slice(key).expect("32-byte key");
        let nonce_bytes: [u8; NONCE_LEN] = random_bytes();
        let nonce = XNonce::try_from(&nonce_bytes[..]).expect("24-byte nonce");
        let ciphertext = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .expect("XChaCha20-Poly1305 encryption does not fail for small inputs");
        SecretValue {
            key_id: id.clone(),
            nonce: nonce_bytes.to_vec(),
            ciphertext,
        }
    }

    pub fn decrypt(&self, aad: &[u8], value: &SecretValue) -> anyhow::Result<Vec<u8>> {
        let Some((_, key)) = self.keys.iter().find(|(id, _)| *id == value.key_id) else {
            bail!(
                "secret encrypted with key {:?}, which is not in the keyring {}",
                value.key_id,
                self.path.display()
            );
        };
        let cipher = XChaCha20Poly1305::new_from_slice(key).expect("32-byte key");
        let nonce = XNonce::try_from(&value.nonce[..])
            .ok()
            .context("corrupt secret: bad nonce length")?;
        cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: &value.ciphertext,
                    aad,
                },
            )
            .ok()
            .context("a secret failed to decrypt (wrong key or tampered value)")
    }

    /// Decrypts a variable's value (plain values pass through).
    pub fn reveal(&self, variable: &Variable) -> anyhow::Result<String> {
        match &variable.value {
            VariableValue::Plain(value) => Ok(value.clone()),
            VariableValue::Secret(secret) => {
                let aad = secret_aad(&variable.org_id, &variable.scope, &variable.name);
                let bytes = self.decrypt(&aad, secret)?;
                String::from_utf8(bytes).context("a secret is not valid UTF-8")
            }
        }
    }

    /// Rotation, first step: a new key becomes the current one, saved with the old keys
    /// still present so a crash midway loses nothing.
    pub fn add_key(&mut self) -> anyhow::Result<()> {
        self.keys.insert(0, new_key());
        self.save()
    }

    /// Rotation, second step: every secret variable encrypted again under the current key.
    /// Returns how many.
    pub async fn reencrypt_secrets(&self, store: &dyn Store) -> anyhow::Result<usize> {
        let secrets = store.list_all_secrets().await?;
        for variable in &secrets {
            let plaintext = self.reveal(variable)?;
            let aad = secret_aad(&variable.org_id, &variable.scope, &variable.name);
            let value = self.encrypt(&aad, plaintext.as_bytes());
            store.replace_secret_value(&variable.id, value).await?;
        }
        Ok(secrets.len())
    }

    /// Rotation, last step (once everything sealed is sealed again): the old keys dropped.
    pub fn drop_old_keys(&mut self) -> anyhow::Result<()> {
        self.keys.truncate(1);
        self.save()
    }
}

/// What replaces a secret value wherever the server shows text that may hold one
/// (deployment events, container logs, inspect).
pub const SECRET_MASK: &str = "******";

/// The secret values worth masking, longest first (so a secret that contains another is
/// masked whole): values shorter than 3 characters would mask ordinary text.
pub fn maskable(values: Vec<String>) -> Vec<String> {
    let mut values: Vec<String> = values.into_iter().filter(|v| v.len() >= 3).collect();
    values.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    values.dedup();
    values
}

/// `text` with every occurrence of a secret value replaced by [`SECRET_MASK`]; `secrets` as
/// [`maskable`] returns them.
pub fn mask_text(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for secret in secrets {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), SECRET_MASK);
        }
    }
    out
}

/// Every string of a JSON value (keys stay) with secret values masked.
pub fn mask_value(value: serde_json::Value, secrets: &[String]) -> serde_json::Value {
    if secrets.is_empty() {
        return value;
    }
    match value {
        serde_json::Value::String(s) => serde_json::Value::String(mask_text(&s, secrets)),
        serde_json::Value::Array(items) => {
            items.into_iter().map(|v| mask_value(v, secrets)).collect()
        }
        serde_json::Value::Object(map) => map
            .into_iter()
            .map(|(k, v)| (k, mask_value(v, secrets)))
            .collect(),
        other => other,
    }
}

fn new_key() -> (String, [u8; KEY_LEN]) {
    let id: [u8; 4] = random_bytes();
    (format!("k{}", hex::encode(id)), random_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> VariableScope {
        VariableScope::Stack {
            stack_id: "s1".into(),
            environment_id: None,
        }
    }

    #[test]
    fn secrets_are_masked_everywhere_in_an_event() {
        let event = serde_json::json!({"event": "warning", "message": "password is hunter22!", "list": ["x hunter22"]});
        let masked = mask_value(event, &["hunter22".to_string()]);
        assert_eq!(
            masked,
            serde_json::json!({"event": "warning", "message": "password is ******!", "list": ["x ******"]})
        );
    }

    #[test]
    fn a_secret_containing_another_is_masked_whole() {
        let secrets = maskable(vec![
            "abc".into(),
            "xabcx".into(),
            "ab".into(),
            "abc".into(),
        ]);
        assert_eq!(secrets, vec!["xabcx".to_string(), "abc".to_string()]);
        assert_eq!(mask_text("1 xabcx 2 abc", &secrets), "1 ****** 2 ******");
    }

    #[test]
    fn round_trip_and_binding() {
        let dir = std::env::temp_dir().join(format!("wf-keyring-{}", std::process::id()));
        let path = dir.join("secret.keys");
        let _ = std::fs::remove_file(&path);
        let ring = Keyring::load_or_create(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let aad = secret_aad("org", &scope(), "DB_PASSWORD");
        let sealed = ring.encrypt(&aad, b"hunter2");
        assert!(!sealed.ciphertext.windows(7).any(|w| w == b"hunter2"));
        let again = Keyring::load_or_create(&path).unwrap();
        assert_eq!(again.decrypt(&aad, &sealed).unwrap(), b"hunter2");
        // Another variable's identity does not decrypt it.
        let other = secret_aad("org", &scope(), "OTHER");
        assert!(again.decrypt(&other, &sealed).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
