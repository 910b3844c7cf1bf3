//! Verifying the signed challenge of `/auth/simpleSignIn`.
//!
//! [`verify_signed_challenge`] parses a CMS `ContentInfo`/`SignedData`, takes the attached content
//! and the first signer, and checks as much as the [`Strictness`] asks for. Touch this when the
//! fake must accept another algorithm, or must check revocation or certificate policies.

use base64::Engine as _;
use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use const_oid::ObjectIdentifier;
use const_oid::db::{rfc5280, rfc5911, rfc5912};
use der::asn1::{AnyRef, OctetString};
use der::{Decode, DecodePem, Encode, Reader, SliceReader, Tag, TagNumber, Tagged};
use sha2::Digest;
use signature::hazmat::PrehashVerifier;
use spki::DecodePublicKey;
use x509_cert::Certificate;
use x509_cert::ext::pkix::SubjectKeyIdentifier;

use super::identity::SignerIdentity;

/// How much of a signature to check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strictness {
    /// Check the signature, the message digest and that a trusted root issued the certificate.
    Full,
    /// Parse and read the content and the signer, check nothing cryptographic: for clients that
    /// sign with real НУЦ test keys (possibly GOST, which the fake cannot verify).
    Content,
    /// Accept any non-empty input; use the content and signer when the input happens to parse.
    Any,
}

/// The certificates a `Full` check accepts as issuers of signer certificates.
#[derive(Clone, Debug)]
pub struct Trust {
    /// Trusted root certificates (RSA or ECDSA P-256 keys).
    pub roots: Vec<Certificate>,
}

/// The demo CA from `fixtures/true_api/pki/ca.pem`, built into the binary.
const DEMO_CA_PEM: &str = include_str!("../../../../../fixtures/true_api/pki/ca.pem");

/// Why a PEM bundle of trusted roots could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("cannot read the trusted root certificates: {0}")]
    Pem(der::Error),
    #[error("the trusted roots PEM holds no \"-----BEGIN CERTIFICATE-----\" block")]
    Empty,
}

impl Trust {
    /// Trust only the TEST ONLY demo CA of the fixtures.
    pub fn demo() -> Result<Trust, TrustError> {
        Trust::from_pem(DEMO_CA_PEM)
    }

    /// Trust every certificate in a PEM bundle (one or more `CERTIFICATE` blocks).
    /// Text outside the blocks (comments, as in CA bundles) is ignored.
    pub fn from_pem(pem: &str) -> Result<Trust, TrustError> {
        const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
        const END: &str = "-----END CERTIFICATE-----";
        let mut roots = Vec::new();
        let mut rest = pem;
        // Not `Certificate::load_pem_chain`: x509-cert 0.2 panics on an empty bundle.
        while let Some(start) = rest.find(BEGIN) {
            let block = &rest[start..];
            let end = block.find(END).ok_or(TrustError::Pem(der::Error::from(
                der::pem::Error::PostEncapsulationBoundary,
            )))?;
            let (certificate, after) = block.split_at(end + END.len());
            roots.push(Certificate::from_pem(certificate).map_err(TrustError::Pem)?);
            rest = after;
        }
        if roots.is_empty() {
            return Err(TrustError::Empty);
        }
        Ok(Trust { roots })
    }
}

/// What a signed challenge says and who signed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedChallenge {
    /// The encapsulated content (for `/auth/simpleSignIn`: the `data` issued by `/auth/key`).
    pub content: Vec<u8>,
    /// The signer, from the certificate's subject.
    pub signer: SignerIdentity,
}

/// Why a signed challenge was rejected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    #[error("the signature is not a CMS SignedData: {0}")]
    NotCms(String),
    #[error(
        "the CMS SignedData has no encapsulated content; sign with the data attached (createCMSSignatureFromBase64 with true)"
    )]
    NoContent,
    #[error("the CMS SignedData has no signer, or the signer's certificate is not among its certificates")]
    NoSigner,
    #[error("the signature does not verify: {0}")]
    BadSignature(String),
    #[error("the signer's certificate is not trusted: {0}")]
    Untrusted(String),
    #[error("unsupported algorithm: {0}")]
    UnsupportedAlgorithm(String),
}

