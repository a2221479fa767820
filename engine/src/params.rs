//! Params: per-customer settings of a mapping (`--param K=V`, `--params FILE`),
//! declared with a type, checked before any record is read.

use std::path::Path;

use crate::value::{Map, Value};

use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::file_format as ff;
use crate::yaml::{span, Fields, Node};

/// A declared param.
#[derive(Clone, Debug)]
pub struct ParamSpec {
    /// Its name.
    pub name: String,
    /// `text`, `integer`, `decimal`, `bool` or `guid`.
    pub kind: String,
    /// Must be given (and has no default).
    pub required: bool,
    /// The value when not given.
    pub default: Option<Value>,
    /// Never printed.
    pub secret: bool,
    /// Allowed values, when listed.
    pub values: Vec<Value>,
    /// What it is for.
    pub doc: String,
}

impl ParamSpec {
    pub(crate) fn load(
        file: &Path,
        name: &str,
        node: &Node,
        diags: &mut Diagnostics,
    ) -> Option<ParamSpec> {
        let what = format!("param '{name}'");
        let mut f = Fields::new(file, node, &what, &ff::PARAM, diags)?;
        let type_node = f.take("type");
        let kind = type_node
            .and_then(Node::scalar_text)
            .unwrap_or_else(|| "text".into());
        if !["text", "integer", "decimal", "bool", "guid", "list", "map"].contains(&kind.as_str()) {
            diags.push(crate::diag::Diagnostic::error(
                span(file, node),
                "unknown-type",
                format!("param '{name}' has type '{kind}'; expected text, integer, decimal, bool, guid, list or map"),
            ));
        }
        let required = matches!(
            f.take("required").map(|n| &n.value),
            Some(crate::yaml::Value::Bool(true))
        );
        let secret = matches!(
            f.take("secret").map(|n| &n.value),
            Some(crate::yaml::Value::Bool(true))
        );
        let default_node = f.take("default");
        let default = default_node.map(Node::to_json);
        // A map param's default is known now: a badly written one is found
        // by `check`, not by every run that then stops before its first record.
        if let (Some(n), Some(d), "map") = (default_node, &default, kind.as_str()) {
            if let Err(e) = parse_map(d) {
                diags.push(crate::diag::Diagnostic::error(
                    span(file, n),
                    "wrong-shape",
                    format!("param '{name}' has a default that is no map: {e}"),
                ));
            }
        }
        let values = f
            .take("values")
            .and_then(Node::as_seq)
            .map(|s| s.iter().map(Node::to_json).collect())
            .unwrap_or_default();
        let doc = f
            .take("doc")
            .and_then(Node::scalar_text)
            .unwrap_or_default();
        f.finish(&what, diags);
        let spec = ParamSpec {
            name: name.to_string(),
            kind,
            required,
            default,
            secret,
            values,
            doc,
        };
        if let (Some(n), false) = (default_node, spec.kind == "map") {
            spec.check_default(file, n, type_node, diags);
        }
        Some(spec)
    }

    /// A default that its own type refuses (`type: integer, default: abc`)
    /// would stop every run that does not give the param: it is found at
    /// load. When the type was written in another layer than the default
    /// (an overlay that changes a param's type and not its default), the
    /// finding is at the type, which is what changed.
    fn check_default(
        &self,
        file: &Path,
        default: &Node,
        type_node: Option<&Node>,
        diags: &mut Diagnostics,
    ) {
        let Some(d) = self.default.as_ref().filter(|d| !d.is_null()) else {
            return;
        };
        let Err(why) = self.parse(d) else {
            return;
        };
        let shown = if self.secret {
            "(secret, value not shown)".to_string()
        } else {
            d.to_string()
        };
        let mut message = format!("param '{}' has default {shown}, which {why}", self.name);
        let in_file = |n: &Node| crate::yaml::file_of(file, n).to_path_buf();
        let at = match type_node {
            Some(t) if in_file(t) != in_file(default) => {
                message.push_str(&format!(
                    " (the default is at {}:{}; a layer that changes a param's type gives its default too)",
                    in_file(default).display(),
                    default.line
                ));
                t
            }
            _ => default,
        };
        diags.push(crate::diag::Diagnostic::error(
            span(file, at),
            "wrong-shape",
            message,
        ));
    }

