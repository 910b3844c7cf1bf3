//! Private keys from PEM, with the key type detected from the PEM itself.
//!
//! Accepts PKCS#8 (`PRIVATE KEY`, what the demo fixtures use), PKCS#1 (`RSA PRIVATE KEY`) and
//! SEC1 (`EC PRIVATE KEY`). Only RSA and ECDSA P-256 are supported: the two key types НУЦ РК
//! issues besides GOST, which a pure-Rust fake cannot sign with.

use anyhow::{Context, bail};
use pkcs8::DecodePrivateKey;
use rsa::RsaPrivateKey;
use rsa::pkcs1::DecodeRsaPrivateKey;

/// A private key the fake can sign with.
pub(crate) enum PrivateKey {
    Rsa(Box<RsaPrivateKey>),
    EcP256(p256::SecretKey),
}

impl PrivateKey {
    /// Parse a PEM private key, detecting RSA vs EC from the PEM label and the PKCS#8 algorithm.
    pub(crate) fn from_pem(pem: &str) -> anyhow::Result<PrivateKey> {
        let label = pem
            .lines()
            .map(str::trim)
            .find_map(|line| {
                line.strip_prefix("-----BEGIN ")
                    .and_then(|rest| rest.strip_suffix("-----"))
            })
            .context("the key is not PEM: no \"-----BEGIN …-----\" line")?;
        match label {
            "RSA PRIVATE KEY" => Ok(PrivateKey::Rsa(Box::new(
                RsaPrivateKey::from_pkcs1_pem(pem).context("cannot read the PKCS#1 RSA private key")?,
            ))),
            "EC PRIVATE KEY" => Ok(PrivateKey::EcP256(
                p256::SecretKey::from_sec1_pem(pem)
                    .context("cannot read the SEC1 EC private key (only P-256 is supported)")?,
            )),
            "PRIVATE KEY" => {
                if let Ok(key) = RsaPrivateKey::from_pkcs8_pem(pem) {
                    return Ok(PrivateKey::Rsa(Box::new(key)));
                }
                p256::SecretKey::from_pkcs8_pem(pem)
                    .map(PrivateKey::EcP256)
                    .map_err(|error| anyhow::anyhow!("the PKCS#8 key is neither RSA nor ECDSA P-256 ({error})"))
            }
            "ENCRYPTED PRIVATE KEY" => bail!("encrypted private keys are not supported; export the key unencrypted"),
            other => {
                bail!("unsupported PEM label \"{other}\"; expected PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY")
            }
        }
    }
}
