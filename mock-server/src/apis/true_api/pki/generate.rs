//! The seeded generator of the TEST ONLY demo PKI in `fixtures/true_api/pki/`.
//!
//! One demo CA (RSA-2048, standing in for НУЦ РК) and, for each demo participant, an RSA-2048 and
//! an ECDSA P-256 key with a certificate whose subject carries ИИН/БИН the way НУЦ certificates do.
//! Every key comes from a ChaCha20 stream seeded by (seed, key label), so the same seed always
//! gives the same files. Touch this to add a participant; then rerun it and commit the output.

use std::path::Path;

use anyhow::Context;
use const_oid::ObjectIdentifier;
use const_oid::db::rfc4519;
use der::asn1::{PrintableStringRef, SetOfVec, UtcTime, Utf8StringRef};
use der::pem::LineEnding;
use der::{Any, DateTime, EncodePem};
use pkcs8::EncodePrivateKey;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use signature::{Keypair, Signer};
use spki::{DynSignatureAlgorithmIdentifier, EncodePublicKey, SignatureBitStringEncoding, SubjectPublicKeyInfoOwned};
use x509_cert::Certificate;
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

/// The seed the committed fixtures were generated with.
pub const DEMO_SEED: u64 = 2025;

/// The demo CA's common name; it says what it is so nobody mistakes it for НУЦ РК.
pub const DEMO_CA_COMMON_NAME: &str = "DEMO TEST ONLY НУЦ RK (mock-server)";

/// `participants.json`: which demo participant owns which key and certificate files.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantsFile {
    /// The fixture format version.
    pub version: u32,
    /// A reminder that these keys are public and test-only.
    pub note: String,
    /// The demo CA: certificate and key file names.
    pub ca: KeyFiles,
    /// One entry per demo participant.
    pub participants: Vec<Participant>,
}

/// A certificate file and its private key file, relative to the `pki` folder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyFiles {
    /// PEM certificate.
    pub cert: String,
    /// PEM PKCS#8 private key, unencrypted.
    pub key: String,
}

/// A demo participant of the True API (KZ).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    /// The organisation's name as registered.
    pub name: String,
    /// The БИН of a legal entity, or the ИИН of a sole trader: what tokens and documents name.
    pub bin_or_iin: String,
    /// Legal entity (БИН in `OU`) or sole trader (identified by the owner's ИИН).
    pub kind: ParticipantKind,
    /// The person whose certificate signs for the participant.
    pub signer: Person,
    /// The RSA-2048 key and certificate.
    pub rsa: KeyFiles,
    /// The ECDSA P-256 key and certificate.
    pub ec: KeyFiles,
}

/// Whether a participant is identified by a БИН or by its owner's ИИН.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParticipantKind {
    LegalEntity,
    SoleTrader,
}

/// A signer person: what goes into `CN`, `SURNAME` and `SERIALNUMBER`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// Full name, upper case as НУЦ writes it (`CN`).
    pub name: String,
    /// Surname (`SURNAME`).
    pub surname: String,
    /// ИИН (`SERIALNUMBER=IIN…`).
    pub iin: String,
}

/// The demo participants. The numbers carry valid check digits (see `bin_iin`): БИНs are
/// YYMM + 4 (resident legal entity) + 0 (head office) + serial; the ИИНs are birth date + century
/// and sex digit + serial.
fn demo_participants() -> Vec<(&'static str, &'static str, ParticipantKind, Person)> {
    let person = |name: &str, surname: &str, iin: &str| Person {
        name: name.to_owned(),
        surname: surname.to_owned(),
        iin: iin.to_owned(),
    };
    vec![
        (
            "ТОО «Демо Производитель»",
            "190440001237",
            ParticipantKind::LegalEntity,
            person("ДЕМОВ АСАН", "ДЕМОВ", "780312300027"),
        ),
        (
            "ТОО «Демо Дистрибьютор»",
            "210540004569",
            ParticipantKind::LegalEntity,
            person("ТЕСТОВА АЙГУЛЬ", "ТЕСТОВА", "900215400033"),
        ),
        (
            "ИП Демо Розница",
            "850101400120",
            ParticipantKind::SoleTrader,
            person("ДЕМОВА САУЛЕ", "ДЕМОВА", "850101400120"),
        ),
        // The owner of the doc's own example codes (`doc_examples.json`): the ИИН the doc uses most.
        (
            "ИП Примерова Алия",
            "810716401076",
            ParticipantKind::SoleTrader,
            person("ПРИМЕРОВА АЛИЯ", "ПРИМЕРОВА", "810716401076"),
        ),
    ]
}

const README: &str = "# TEST ONLY — demo PKI of the mock server\n\n\
TEST ONLY — demo CA and keys for the mock server; never trust them. Every private key here is \
public, unencrypted and reproducible from a published seed: the CA (`ca.pem`, `ca.key.pem`, CN \
\"DEMO TEST ONLY НУЦ RK (mock-server)\") stands in for НУЦ РК so that clients of the True API (KZ) \
fake can sign `/auth/simpleSignIn` challenges, and the participant keys listed in \
`participants.json` sign for the demo participants. They are generated by \
`generate_demo_pki(out, DEMO_SEED)` in `mock-server/src/apis/true_api/pki/generate.rs`; do not edit \
them by hand, and never install the CA in a trust store.\n";