    /// Turn text from the command line into a typed value.
    fn parse(&self, raw: &Value) -> Result<Value, String> {
        if self.kind == "map" {
            return parse_map(raw);
        }
        if self.kind == "list" {
            // A YAML/JSON list as it is; text (from --param) split on commas.
            let items = match raw {
                Value::Array(items) => items.clone(),
                Value::String(s) if s.trim().is_empty() => Vec::new(),
                Value::String(s) => s
                    .split(',')
                    .map(|p| Value::String(p.trim().to_string()))
                    .collect(),
                other => vec![other.clone()],
            };
            if let Some(bad) = items.iter().find(|i| {
                !self.values.is_empty()
                    && !self.values.iter().any(|a| crate::expr::values_equal(a, i))
            }) {
                return Err(format!(
                    "has {bad}, which is not one of {}",
                    Value::Array(self.values.clone())
                ));
            }
            return Ok(Value::Array(items));
        }
        // One value: a list, a map or null given for it (a JSON params
        // file, the playground, Python) is refused, not made into text.
        match raw {
            Value::Array(_) => {
                return Err(format!("is a list, where a {} is one value", self.kind))
            }
            Value::Object(_) => {
                return Err(format!("is a map, where a {} is one value", self.kind))
            }
            Value::Null => return Err(format!("is null, where a {} is one value", self.kind)),
            _ => {}
        }
        let text = match raw {
            Value::String(s) => s.trim().to_string(),
            other => other.to_string(),
        };
        let v = match self.kind.as_str() {
            "integer" => text
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| "is not a whole number".to_string())?,
            "decimal" => text
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| "is not a number".to_string())?,
            "bool" => match text.as_str() {
                "true" | "yes" | "on" | "1" => Value::Bool(true),
                "false" | "no" | "off" | "0" => Value::Bool(false),
                _ => return Err("is not true or false".into()),
            },
            "guid" => {
                let t = text.trim_matches(|c| c == '{' || c == '}');
                let ok = t.split('-').map(str::len).eq([8, 4, 4, 4, 12])
                    && t.chars().all(|c| c == '-' || c.is_ascii_hexdigit());
                if !ok {
                    return Err("is not a GUID (8-4-4-4-12 hexadecimal digits)".into());
                }
                Value::String(text)
            }
            _ => match raw {
                Value::String(s) => Value::String(s.clone()),
                other => Value::String(other.to_string()),
            },
        };
        if !self.values.is_empty() && !self.values.iter().any(|a| crate::expr::values_equal(a, &v))
        {
            return Err(format!(
                "is not one of {}",
                Value::Array(self.values.clone())
            ));
        }
        Ok(v)
    }
}

/// Param values as given by the user, before checking.
#[derive(Clone, Debug, Default)]
pub struct Params {
    pub(crate) given: Vec<(String, Value)>,
}

impl Params {
    /// From `K=V` pairs.
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Params {
        Params {
            given: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
                .collect(),
        }
    }

    /// Add one value (later values win).
    pub fn set(&mut self, key: &str, value: Value) {
        self.given.retain(|(k, _)| k != key);
        self.given.push((key.to_string(), value));
    }

    /// Parse `K=V`.
    pub fn set_pair(&mut self, pair: &str) -> Result<(), crate::Error> {
        // The text is not repeated: `--param TOKEN` with the `=` forgotten
        // is a secret on its own.
        let (k, v) = pair.split_once('=').ok_or_else(|| {
            problem("--param needs KEY=VALUE, and one has no '=' (its text is not shown: it may be a secret)"
                .to_string())
        })?;
        self.set(k.trim(), Value::String(v.to_string()));
        Ok(())
    }

