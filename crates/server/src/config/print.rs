//! `confab config print`: the effective configuration as TOML, secrets masked.

use serde_json::Value;

use super::Config;

/// What a secret's value is replaced with.
pub const MASK: &str = "********";

/// The configuration as `confab.toml` text: settings first, then one table per section;
/// unset settings as comments. Secrets (the JWT and S3 keys) and the passwords in URLs are
/// masked.
pub fn to_toml(config: &Config) -> String {
    let mut value = serde_json::to_value(config).unwrap_or_default();
    mask(&mut value);
    let mut out = String::new();
    table(&mut out, &value, "");
    out
}

/// Masks secret settings (by name) and passwords in URLs (`scheme://user:password@host`),
/// wherever they are, so a setting added later is covered without a list to update.
pub fn mask(value: &mut Value) {
    let Value::Object(fields) = value else {
        return;
    };
    for (key, value) in fields.iter_mut() {
        match value {
            Value::Object(_) => mask(value),
            Value::Null => {}
            Value::String(_) | Value::Number(_) | Value::Bool(_) if is_secret_name(key) => {
                *value = Value::String(MASK.into());
            }
            Value::String(text) => *text = mask_url_password(text),
            Value::Array(items) => {
                for item in items {
                    if let Value::String(text) = item {
                        *text = mask_url_password(text);
                    }
                }
            }
            _ => {}
        }
    }
}

fn is_secret_name(key: &str) -> bool {
    ["secret", "password", "token", "access_key"]
        .iter()
        .any(|word| key.contains(word))
}

/// `postgres://confab:hunter2@db/confab` -> `postgres://confab:********@db/confab`.
pub fn mask_url_password(text: &str) -> String {
    let Some(scheme_end) = text.find("://") else {
        return text.to_owned();
    };
    let rest = &text[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return text.to_owned();
    };
    let Some(colon) = authority[..at].find(':') else {
        return text.to_owned();
    };
    format!(
        "{}{}:{MASK}{}",
        &text[..scheme_end + 3],
        &authority[..colon],
        &text[scheme_end + 3 + at..]
    )
}

fn table(out: &mut String, value: &Value, path: &str) {
    let Value::Object(fields) = value else {
        return;
    };
    for (key, value) in fields {
        match value {
            Value::Object(_) => {}
            Value::Null => out.push_str(&format!("# {key} = (unset)\n")),
            other => out.push_str(&format!("{key} = {}\n", inline(other))),
        }
    }
    for (key, value) in fields {
        if value.is_object() {
            let path = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            // A table holding only tables (`[features]`) needs no header of its own.
            if value
                .as_object()
                .is_some_and(|fields| fields.values().any(|v| !v.is_object()))
            {
                out.push_str(&format!("\n[{path}]\n"));
            }
            table(out, value, &path);
        }
    }
}

/// A TOML value: JSON's string escapes are valid in TOML basic strings.
fn inline(value: &Value) -> String {
    match value {
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(inline).collect::<Vec<_>>().join(", ")
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_masked_and_the_rest_kept() {
        assert_eq!(
            mask_url_password("postgres://confab:hunter2@db:5432/confab?sslmode=require"),
            "postgres://confab:********@db:5432/confab?sslmode=require"
        );
        assert_eq!(
            mask_url_password("redis://:s3cret@redis:6379/0"),
            "redis://:********@redis:6379/0"
        );
        assert_eq!(
            mask_url_password("postgres://confab@db/confab"),
            "postgres://confab@db/confab"
        );
        assert_eq!(
            mask_url_password("http://example.com/a:b@c"),
            "http://example.com/a:b@c"
        );
        assert_eq!(mask_url_password("not a url"), "not a url");
    }

    #[test]
    fn secrets_are_masked_by_name_at_any_depth() {
        let mut value = serde_json::json!({
            "jwt_secret": "abc",
            "database_url": "postgres://u:p@h/d",
            "files": {"s3": {"access_key_id": "AKIA", "secret_access_key": "xyz", "region": "eu"}},
            "unset_secret": null,
        });
        mask(&mut value);
        assert_eq!(
            value,
            serde_json::json!({
                "jwt_secret": MASK,
                "database_url": "postgres://u:********@h/d",
                "files": {"s3": {"access_key_id": MASK, "secret_access_key": MASK, "region": "eu"}},
                "unset_secret": null,
            })
        );
    }
}