/// Generate the demo PKI into `out` (created if missing): `README.md`, `ca.pem`, `ca.key.pem`,
/// `<bin>-rsa.{key,crt}.pem`, `<bin>-ec.{key,crt}.pem` and `participants.json`.
pub fn generate_demo_pki(out: &Path, seed: u64) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    for (name, contents) in demo_pki_files(seed)? {
        let path = out.join(&name);
        std::fs::write(&path, contents).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// The demo PKI as (file name, contents) pairs, in a fixed order.
pub fn demo_pki_files(seed: u64) -> anyhow::Result<Vec<(String, String)>> {
    let mut files = vec![("README.md".to_owned(), README.to_owned())];

    let ca_key = rsa_key(seed, "ca")?;
    let ca_signer = rsa::pkcs1v15::SigningKey::<Sha256>::new(ca_key.clone());
    let ca_subject = name(&[
        (rfc4519::C, Text::Printable("KZ")),
        (rfc4519::CN, Text::Utf8(DEMO_CA_COMMON_NAME)),
        (rfc4519::O, Text::Utf8("DEMO TEST ONLY — mock-server, never trust")),
    ])?;
    let ca_spki = SubjectPublicKeyInfoOwned::from_key(ca_key.to_public_key()).context("cannot encode the CA key")?;
    let ca_cert = issue::<_, rsa::pkcs1v15::Signature>(
        Profile::Root,
        serial(seed, "ca")?,
        validity((2025, 1, 1), (2045, 1, 1))?,
        ca_subject.clone(),
        ca_spki,
        &ca_signer,
    )?;
    files.push(("ca.pem".to_owned(), cert_pem(&ca_cert)?));
    files.push(("ca.key.pem".to_owned(), key_pem(&ca_key)?));

    let mut participants = Vec::new();
    for (org, id, kind, person) in demo_participants() {
        let mut subject = vec![
            (rfc4519::CN, Text::Utf8(&person.name)),
            (rfc4519::SN, Text::Utf8(&person.surname)),
        ];
        let serial_number = format!("IIN{}", person.iin);
        subject.push((rfc4519::SERIAL_NUMBER, Text::Printable(&serial_number)));
        subject.push((rfc4519::C, Text::Printable("KZ")));
        subject.push((rfc4519::O, Text::Utf8(org)));
        let ou = format!("BIN{id}");
        if kind == ParticipantKind::LegalEntity {
            subject.push((rfc4519::OU, Text::Printable(&ou)));
        }
        let subject = name(&subject)?;
        let leaf = || Profile::Leaf {
            issuer: ca_subject.clone(),
            enable_key_agreement: false,
            enable_key_encipherment: false,
        };
        let validity = validity((2025, 1, 1), (2035, 1, 1))?;

        let rsa_label = format!("{id}-rsa");
        let rsa_key = rsa_key(seed, &rsa_label)?;
        let rsa_spki = SubjectPublicKeyInfoOwned::from_key(rsa_key.to_public_key())
            .with_context(|| format!("cannot encode the public key {rsa_label}"))?;
        let rsa_cert = issue::<_, rsa::pkcs1v15::Signature>(
            leaf(),
            serial(seed, &rsa_label)?,
            validity,
            subject.clone(),
            rsa_spki,
            &ca_signer,
        )?;
        let rsa = KeyFiles {
            cert: format!("{rsa_label}.crt.pem"),
            key: format!("{rsa_label}.key.pem"),
        };
        files.push((rsa.cert.clone(), cert_pem(&rsa_cert)?));
        files.push((rsa.key.clone(), key_pem(&rsa_key)?));

        let ec_label = format!("{id}-ec");
        let ec_key = ec_key(seed, &ec_label);
        let ec_spki = SubjectPublicKeyInfoOwned::from_key(ec_key.public_key())
            .with_context(|| format!("cannot encode the public key {ec_label}"))?;
        let ec_cert = issue::<_, rsa::pkcs1v15::Signature>(
            leaf(),
            serial(seed, &ec_label)?,
            validity,
            subject,
            ec_spki,
            &ca_signer,
        )?;
        let ec = KeyFiles {
            cert: format!("{ec_label}.crt.pem"),
            key: format!("{ec_label}.key.pem"),
        };
        files.push((ec.cert.clone(), cert_pem(&ec_cert)?));
        files.push((ec.key.clone(), key_pem(&ec_key)?));

        participants.push(Participant {
            name: org.to_owned(),
            bin_or_iin: id.to_owned(),
            kind,
            signer: person,
            rsa,
            ec,
        });
    }

    let index = ParticipantsFile {
        version: 1,
        note: "TEST ONLY: demo participants of the True API (KZ) fake; their private keys are public.".to_owned(),
        ca: KeyFiles {
            cert: "ca.pem".to_owned(),
            key: "ca.key.pem".to_owned(),
        },
        participants,
    };
    let mut json = serde_json::to_string_pretty(&index).context("cannot serialize participants.json")?;
    json.push('\n');
    files.push(("participants.json".to_owned(), json));
    Ok(files)
}

/// Issue a certificate signed by `signer` (a CA key of any supported type).
pub(crate) fn issue<S, Sig>(
    profile: Profile,
    serial: SerialNumber,
    validity: Validity,
    subject: Name,
    spki: SubjectPublicKeyInfoOwned,
    signer: &S,
) -> anyhow::Result<Certificate>
where
    S: Keypair + DynSignatureAlgorithmIdentifier + Signer<Sig>,
    S::VerifyingKey: EncodePublicKey,
    Sig: SignatureBitStringEncoding,
{
    let builder = CertificateBuilder::new(profile, serial, validity, subject.clone(), spki, signer)
        .with_context(|| format!("cannot prepare the certificate for {subject}"))?;
    builder
        .build::<Sig>()
        .with_context(|| format!("cannot sign the certificate for {subject}"))
}

/// A directory string in the type a НУЦ certificate uses for that attribute.
pub(crate) enum Text<'a> {
    Utf8(&'a str),
    Printable(&'a str),
}

/// A distinguished name with one attribute per RDN, encoded in the order given (НУЦ order: CN first).
pub(crate) fn name(attributes: &[(ObjectIdentifier, Text<'_>)]) -> anyhow::Result<Name> {
    let mut rdns = Vec::new();
    for (oid, text) in attributes {
        let value = match text {
            Text::Utf8(s) => Any::encode_from(&Utf8StringRef::new(s)?),
            Text::Printable(s) => Any::encode_from(&PrintableStringRef::new(s)?),
        }
        .with_context(|| format!("cannot encode the name attribute {oid}"))?;
        let attribute = AttributeTypeAndValue { oid: *oid, value };
        rdns.push(RelativeDistinguishedName(SetOfVec::try_from(vec![attribute])?));
    }
    Ok(RdnSequence(rdns))
}

/// A validity period from midnight UTC of one date to midnight UTC of another.
pub(crate) fn validity(from: (u16, u8, u8), to: (u16, u8, u8)) -> anyhow::Result<Validity> {
    let time = |(year, month, day): (u16, u8, u8)| -> anyhow::Result<Time> {
        let date = DateTime::new(year, month, day, 0, 0, 0)?;
        Ok(Time::UtcTime(UtcTime::from_date_time(date)?))
    };
    Ok(Validity {
        not_before: time(from)?,
        not_after: time(to)?,
    })
}

/// 32 bytes derived from the seed and a label, so each key has its own reproducible stream.
fn derive(seed: u64, purpose: &str, label: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(seed.to_be_bytes());
    hasher.update(purpose.as_bytes());
    hasher.update([0]);
    hasher.update(label.as_bytes());
    hasher.finalize().into()
}

/// A positive 16-byte certificate serial derived from the seed and a label.
pub(crate) fn serial(seed: u64, label: &str) -> anyhow::Result<SerialNumber> {
    let mut bytes = derive(seed, "serial", label);
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    SerialNumber::new(&bytes[..16]).with_context(|| format!("cannot make the serial number of {label}"))
}

/// A deterministic RSA-2048 key for `label`.
pub(crate) fn rsa_key(seed: u64, label: &str) -> anyhow::Result<rsa::RsaPrivateKey> {
    rsa::RsaPrivateKey::new(&mut SeededRng::new(derive(seed, "key", label)), 2048)
        .with_context(|| format!("cannot generate the RSA key {label}"))
}

/// A deterministic P-256 key for `label`.
pub(crate) fn ec_key(seed: u64, label: &str) -> p256::SecretKey {
    p256::SecretKey::random(&mut SeededRng::new(derive(seed, "key", label)))
}

fn cert_pem(certificate: &Certificate) -> anyhow::Result<String> {
    certificate
        .to_pem(LineEnding::LF)
        .context("cannot encode a certificate as PEM")
}

fn key_pem(key: &impl EncodePrivateKey) -> anyhow::Result<String> {
    Ok(key
        .to_pkcs8_pem(LineEnding::LF)
        .context("cannot encode a private key as PKCS#8 PEM")?
        .to_string())
}

/// ChaCha20 (from the workspace's `rand_chacha`) behind the `rand_core` 0.6 traits that `rsa`
/// 0.9 and `p256` 0.13 expect. Seeded only: the fake never draws OS randomness for keys.
pub(crate) struct SeededRng(rand_chacha::ChaCha20Rng);

impl SeededRng {
    pub(crate) fn new(seed: [u8; 32]) -> SeededRng {
        SeededRng(rand_chacha::rand_core::SeedableRng::from_seed(seed))
    }
}

impl rand_core_06::RngCore for SeededRng {
    fn next_u32(&mut self) -> u32 {
        rand_chacha::rand_core::RngCore::next_u32(&mut self.0)
    }

    fn next_u64(&mut self) -> u64 {
        rand_chacha::rand_core::RngCore::next_u64(&mut self.0)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        rand_chacha::rand_core::RngCore::fill_bytes(&mut self.0, dest);
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core_06::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl rand_core_06::CryptoRng for SeededRng {}
