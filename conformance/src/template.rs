//! `{{ name }}` templates in scenario strings, with a few functions:
//! `{{ uuid() }}`, `{{ now() }}`, `{{ now("%Y-%m-%d") }}`, `{{ random_digits(6) }}`.

use std::collections::BTreeMap;

use rand::Rng as _;
use rand_chacha::ChaCha8Rng;

/// Variables of one scenario run, plus its seeded RNG.
pub struct Vars {
    values: BTreeMap<String, String>,
    rng: ChaCha8Rng,
}

impl Vars {
    pub fn new(values: BTreeMap<String, String>, rng: ChaCha8Rng) -> Self {
        Self { values, rng }
    }

    pub fn set(&mut self, name: &str, value: String) {
        self.values.insert(name.to_owned(), value);
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Replace every `{{ … }}` in `text`.
    pub fn render(&mut self, text: &str) -> Result<String, String> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find("}}").ok_or_else(|| format!("unclosed `{{{{` in {text:?}"))?;
            out.push_str(&self.evaluate(after[..end].trim())?);
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// Render every string inside a JSON value.
    pub fn render_json(&mut self, value: &serde_json::Value) -> Result<serde_json::Value, String> {
        Ok(match value {
            serde_json::Value::String(s) => serde_json::Value::String(self.render(s)?),
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.iter().map(|v| self.render_json(v)).collect::<Result<_, _>>()?)
            }
            serde_json::Value::Object(map) => serde_json::Value::Object(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), self.render_json(v)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => other.clone(),
        })
    }

    fn evaluate(&mut self, expression: &str) -> Result<String, String> {
        let Some((function, args)) = expression.strip_suffix(')').and_then(|e| e.split_once('(')) else {
            return self.values.get(expression).cloned().ok_or_else(|| {
                let known: Vec<&str> = self.values.keys().map(String::as_str).collect();
                format!("unknown variable `{expression}`; defined so far: {known:?}")
            });
        };
        let args = args.trim();
        match function.trim() {
            "uuid" => Ok(mock_server::platform::rng::uuid_v4(&mut self.rng)),
            "now" => {
                let now = crate::clock::wall_now();
                if args.is_empty() {
                    Ok(now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                } else {
                    let format = args.trim_matches('"');
                    let mut out = String::new();
                    use std::fmt::Write as _;
                    write!(out, "{}", now.format(format)).map_err(|_| format!("bad time format {format:?}"))?;
                    Ok(out)
                }
            }
            "random_digits" => {
                let n: usize = args
                    .parse()
                    .map_err(|_| format!("random_digits needs a count, got {args:?}"))?;
                Ok((0..n.min(64))
                    .map(|_| char::from(b'0' + self.rng.random_range(0..10u8)))
                    .collect())
            }
            other => Err(format!(
                "unknown function `{other}()`; known: uuid(), now(), now(\"%Y-%m-%d\"), random_digits(N)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars {
        Vars::new(
            BTreeMap::from([("code".to_owned(), "4102".to_owned())]),
            crate::clock::rng(1),
        )
    }

    #[test]
    fn renders_variables_and_functions() {
        let mut vars = vars();
        assert_eq!(vars.render("ektru={{ code }}&x={{code}}").unwrap(), "ektru=4102&x=4102");
        assert_eq!(vars.render("{{ random_digits(4) }}").unwrap().len(), 4);
        let uuid = vars.render("{{ uuid() }}").unwrap();
        assert_eq!(uuid.len(), 36);
        assert!(vars.render("{{ nope }}").unwrap_err().contains("unknown variable"));
        assert!(vars.render("{{ code").unwrap_err().contains("unclosed"));
    }

    #[test]
    fn the_same_seed_gives_the_same_values() {
        assert_eq!(
            vars().render("{{ uuid() }}").unwrap(),
            vars().render("{{ uuid() }}").unwrap()
        );
    }
}
