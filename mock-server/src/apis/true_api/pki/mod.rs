//! The cryptographic core of the True API (KZ) fake: the CMS signatures of `/auth/simpleSignIn`.
//!
//! A client proves who it is by signing the challenge from `GET /auth/key` with NCALayer's
//! `createCMSSignatureFromBase64(…, true)`: a CMS `SignedData` with the data attached, SHA-256,
//! RSA (the doc's sample) or ECDSA. This module is the only place that knows about CMS, X.509 and
//! keys; handlers call [`verify_signed_challenge`] and get the content plus the signer's ИИН/БИН.
//!
//! - [`verify`]: parse and check a signature at one of three [`Strictness`] levels.
//! - [`sign`]: what a client does ([`sign_attached`]); also behind `mock-server sign`.
//! - [`identity`]: the ИИН/БИН/CN/O that Kazakh НУЦ certificates carry in their subject.
//! - [`generate`]: the seeded generator of the TEST ONLY demo PKI in `fixtures/true_api/pki/`.
//! - [`bin_iin`]: the БИН/ИИН check digit.
//!
//! Nothing here reads the clock or OS randomness: key generation is seeded, signatures are
//! deterministic (PKCS#1 v1.5, RFC 6979 ECDSA) and carry no signing time.

pub mod bin_iin;
pub mod generate;
pub mod identity;
mod keys;
pub mod sign;
pub mod verify;

#[cfg(test)]
mod tests;

pub use generate::{DEMO_SEED, generate_demo_pki};
pub use identity::SignerIdentity;
pub use sign::sign_attached;
pub use verify::{
    SignedChallenge, Strictness, Trust, TrustError, VerifyError, decode_base64_cms, verify_signed_challenge,
    verify_signed_challenge_at,
};
