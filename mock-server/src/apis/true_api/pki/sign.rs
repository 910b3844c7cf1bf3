//! Signing as a True API client does it: CMS `SignedData` with the data attached.
//!
//! This mirrors NCALayer's `createCMSSignatureFromBase64(…, true)`: SHA-256, signed attributes
//! (content-type and message-digest, no signing time so the output is reproducible), the signer's
//! certificate included, the signer identified by issuer and serial number.

use anyhow::Context;
use cms::builder::{SignedDataBuilder, SignerInfoBuilder};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::signed_data::{EncapsulatedContentInfo, SignerIdentifier};
use const_oid::db::{rfc5911, rfc5912};
use der::{Any, DecodePem, Encode, Tag};
use sha2::Sha256;
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;

use super::keys::PrivateKey;

/// Sign `data` with the PEM key and certificate; returns the DER of a CMS `ContentInfo`.
///
/// The key type (RSA → sha256WithRSAEncryption, P-256 → ecdsa-with-SHA256) comes from the PEM.
pub fn sign_attached(data: &[u8], key_pem: &str, cert_pem: &str) -> anyhow::Result<Vec<u8>> {
    let content = Any::new(Tag::OctetString, data).context("cannot wrap the data in an OCTET STRING")?;
    sign(Some(content), None, key_pem, cert_pem)
}

/// Sign `data` but leave it out of the CMS (a detached signature, as for documents).
pub fn sign_detached(data: &[u8], key_pem: &str, cert_pem: &str) -> anyhow::Result<Vec<u8>> {
    use sha2::Digest;
    let digest = Sha256::digest(data);
    sign(None, Some(&digest[..]), key_pem, cert_pem)
}

fn sign(
    content: Option<Any>,
    external_digest: Option<&[u8]>,
    key_pem: &str,
    cert_pem: &str,
) -> anyhow::Result<Vec<u8>> {
    let key = PrivateKey::from_pem(key_pem)?;
    let certificate = Certificate::from_pem(cert_pem).context("cannot read the signer certificate PEM")?;
    let encapsulated = EncapsulatedContentInfo {
        econtent_type: rfc5911::ID_DATA,
        econtent: content,
    };
    let sid = SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
        issuer: certificate.tbs_certificate.issuer.clone(),
        serial_number: certificate.tbs_certificate.serial_number.clone(),
    });
    let sha256 = AlgorithmIdentifierOwned {
        oid: rfc5912::ID_SHA_256,
        parameters: None,
    };

    let mut builder = SignedDataBuilder::new(&encapsulated);
    builder
        .add_digest_algorithm(sha256.clone())
        .map_err(cms_error("cannot add the digest algorithm"))?
        .add_certificate(CertificateChoices::Certificate(certificate))
        .map_err(cms_error("cannot add the signer certificate"))?;
    match key {
        PrivateKey::Rsa(key) => {
            let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new(*key);
            let info = SignerInfoBuilder::new(&signer, sid, sha256, &encapsulated, external_digest)
                .map_err(cms_error("cannot prepare the RSA signer info"))?;
            builder
                .add_signer_info::<_, rsa::pkcs1v15::Signature>(info)
                .map_err(cms_error("cannot sign with the RSA key"))?;
        }
        PrivateKey::EcP256(key) => {
            let signer = p256::ecdsa::SigningKey::from(key);
            let info = SignerInfoBuilder::new(&signer, sid, sha256, &encapsulated, external_digest)
                .map_err(cms_error("cannot prepare the ECDSA signer info"))?;
            builder
                .add_signer_info::<_, p256::ecdsa::DerSignature>(info)
                .map_err(cms_error("cannot sign with the ECDSA key"))?;
        }
    }
    let content_info = builder
        .build()
        .map_err(cms_error("cannot assemble the CMS SignedData"))?;
    content_info.to_der().context("cannot encode the CMS as DER")
}

/// `cms::builder::Error` is not a `std::error::Error`, so it cannot take an anyhow context.
fn cms_error(what: &'static str) -> impl FnOnce(cms::builder::Error) -> anyhow::Error {
    move |error| anyhow::anyhow!("{what}: {error}")
}