/// Decode the base64 a client posts as `data` (standard or URL-safe alphabet, padding optional,
/// line breaks allowed, as NCALayer and OpenSSL emit them).
pub fn decode_base64_cms(text: &str) -> Result<Vec<u8>, VerifyError> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let trimmed = compact.trim_end_matches('=');
    let engine = if trimmed.contains(['-', '_']) {
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
    } else {
        &base64::engine::general_purpose::STANDARD_NO_PAD
    };
    engine
        .decode(trimmed)
        .map_err(|error| VerifyError::NotCms(format!("the signature is not valid base64: {error}")))
}

/// Verify a CMS signature with the data attached, at the given strictness.
pub fn verify_signed_challenge(
    cms_der: &[u8],
    strictness: Strictness,
    trust: &Trust,
) -> Result<SignedChallenge, VerifyError> {
    verify_signed_challenge_at(cms_der, strictness, trust, None)
}

/// [`verify_signed_challenge`], also checking in `Full` mode that the signer's certificate is
/// valid at `now` (the fake's clock); `None` skips the date check.
pub fn verify_signed_challenge_at(
    cms_der: &[u8],
    strictness: Strictness,
    trust: &Trust,
    now: Option<der::DateTime>,
) -> Result<SignedChallenge, VerifyError> {
    match strictness {
        Strictness::Any => {
            if cms_der.is_empty() {
                return Err(VerifyError::NotCms("the signature is empty".to_owned()));
            }
            let parsed = Parsed::from_der(cms_der).ok();
            let content = parsed.as_ref().and_then(|p| p.content().ok()).unwrap_or_default();
            let signer = parsed
                .as_ref()
                .and_then(|p| p.signer().ok())
                .map(|(_, certificate)| SignerIdentity::from_subject(&certificate.tbs_certificate.subject))
                .unwrap_or_default();
            Ok(SignedChallenge { content, signer })
        }
        Strictness::Content => {
            let parsed = Parsed::from_der(cms_der)?;
            let content = parsed.content()?;
            let (_, certificate) = parsed.signer()?;
            let signer = SignerIdentity::from_subject(&certificate.tbs_certificate.subject);
            Ok(SignedChallenge { content, signer })
        }
        Strictness::Full => {
            let parsed = Parsed::from_der(cms_der)?;
            let content = parsed.content()?;
            let (info, certificate) = parsed.signer()?;
            let signed_attributes = raw_signed_attributes(cms_der)
                .map_err(|error| VerifyError::NotCms(format!("cannot locate the signed attributes: {error}")))?;
            verify_signer(info, certificate, &content, signed_attributes.as_deref())?;
            verify_chain(certificate, trust, now)?;
            let signer = SignerIdentity::from_subject(&certificate.tbs_certificate.subject);
            Ok(SignedChallenge { content, signer })
        }
    }
}

/// A parsed `SignedData`.
struct Parsed {
    signed_data: SignedData,
}

impl Parsed {
    fn from_der(cms_der: &[u8]) -> Result<Parsed, VerifyError> {
        let content_info = ContentInfo::from_der(cms_der).map_err(|error| VerifyError::NotCms(error.to_string()))?;
        if content_info.content_type != rfc5911::ID_SIGNED_DATA {
            return Err(VerifyError::NotCms(format!(
                "the content type is {}, not signed-data ({})",
                content_info.content_type,
                rfc5911::ID_SIGNED_DATA
            )));
        }
        let signed_data = content_info
            .content
            .decode_as::<SignedData>()
            .map_err(|error| VerifyError::NotCms(format!("cannot read the SignedData: {error}")))?;
        Ok(Parsed { signed_data })
    }

