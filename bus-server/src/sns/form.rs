//! Query-protocol requests: form-encoded parameters (`Action=Publish&TopicArn=...`), with AWS's
//! flattened lists (`Tags.member.1.Key`) and maps (`Attributes.entry.1.key` / `.value`,
//! `MessageAttributes.entry.1.Name` / `.Value.DataType`).

use std::collections::BTreeMap;

use super::errors::SnsError;

/// Largest index accepted in a flattened list or map (AWS's own lists are far smaller).
const MAX_INDEX: usize = 1000;

/// The parameters of one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Form {
    params: BTreeMap<String, String>,
}

impl Form {
    /// Parses a form body or query string; fails on text that is not UTF-8.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Form, SnsError> {
        if std::str::from_utf8(bytes).is_err() {
            return Err(SnsError::malformed("The request is not valid UTF-8."));
        }
        let params = form_urlencoded::parse(bytes).into_owned().collect();
        Ok(Form { params })
    }

    /// A parameter.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.params.get(key).map(String::as_str)
    }

    /// Every parameter, by name.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// A required, non-empty parameter (`InvalidParameter` otherwise).
    pub(crate) fn req(&self, key: &str) -> Result<&str, SnsError> {
        self.get(key).filter(|v| !v.is_empty()).ok_or_else(|| {
            SnsError::invalid_parameter(format!("Invalid parameter: {key} Reason: no value for required parameter"))
        })
    }

    /// The sub-forms of a flattened list: `{prefix}.1.*`, `{prefix}.2.*`, ... in index order, each
    /// holding the keys after the index.
    pub(crate) fn indexed(&self, prefix: &str) -> Result<Vec<Form>, SnsError> {
        let head = format!("{prefix}.");
        let mut by_index: BTreeMap<usize, Form> = BTreeMap::new();
        for (k, v) in self.params.range(head.clone()..).take_while(|(k, _)| k.starts_with(&head)) {
            let rest = &k[head.len()..];
            let (index, sub) = rest.split_once('.').unwrap_or((rest, ""));
            let Ok(i) = index.parse::<usize>() else { continue };
            if i == 0 || i > MAX_INDEX {
                return Err(SnsError::invalid_parameter(format!(
                    "Invalid parameter: {prefix} Reason: index {i} out of range"
                )));
            }
            by_index.entry(i).or_default().params.insert(sub.to_owned(), v.clone());
        }
        Ok(by_index.into_values().collect())
    }

    /// A flattened map: `{prefix}.entry.N.{key}` / `{prefix}.entry.N.{value}`.
    pub(crate) fn map(&self, prefix: &str, key: &str, value: &str) -> Result<BTreeMap<String, String>, SnsError> {
        let mut out = BTreeMap::new();
        for entry in self.indexed(&format!("{prefix}.entry"))? {
            if let Some(k) = entry.get(key) {
                out.insert(k.to_owned(), entry.get(value).unwrap_or("").to_owned());
            }
        }
        Ok(out)
    }

    /// A flattened list of strings: `{prefix}.member.N`.
    pub(crate) fn list(&self, prefix: &str) -> Result<Vec<String>, SnsError> {
        Ok(self
            .indexed(&format!("{prefix}.member"))?
            .into_iter()
            .filter_map(|f| f.get("").map(str::to_owned))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattened_lists_and_maps() {
        let f = Form::parse(
            b"Action=CreateTopic&Name=t&Attributes.entry.2.key=B&Attributes.entry.2.value=2&Attributes.entry.1.key=A\
              &Attributes.entry.1.value=1&Tags.member.1.Key=k&Tags.member.1.Value=v&TagKeys.member.1=x&TagKeys.member.2=y\
              &M.entry.10.Name=late&M.entry.9.Name=early",
        )
        .unwrap();
        assert_eq!(f.get("Action"), Some("CreateTopic"));
        let attrs = f.map("Attributes", "key", "value").unwrap();
        assert_eq!(attrs.get("A").map(String::as_str), Some("1"));
        assert_eq!(attrs.get("B").map(String::as_str), Some("2"));
        let tags = f.indexed("Tags.member").unwrap();
        assert_eq!(tags[0].get("Key"), Some("k"));
        assert_eq!(f.list("TagKeys").unwrap(), ["x", "y"]);
        let m = f.indexed("M.entry").unwrap();
        assert_eq!(m[0].get("Name"), Some("early"), "numeric, not lexical, order");
        assert!(f.req("Missing").is_err());
        assert!(Form::parse(b"A=\xff").is_err());
        assert!(Form::parse(b"L.member.0=x").unwrap().list("L").is_err());
    }
}