    /// The params of a command line: the `--params` file's, then each
    /// `--param K=V` (which wins over the file). A name given twice with
    /// `--param` is an error naming it (never its values): the first would
    /// be dropped without a word.
    pub fn from_command_line(
        file: Option<&Path>,
        pairs: &[String],
    ) -> Result<Params, crate::Error> {
        let mut params = Params::default();
        if let Some(f) = file {
            params.load_file(f)?;
        }
        let mut seen = std::collections::HashSet::new();
        for pair in pairs {
            params.set_pair(pair)?;
            let (name, _) = params.given.last().expect("set_pair adds one");
            if !seen.insert(name.clone()) {
                return Err(problem(format!(
                    "--param {name} is given more than once (its values are not shown: they may be secret); give it once"
                )));
            }
        }
        Ok(params)
    }

    /// Read a YAML or JSON file of key: value. A file that cannot be read,
    /// is not YAML, or is not a mapping of name: value is
    /// [`Error::Diagnostics`](crate::Error::Diagnostics) (codes
    /// `unreadable`, `yaml`, `wrong-shape`), with the file, line and column.
    pub fn load_file(&mut self, path: &Path) -> Result<(), crate::Error> {
        let finding = |span, code, message: String| {
            crate::Error::Diagnostics(Diagnostics(vec![Diagnostic::error(span, code, message)]))
        };
        let text = std::fs::read_to_string(path).map_err(|e| {
            finding(
                Span::file(path),
                "unreadable",
                format!("cannot read the params file: {e}"),
            )
        })?;
        let node = crate::yaml::parse(path, &text)
            .map_err(|d| crate::Error::Diagnostics(Diagnostics(vec![d])))?;
        let entries = node.as_map().ok_or_else(|| {
            finding(
                span(path, &node),
                "wrong-shape",
                "a params file must be a mapping of name: value".to_string(),
            )
        })?;
        for (k, v) in entries {
            self.set(&k.scalar_text().unwrap_or_default(), v.to_json());
        }
        Ok(())
    }

    #[cfg(test)]
    fn names(&self) -> Vec<&str> {
        self.given.iter().map(|(k, _)| k.as_str()).collect()
    }

    /// The value of each of `specs` that a run would use, for a document:
    /// as [`Params::resolve`] checks them, but a required param not given
    /// is `None` rather than a problem (as is one with no default).
    pub(crate) fn values_used(
        &self,
        specs: &[ParamSpec],
    ) -> Result<Vec<Option<Value>>, Vec<String>> {
        let optional: Vec<ParamSpec> = specs
            .iter()
            .cloned()
            .map(|mut s| {
                s.required = false;
                s
            })
            .collect();
        let all = self.resolve(&optional)?;
        Ok(specs
            .iter()
            .map(|s| {
                let given = self.given.iter().any(|(k, _)| *k == s.name);
                (given || s.default.is_some())
                    .then(|| all.get(&s.name).cloned())
                    .flatten()
            })
            .collect())
    }