    /// The bytes of the attached content (the value of the eContent OCTET STRING).
    fn content(&self) -> Result<Vec<u8>, VerifyError> {
        let econtent = self
            .signed_data
            .encap_content_info
            .econtent
            .as_ref()
            .ok_or(VerifyError::NoContent)?;
        if econtent.tag() == Tag::OctetString {
            Ok(econtent.value().to_vec())
        } else {
            Err(VerifyError::NotCms(format!(
                "the eContent is a {}, expected an OCTET STRING",
                econtent.tag()
            )))
        }
    }

    /// The first signer and its certificate, found by issuer and serial or by key identifier.
    fn signer(&self) -> Result<(&SignerInfo, &Certificate), VerifyError> {
        let info = self
            .signed_data
            .signer_infos
            .0
            .iter()
            .next()
            .ok_or(VerifyError::NoSigner)?;
        let certificates = self.signed_data.certificates.iter().flat_map(|set| set.0.iter());
        let certificate = certificates
            .filter_map(|choice| match choice {
                CertificateChoices::Certificate(certificate) => Some(certificate),
                CertificateChoices::Other(_) => None,
            })
            .find(|certificate| identifies(&info.sid, certificate))
            .ok_or(VerifyError::NoSigner)?;
        Ok((info, certificate))
    }
}

/// Whether a SignerIdentifier names this certificate.
fn identifies(sid: &SignerIdentifier, certificate: &Certificate) -> bool {
    let tbs = &certificate.tbs_certificate;
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(id) => id.issuer == tbs.issuer && id.serial_number == tbs.serial_number,
        SignerIdentifier::SubjectKeyIdentifier(ski) => tbs
            .extensions
            .iter()
            .flatten()
            .filter(|extension| extension.extn_id == rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER)
            .filter_map(|extension| SubjectKeyIdentifier::from_der(extension.extn_value.as_bytes()).ok())
            .any(|found| found.0 == ski.0),
    }
}

/// The signed attributes of the first SignerInfo exactly as they were encoded, re-tagged as a
/// SET OF (RFC 5652 §5.4: the signature covers the SET OF encoding, not the `[0] IMPLICIT` one).
/// Taking the original bytes keeps the signature verifiable even if the signer did not sort them.
fn raw_signed_attributes(cms_der: &[u8]) -> der::Result<Option<Vec<u8>>> {
    let content_info = AnyRef::from_der(cms_der)?;
    let mut reader = SliceReader::new(content_info.value())?;
    reader.tlv_bytes()?; // contentType
    let explicit = AnyRef::decode(&mut reader)?;
    let signed_data = AnyRef::from_der(explicit.value())?;
    let mut reader = SliceReader::new(signed_data.value())?;
    for _version_digests_content in 0..3 {
        reader.tlv_bytes()?;
    }
    let signer_infos = loop {
        // Skip the optional [0] certificates and [1] crls.
        let next = AnyRef::decode(&mut reader)?;
        if next.tag() == Tag::Set {
            break next;
        }
    };
    let first = AnyRef::decode(&mut SliceReader::new(signer_infos.value())?)?;
    let mut reader = SliceReader::new(first.value())?;
    for _version_sid_digest in 0..3 {
        reader.tlv_bytes()?;
    }
    let signed_attributes_tag = Tag::ContextSpecific {
        constructed: true,
        number: TagNumber::N0,
    };
    if reader.is_finished() || reader.peek_tag()? != signed_attributes_tag {
        return Ok(None);
    }
    let mut bytes = reader.tlv_bytes()?.to_vec();
    if let Some(tag) = bytes.first_mut() {
        *tag = 0x31;
    }
    Ok(Some(bytes))
}

