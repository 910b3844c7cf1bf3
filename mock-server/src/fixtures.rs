//! Where fixture data comes from: the set embedded in the binary, or a directory with the same
//! layout (`<dir>/<api>/<file>.json`). Files a directory lacks fall back to the embedded set.
//!
//! Loading errors name the file, the JSON path inside it and what was expected.

use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};
use serde::de::DeserializeOwned;

static EMBEDDED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../fixtures");

/// The fixture format version every file declares.
pub const FIXTURE_VERSION: u32 = 1;

/// Where to read fixtures from.
#[derive(Clone, Debug, Default)]
pub enum FixtureSource {
    #[default]
    Embedded,
    Dir(PathBuf),
}

/// A fixture that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("{file}: cannot read: {error}")]
    Io { file: String, error: std::io::Error },
    #[error("{file}: at {path}: {message}")]
    Parse {
        file: String,
        path: String,
        message: String,
    },
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
    #[error("fixture file {file} is missing (neither in the fixtures directory nor embedded)")]
    Missing { file: String },
}

impl FixtureSource {
    /// A human description for the startup log.
    pub fn describe(&self) -> String {
        match self {
            FixtureSource::Embedded => "embedded default set".to_owned(),
            FixtureSource::Dir(dir) => format!("{} (embedded defaults for files it lacks)", dir.display()),
        }
    }

    /// Read `api/file` as bytes, with the name to use in error messages.
    pub fn read(&self, api: &str, file: &str) -> Result<(String, Vec<u8>), FixtureError> {
        let relative = format!("{api}/{file}");
        if let FixtureSource::Dir(dir) = self {
            let path = dir.join(api).join(file);
            match std::fs::read(&path) {
                Ok(bytes) => return Ok((path.display().to_string(), bytes)),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => {
                    return Err(FixtureError::Io {
                        file: path.display().to_string(),
                        error,
                    });
                }
            }
        }
        EMBEDDED
            .get_file(Path::new(&relative))
            .map(|file| (format!("fixtures/{relative} (embedded)"), file.contents().to_vec()))
            .ok_or(FixtureError::Missing { file: relative })
    }

    /// Read and deserialize `api/file`, checking its `version`.
    pub fn load<T: DeserializeOwned + Versioned>(&self, api: &str, file: &str) -> Result<(String, T), FixtureError> {
        let (name, bytes) = self.read(api, file)?;
        let value = parse::<T>(&name, &bytes)?;
        if value.version() != FIXTURE_VERSION {
            return Err(FixtureError::Invalid {
                file: name,
                message: format!(
                    "version {} is not supported; expected \"version\": {FIXTURE_VERSION}",
                    value.version()
                ),
            });
        }
        Ok((name, value))
    }
}

/// Parse JSON with the path of the first error.
pub fn parse<T: DeserializeOwned>(file: &str, bytes: &[u8]) -> Result<T, FixtureError> {
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        FixtureError::Parse {
            file: file.to_owned(),
            path: if path == "." {
                "$".to_owned()
            } else {
                format!("$.{path}")
            },
            message: format!("{inner} (line {}, column {})", inner.line(), inner.column()),
        }
    })
}

/// Fixture files carry a format version.
pub trait Versioned {
    fn version(&self) -> u32;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        #[allow(dead_code)]
        items: Vec<Item>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Item {
        #[allow(dead_code)]
        gtin: String,
    }

    #[test]
    fn parse_errors_name_file_and_path() {
        let error = parse::<Doc>("x.json", br#"{"items": [{"gtin": "1"}, {"gtin": 5}]}"#).unwrap_err();
        let text = error.to_string();
        assert!(
            text.starts_with("x.json: at $.items[1].gtin: invalid type: integer `5`, expected a string"),
            "{text}"
        );
    }

    #[test]
    fn embedded_set_has_every_api_file() {
        for (api, file) in [
            ("ektru", "passports.json"),
            ("ektru", "keys.json"),
            ("alta", "cargo.json"),
            ("alta", "users.json"),
            ("alta", "aliases.json"),
        ] {
            FixtureSource::Embedded.read(api, file).unwrap();
        }
    }
}