    /// Check against the declared params: every value typed, every required
    /// one present, no unknown names. All problems at once.
    pub(crate) fn resolve(&self, specs: &[ParamSpec]) -> Result<Value, Vec<String>> {
        let mut problems = Vec::new();
        let mut out = Map::new();
        for (k, _) in &self.given {
            if !specs.iter().any(|s| s.name == *k) {
                let known: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
                let near = crate::diag::did_you_mean(k, known.iter().copied());
                problems.push(format!(
                    "unknown param '{k}'{near}; this mapping takes: {}",
                    known.join(", ")
                ));
            }
        }
        for spec in specs {
            match self.given.iter().find(|(k, _)| *k == spec.name) {
                Some((_, raw)) => match spec.parse(raw) {
                    Ok(v) => {
                        out.insert(spec.name.clone(), v);
                    }
                    Err(why) if spec.secret => problems.push(format!(
                        "param '{}' (secret, value not shown) {why}",
                        spec.name
                    )),
                    Err(why) => problems.push(format!("param '{}' = {raw} {why}", spec.name)),
                },
                None => match &spec.default {
                    // A map's default is text too: parsed (and checked) here,
                    // once, as a given value is.
                    Some(d) if spec.kind == "map" => match parse_map(d) {
                        Ok(v) => {
                            out.insert(spec.name.clone(), v);
                        }
                        Err(why) => problems.push(format!(
                            "param '{}' has default {d}, which {why}",
                            spec.name
                        )),
                    },
                    Some(d) => {
                        out.insert(spec.name.clone(), d.clone());
                    }
                    None if spec.required => problems.push(format!(
                        "param '{}' is required ({}); give it with --param {}=...",
                        spec.name,
                        if spec.doc.is_empty() {
                            spec.kind.as_str()
                        } else {
                            spec.doc.as_str()
                        },
                        spec.name
                    )),
                    None => {
                        out.insert(spec.name.clone(), Value::Null);
                    }
                },
            }
        }
        if problems.is_empty() {
            Ok(Value::Object(out))
        } else {
            Err(problems)
        }
    }
}

/// A `map` param: a YAML map as it is (values as text), or text of
/// `KEY=VALUE` pairs separated by commas, names trimmed; a later pair for
/// the same key wins; blank pairs are skipped, so "" is the empty map.
fn parse_map(raw: &Value) -> Result<Value, String> {
    let mut out = Map::new();
    match raw {
        Value::Object(m) => {
            for (k, v) in m {
                out.insert(
                    k.clone(),
                    Value::String(crate::expr::to_text(v).into_owned()),
                );
            }
        }
        Value::String(s) => {
            for pair in s.split(',').filter(|p| !p.trim().is_empty()) {
                let Some((k, v)) = pair
                    .split_once('=')
                    .filter(|(k, v)| !k.trim().is_empty() && !v.contains('='))
                else {
                    return Err(format!(
                        "is not KEY=VALUE pairs separated by commas (P1=rush,P2=rework): '{}' is not KEY=VALUE",
                        pair.trim()
                    ));
                };
                out.shift_remove(k.trim());
                out.insert(k.trim().to_string(), Value::String(v.trim().to_string()));
            }
        }
        Value::Null => {}
        other => {
            return Err(format!(
                "is not a map or KEY=VALUE pairs separated by commas, but {}",
                crate::expr::type_name(other)
            ))
        }
    }
    Ok(Value::Object(out))
}