/// The digests the fake can compute.
#[derive(Clone, Copy, Debug)]
enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn from_oid(oid: ObjectIdentifier) -> Result<Hash, VerifyError> {
        match oid {
            o if o == rfc5912::ID_SHA_256 => Ok(Hash::Sha256),
            o if o == rfc5912::ID_SHA_384 => Ok(Hash::Sha384),
            o if o == rfc5912::ID_SHA_512 => Ok(Hash::Sha512),
            other => Err(VerifyError::UnsupportedAlgorithm(format!(
                "digest {other} (only SHA-256, SHA-384 and SHA-512 are supported; GOST needs Strictness::Content)"
            ))),
        }
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha256 => sha2::Sha256::digest(data).to_vec(),
            Hash::Sha384 => sha2::Sha384::digest(data).to_vec(),
            Hash::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }

    fn pkcs1v15(self) -> rsa::Pkcs1v15Sign {
        match self {
            Hash::Sha256 => rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
            Hash::Sha384 => rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
            Hash::Sha512 => rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
        }
    }
}

/// A signature algorithm: the key family and, when the algorithm names one, its digest.
enum Scheme {
    Rsa(Option<Hash>),
    Ecdsa(Option<Hash>),
}

impl Scheme {
    fn from_oid(oid: ObjectIdentifier) -> Result<Scheme, VerifyError> {
        Ok(match oid {
            o if o == rfc5912::RSA_ENCRYPTION => Scheme::Rsa(None),
            o if o == rfc5912::SHA_256_WITH_RSA_ENCRYPTION => Scheme::Rsa(Some(Hash::Sha256)),
            o if o == rfc5912::SHA_384_WITH_RSA_ENCRYPTION => Scheme::Rsa(Some(Hash::Sha384)),
            o if o == rfc5912::SHA_512_WITH_RSA_ENCRYPTION => Scheme::Rsa(Some(Hash::Sha512)),
            o if o == rfc5912::ID_EC_PUBLIC_KEY => Scheme::Ecdsa(None),
            o if o == rfc5912::ECDSA_WITH_SHA_256 => Scheme::Ecdsa(Some(Hash::Sha256)),
            o if o == rfc5912::ECDSA_WITH_SHA_384 => Scheme::Ecdsa(Some(Hash::Sha384)),
            o if o == rfc5912::ECDSA_WITH_SHA_512 => Scheme::Ecdsa(Some(Hash::Sha512)),
            other => {
                return Err(VerifyError::UnsupportedAlgorithm(format!(
                    "signature algorithm {other} (only RSA PKCS#1 v1.5 and ECDSA P-256 are supported; \
                     GOST needs Strictness::Content)"
                )));
            }
        })
    }
}

/// Check `signature` over `message` with the public key of `certificate`. `default_hash` is used
/// when the algorithm itself does not name a digest (plain `rsaEncryption`, as НУЦ writes it).
fn verify_with_key(
    certificate: &Certificate,
    algorithm: ObjectIdentifier,
    default_hash: Option<Hash>,
    message: &[u8],
    signature: &[u8],
) -> Result<(), VerifyError> {
    let spki = certificate
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|error| VerifyError::NotCms(format!("cannot encode the public key: {error}")))?;
    let missing_digest = || VerifyError::UnsupportedAlgorithm(format!("{algorithm} without a digest algorithm"));
    match Scheme::from_oid(algorithm)? {
        Scheme::Rsa(hash) => {
            let hash = hash.or(default_hash).ok_or_else(missing_digest)?;
            let key = rsa::RsaPublicKey::from_public_key_der(&spki).map_err(|error| {
                VerifyError::UnsupportedAlgorithm(format!("an RSA signature, but the key is not RSA ({error})"))
            })?;
            key.verify(hash.pkcs1v15(), &hash.digest(message), signature)
                .map_err(|error| VerifyError::BadSignature(format!("RSA: {error}")))
        }
        Scheme::Ecdsa(hash) => {
            let hash = hash.or(default_hash).ok_or_else(missing_digest)?;
            let key = p256::ecdsa::VerifyingKey::from_public_key_der(&spki).map_err(|error| {
                VerifyError::UnsupportedAlgorithm(format!("an ECDSA signature, but the key is not P-256 ({error})"))
            })?;
            let signature = p256::ecdsa::Signature::from_der(signature)
                .map_err(|error| VerifyError::BadSignature(format!("ECDSA signature is not DER: {error}")))?;
            key.verify_prehash(&hash.digest(message), &signature)
                .map_err(|error| VerifyError::BadSignature(format!("ECDSA: {error}")))
        }
    }
}

