//! Who signed: the identifiers a Kazakh НУЦ certificate carries in its subject name.
//!
//! НУЦ РК puts the signer's ИИН in `SERIALNUMBER` as `IIN<12 digits>` and, for an employee of a
//! legal entity, the organisation's БИН in `OU` as `BIN<12 digits>`; `CN` is the person's name and
//! `O` the organisation's. Touch this when another identifier (e.g. `G`, `E`) becomes relevant.

use const_oid::db::rfc4519;
use der::asn1::{BmpString, Ia5StringRef, PrintableStringRef, TeletexStringRef, Utf8StringRef};
use der::{Tag, Tagged};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::name::Name;

/// The signer of a challenge, as read from its certificate's subject.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignerIdentity {
    /// The signer person's ИИН (`SERIALNUMBER=IIN…`, prefix stripped).
    pub iin: Option<String>,
    /// The organisation's БИН (`OU=BIN…`, prefix stripped); `None` for individuals and sole traders.
    pub bin: Option<String>,
    /// `CN`: the person's full name.
    pub common_name: Option<String>,
    /// `O`: the organisation's name.
    pub organisation: Option<String>,
}

impl SignerIdentity {
    /// The participant the signature speaks for: the БИН of a legal entity, else the person's ИИН
    /// (a sole trader is identified by the owner's ИИН).
    pub fn participant_id(&self) -> Option<&str> {
        self.bin.as_deref().or(self.iin.as_deref())
    }

    /// Read the identifiers from a certificate subject. Attributes with an unreadable string type
    /// are skipped; the first `SERIALNUMBER`/`CN`/`O` wins, and the first `OU` that starts with
    /// `BIN` gives the БИН.
    pub fn from_subject(subject: &Name) -> SignerIdentity {
        let mut identity = SignerIdentity::default();
        for attribute in subject.0.iter().flat_map(|rdn| rdn.0.iter()) {
            let Some(value) = attribute_string(attribute) else {
                continue;
            };
            let oid = attribute.oid;
            if oid == rfc4519::SERIAL_NUMBER {
                set_once(&mut identity.iin, value.strip_prefix("IIN").unwrap_or(&value));
            } else if oid == rfc4519::CN {
                set_once(&mut identity.common_name, &value);
            } else if oid == rfc4519::O {
                set_once(&mut identity.organisation, &value);
            } else if let (true, Some(bin)) = (oid == rfc4519::OU, value.strip_prefix("BIN")) {
                set_once(&mut identity.bin, bin);
            }
        }
        identity
    }
}

fn set_once(slot: &mut Option<String>, value: &str) {
    if slot.is_none() {
        *slot = Some(value.to_owned());
    }
}

/// The text of a directory-string attribute value, whatever string type the CA chose.
fn attribute_string(attribute: &AttributeTypeAndValue) -> Option<String> {
    let value = &attribute.value;
    match value.tag() {
        Tag::Utf8String => Utf8StringRef::try_from(value).ok().map(|s| s.as_str().to_owned()),
        Tag::PrintableString => PrintableStringRef::try_from(value).ok().map(|s| s.as_str().to_owned()),
        Tag::Ia5String => Ia5StringRef::try_from(value).ok().map(|s| s.as_str().to_owned()),
        Tag::TeletexString => TeletexStringRef::try_from(value).ok().map(|s| s.as_str().to_owned()),
        Tag::BmpString => value.decode_as::<BmpString>().ok().map(|s| s.to_string()),
        _ => None,
    }
}