/// One problem with the params given.
fn problem(message: String) -> crate::Error {
    crate::Error::Params(vec![message])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    /// The one finding of loading `text` as a params file: file, line,
    /// column, code.
    fn params_file_finding(text: &str) -> (bool, u32, u32, &'static str, String) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("params.yaml");
        std::fs::write(&path, text).unwrap();
        let err = Params::default().load_file(&path).unwrap_err();
        let d = &err
            .diagnostics()
            .expect("a file's findings are diagnostics")
            .0[0];
        (
            d.span.file == path,
            d.span.line,
            d.span.column,
            d.code,
            d.message.clone(),
        )
    }

    #[test]
    fn a_params_file_that_is_no_yaml_or_no_map_says_where_with_a_code() {
        let (here, line, column, code, _) = params_file_finding("company_code: KM2\nbatch: [1\n");
        assert_eq!((here, line, column, code), (true, 2, 8, "yaml"));
        let (here, line, column, code, message) = params_file_finding("\n- KM2\n");
        assert_eq!((here, line, column, code), (true, 2, 1, "wrong-shape"));
        assert_eq!(message, "a params file must be a mapping of name: value");
        let missing = Path::new("/nonexistent/params.yaml");
        let err = Params::default().load_file(missing).unwrap_err();
        let d = &err
            .diagnostics()
            .expect("an unreadable file is a finding")
            .0[0];
        assert_eq!((d.span.line, d.code), (0, "unreadable"));
        assert!(err.to_string().starts_with(
            "/nonexistent/params.yaml: error[unreadable]: cannot read the params file: "
        ));
    }

    fn map_param(default: Option<Value>) -> ParamSpec {
        ParamSpec {
            name: "status_by_priority".into(),
            kind: "map".into(),
            required: false,
            default,
            secret: false,
            values: Vec::new(),
            doc: String::new(),
        }
    }

    /// A param of one value given a list, a map or null (a JSON params
    /// file, the playground, Python) is refused, not written as JSON text
    /// (review of issue 15).
    #[test]
    fn a_single_value_param_given_a_list_map_or_null_is_refused() {
        let text = ParamSpec {
            kind: "text".into(),
            ..map_param(None)
        };
        assert_eq!(
            text.parse(&json!(["a"])),
            Err("is a list, where a text is one value".into())
        );
        assert_eq!(
            text.parse(&json!({"k": "v"})),
            Err("is a map, where a text is one value".into())
        );
        assert_eq!(
            text.parse(&json!(null)),
            Err("is null, where a text is one value".into())
        );
        assert_eq!(text.parse(&json!(" x ")), Ok(json!(" x ")));
        assert_eq!(text.parse(&json!(5)), Ok(json!("5")));
    }

    #[test]
    fn map_text_is_pairs_trimmed_with_the_last_pair_winning() {
        let got = parse_map(&json!(" P1 = rush , ,P2=rework,P1=closed")).unwrap();
        assert_eq!(got, json!({"P2": "rework", "P1": "closed"}));
        assert_eq!(parse_map(&json!("")).unwrap(), json!({}));
        assert_eq!(
            parse_map(&json!({"P1": "rush", "P9": 9})).unwrap(),
            json!({"P1": "rush", "P9": "9"})
        );
    }

    #[test]
    fn map_text_without_one_equals_sign_per_pair_is_refused() {
        for bad in ["P1:rush", "P1=rush,P2", "P1=a=b", "=rush"] {
            let e = parse_map(&json!(bad)).unwrap_err();
            assert!(
                e.contains("is not KEY=VALUE pairs separated by commas"),
                "{bad}: {e}"
            );
        }
        assert!(parse_map(&json!([1])).unwrap_err().contains("but array"));
    }

    #[test]
    fn a_map_default_is_parsed_once_and_a_bad_one_is_a_problem() {
        let ok = Params::default()
            .resolve(&[map_param(Some(json!("P1=rush")))])
            .unwrap();
        assert_eq!(ok, json!({"status_by_priority": {"P1": "rush"}}));
        let bad = Params::default()
            .resolve(&[map_param(Some(json!("P1")))])
            .unwrap_err();
        assert_eq!(
            bad,
            vec!["param 'status_by_priority' has default \"P1\", which is not KEY=VALUE pairs separated by commas (P1=rush,P2=rework): 'P1' is not KEY=VALUE".to_string()]
        );
    }

    #[test]
    fn a_param_given_twice_on_the_command_line_is_refused_by_name_only() {
        let pairs = [
            "company_code=KM2".to_string(),
            "company_code=S3CRET".to_string(),
        ];
        let e = Params::from_command_line(None, &pairs).unwrap_err();
        let text = e.to_string();
        assert_eq!(
            text,
            "--param company_code is given more than once (its values are not shown: they may be secret); give it once"
        );
        assert!(!text.contains("KM2") && !text.contains("S3CRET"));
    }

    #[test]
    fn distinct_params_are_kept_in_order() {
        let pairs = ["a=1".to_string(), "b=2".to_string()];
        let p = Params::from_command_line(None, &pairs).unwrap();
        assert_eq!(p.names(), ["a", "b"]);
    }
}