/// Check the SignerInfo: message digest against the content, signature against the certificate.
fn verify_signer(
    info: &SignerInfo,
    certificate: &Certificate,
    content: &[u8],
    raw_signed_attributes: Option<&[u8]>,
) -> Result<(), VerifyError> {
    let hash = Hash::from_oid(info.digest_alg.oid)?;
    let message = match (&info.signed_attrs, raw_signed_attributes) {
        (Some(attributes), Some(raw)) => {
            let digest = attributes
                .iter()
                .find(|attribute| attribute.oid == rfc5911::ID_MESSAGE_DIGEST)
                .and_then(|attribute| attribute.values.iter().next())
                .ok_or_else(|| VerifyError::BadSignature("the signed attributes lack a message-digest".to_owned()))?
                .decode_as::<OctetString>()
                .map_err(|error| {
                    VerifyError::BadSignature(format!("the message-digest is not an OCTET STRING: {error}"))
                })?;
            if digest.as_bytes() != hash.digest(content).as_slice() {
                return Err(VerifyError::BadSignature(
                    "the message-digest attribute does not match the content".to_owned(),
                ));
            }
            let content_type = attributes
                .iter()
                .find(|attribute| attribute.oid == rfc5911::ID_CONTENT_TYPE)
                .and_then(|attribute| attribute.values.iter().next())
                .and_then(|value| value.decode_as::<ObjectIdentifier>().ok())
                .filter(|content_type| *content_type != rfc5911::ID_DATA);
            if let Some(content_type) = content_type {
                return Err(VerifyError::BadSignature(format!(
                    "the content-type attribute is {content_type}, expected id-data"
                )));
            }
            raw.to_vec()
        }
        (None, _) => content.to_vec(),
        (Some(_), None) => return Err(VerifyError::NotCms("cannot locate the signed attributes".to_owned())),
    };
    verify_with_key(
        certificate,
        info.signature_algorithm.oid,
        Some(hash),
        &message,
        info.signature.as_bytes(),
    )
}

/// Check that a trusted root issued `certificate` (or is it), and optionally its validity at `now`.
fn verify_chain(certificate: &Certificate, trust: &Trust, now: Option<der::DateTime>) -> Result<(), VerifyError> {
    let tbs = &certificate.tbs_certificate;
    if let Some(now) = now {
        let not_before = tbs.validity.not_before.to_date_time();
        let not_after = tbs.validity.not_after.to_date_time();
        if now < not_before || now > not_after {
            return Err(VerifyError::Untrusted(format!(
                "the certificate of {} is valid from {not_before} to {not_after}, not at {now}",
                tbs.subject
            )));
        }
    }
    if trust.roots.iter().any(|root| root == certificate) {
        return Ok(());
    }
    let tbs_der = tbs
        .to_der()
        .map_err(|error| VerifyError::NotCms(format!("cannot encode the certificate: {error}")))?;
    let mut failures = Vec::new();
    for root in trust
        .roots
        .iter()
        .filter(|root| root.tbs_certificate.subject == tbs.issuer)
    {
        let signature = certificate.signature.as_bytes().unwrap_or_default();
        match verify_with_key(root, certificate.signature_algorithm.oid, None, &tbs_der, signature) {
            Ok(()) => return Ok(()),
            Err(error) => failures.push(error.to_string()),
        }
    }
    if failures.is_empty() {
        Err(VerifyError::Untrusted(format!(
            "it was issued by \"{}\", which is not a trusted root",
            tbs.issuer
        )))
    } else {
        Err(VerifyError::Untrusted(format!(
            "it names the trusted root \"{}\" as issuer, but the root's key does not verify it: {}",
            tbs.issuer,
            failures.join("; ")
        )))
    }
}
