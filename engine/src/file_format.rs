//! The file formats' keys, in one table: what each YAML mapping of a
//! mapping, schema, test or rules file may hold, what each value looks like
//! and what it means.
//!
//! The loaders read their keys through [`crate::yaml::Fields`], which takes
//! a [`Section`] of this table and reports every key that is not in it as
//! `unknown-key`. The same table is written out as a JSON Schema (draft
//! 2020-12) for editors ([`FileFormat::json_schema`], `mapwright schema export
//! --file-format`) and as the key reference of docs/mappings.md and
//! docs/schemas.md ([`FileFormat::key_reference`]), so the editor's hover text, the docs
//! and what the loader accepts cannot drift apart.
//!
//! Why a table and not `schemars`: schemars derives a JSON Schema from serde
//! structs, and the loaders have none to derive from. They read a tree with
//! positions (yaml.rs says why: a field spec takes several shapes, and serde's
//! untagged enums would lose the line and column of each problem).

use crate::json;
use crate::value::{Map, Value};

mod tables;

pub(crate) use tables::*;

/// One key a loader accepts.
#[derive(Debug)]
pub(crate) struct Key {
    /// The key as written.
    pub name: &'static str,
    /// What its value looks like.
    pub value: Shape,
    /// What it means (docs and editor hover).
    pub doc: &'static str,
    /// Whether the loader refuses a mapping without it.
    pub required: bool,
}

/// The keys of one YAML mapping (a mapping file, a field spec, a rule...).
#[derive(Debug)]
pub(crate) struct Section {
    /// The name of its JSON Schema definition.
    pub id: &'static str,
    /// Its heading in the key reference.
    pub title: &'static str,
    /// What it is.
    pub doc: &'static str,
    /// Every key it may hold, in the order the loader reads them.
    pub keys: &'static [Key],
    /// Groups of keys of which the loader wants at least one (a test case
    /// needs an input and something it asserts), each with what it is for.
    pub at_least_one: &'static [(&'static [&'static str], &'static str)],
    /// Groups of keys of which the loader takes at most one (a schema rule
    /// with both require and forbid is `ambiguous-rule`).
    pub at_most_one: &'static [(&'static [&'static str], &'static str)],
    /// A key that makes the required keys optional: a schema that `extends:`
    /// another gets them from its base.
    pub required_unless: Option<&'static str>,
}

impl Section {
    /// Whether `name` is one of its keys.
    pub fn has(&self, name: &str) -> bool {
        self.keys.iter().any(|k| k.name == name)
    }

    /// Its key names, in table order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> {
        self.keys.iter().map(|k| k.name)
    }
}

/// What a value looks like.
#[derive(Debug)]
pub(crate) enum Shape {
    /// Anything (a constant, a default).
    Any,
    /// A scalar read as text (a name, a path): numbers and booleans are
    /// taken as written.
    Text,
    /// A string (a pattern, a template).
    Str,
    /// `true` or `false`.
    Flag,
    /// A whole number from `min` to `max`.
    Int { min: i64, max: Option<i64> },
    /// A number, or text holding one.
    Number,
    /// An expression (docs/expressions.md); a leading `=` is optional.
    Expr,
    /// One of these words.
    Choice(&'static [&'static str]),
    /// A list of these.
    List(&'static Shape),
    /// A mapping of names to these.
    Map(&'static Shape),
    /// One of these shapes.
    Either(&'static [Shape]),
    /// The section `with` when the mapping holds `flag` as `true` or
    /// `false`, else `without`: a test case, or a removal `{name: X,
    /// remove: true}` (whose `remove:` a case holds as a list). Unlike
    /// `Either`, a validator then reports the keys wrong in the one form.
    Flagged {
        flag: &'static str,
        with: &'static Section,
        without: &'static Section,
    },
    /// A mapping with these keys.
    Section(&'static Section),
    /// A field spec (the forms of docs/mappings.md, "Field specs").
    Spec,
    /// A record: a mapping of target field names to field specs.
    Record,
}

/// The file formats `mapwright schema export --file-format` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileFormat {
    /// A mapping file (`mapping:`).
    Mapping,
    /// A schema file (`schema:` with `types:`).
    Schema,
    /// A test file (`cases:` with `mapping:` or `schema:`).
    Test,
    /// A rules file shared by mappings (`rules:` alone).
    Rules,
}

impl FileFormat {
    /// Every format, in the order of the docs.
    pub const ALL: [FileFormat; 4] = [
        FileFormat::Mapping,
        FileFormat::Schema,
        FileFormat::Test,
        FileFormat::Rules,
    ];

    /// Its name on the command line and in file names (`mapping.schema.json`).
    pub fn name(self) -> &'static str {
        match self {
            FileFormat::Mapping => "mapping",
            FileFormat::Schema => "schema",
            FileFormat::Test => "test",
            FileFormat::Rules => "rules",
        }
    }

    /// The format called `name`, if there is one.
    pub fn from_name(name: &str) -> Option<FileFormat> {
        FileFormat::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The sections a file of this format starts with.
    fn roots(self) -> Vec<&'static Section> {
        match self {
            FileFormat::Mapping => vec![&MAPPING_FILE],
            FileFormat::Schema => vec![&SCHEMA_FILE],
            FileFormat::Test => vec![&MAPPING_TEST_FILE, &SCHEMA_TEST_FILE],
            FileFormat::Rules => vec![&RULES_FILE],
        }
    }

    fn title(self) -> &'static str {
        match self {
            FileFormat::Mapping => "mapwright mapping file",
            FileFormat::Schema => "mapwright schema file",
            FileFormat::Test => "mapwright test file",
            FileFormat::Rules => "mapwright rules file",
        }
    }
}

impl std::fmt::Display for FileFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl FileFormat {
    /// The JSON Schema (draft 2020-12) of this file format, for editors:
    /// every key with its description, unknown keys refused, and the forms
    /// of a field spec as the loader tells them apart.
    pub fn json_schema(self) -> Value {
        json_schema(self)
    }

    /// The key reference of this file format, as Markdown (the section of
    /// docs/mappings.md or docs/schemas.md between its markers).
    pub fn key_reference(self) -> String {
        key_reference(self)
    }
}

fn json_schema(format: FileFormat) -> Value {
    let mut defs = Map::new();
    for root in format.roots() {
        add_section(root, &mut defs);
    }
    defs.insert("field_spec".into(), field_spec_schema());
    add_section(&FIELD_SPEC, &mut defs);
    let mut out = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": format.title(),
    });
    match format.roots().as_slice() {
        [one] => {
            out["description"] = json!(one.doc);
            out["$ref"] = json!(def_ref(one));
        }
        [mapping_tests, schema_tests] => {
            // The loader tells the two kinds of test file apart by `mapping:`.
            out["description"] = json!(format!("{} {}", mapping_tests.doc, schema_tests.doc));
            out["if"] = json!({"type": "object", "required": ["mapping"]});
            out["then"] = json!({"$ref": def_ref(mapping_tests)});
            out["else"] = json!({"$ref": def_ref(schema_tests)});
        }
        _ => {}
    }
    if !format.roots().iter().any(|r| uses_spec(r, &mut Vec::new())) {
        defs.remove("field_spec");
        defs.remove(FIELD_SPEC.id);
    }
    out["$defs"] = Value::Object(defs);
    out
}

fn def_ref(section: &Section) -> String {
    format!("#/$defs/{}", section.id)
}

/// Whether a field spec can appear anywhere under `section`.
fn uses_spec(section: &'static Section, seen: &mut Vec<&'static str>) -> bool {
    if seen.contains(&section.id) {
        return false;
    }
    seen.push(section.id);
    section.keys.iter().any(|k| shape_uses_spec(&k.value, seen))
}

fn shape_uses_spec(shape: &'static Shape, seen: &mut Vec<&'static str>) -> bool {
    match shape {
        Shape::Spec | Shape::Record => true,
        Shape::List(s) | Shape::Map(s) => shape_uses_spec(s, seen),
        Shape::Either(all) => all.iter().any(|s| shape_uses_spec(s, seen)),
        Shape::Flagged { with, without, .. } => uses_spec(with, seen) || uses_spec(without, seen),
        Shape::Section(s) => uses_spec(s, seen),
        _ => false,
    }
}

/// Add `section` and every section under it to `defs`.
fn add_section(section: &'static Section, defs: &mut Map) {
    if defs.contains_key(section.id) {
        return;
    }
    // Claim the name first: sections nest into themselves (a field spec's
    // `record:` holds field specs).
    defs.insert(section.id.into(), Value::Null);
    let mut properties = Map::new();
    for key in section.keys {
        let mut schema = shape_schema(&key.value, defs);
        schema["description"] = json!(key.doc);
        properties.insert(key.name.into(), schema);
    }
    let mut out = json!({
        "type": "object",
        "description": section.doc,
        "properties": properties,
        "additionalProperties": false,
    });
    let required: Vec<&str> = section
        .keys
        .iter()
        .filter(|k| k.required)
        .map(|k| k.name)
        .collect();
    match section.required_unless {
        _ if required.is_empty() => {}
        None => out["required"] = json!(required),
        Some(key) => {
            out["if"] = json!({"not": {"required": [key]}});
            out["then"] = json!({"required": required});
        }
    }
    let required_each = |keys: &[&str]| {
        keys.iter()
            .map(|k| json!({"required": [k]}))
            .collect::<Vec<_>>()
    };
    let groups: Vec<Value> = section
        .at_least_one
        .iter()
        .map(|(keys, _)| json!({"anyOf": required_each(keys)}))
        .chain(
            section
                .at_most_one
                .iter()
                .map(|(keys, _)| json!({"not": {"anyOf": both_of_any_two(keys)}})),
        )
        .collect();
    if !groups.is_empty() {
        out["allOf"] = json!(groups);
    }
    defs.insert(section.id.into(), out);
}

/// The JSON Schema of one value; sections it names are added to `defs`.
fn shape_schema(shape: &'static Shape, defs: &mut Map) -> Value {
    match shape {
        Shape::Any => json!({}),
        Shape::Text => json!({"type": ["string", "number", "boolean"]}),
        Shape::Str => json!({"type": "string"}),
        Shape::Flag => json!({"type": "boolean"}),
        Shape::Int { min, max } => {
            let mut out = json!({"type": "integer", "minimum": min});
            if let Some(max) = max {
                out["maximum"] = json!(max);
            }
            out
        }
        Shape::Number => json!({"type": "number"}),
        Shape::Expr => json!({"type": ["string", "number", "boolean"]}),
        Shape::Choice(words) => json!({"enum": words}),
        Shape::List(item) => json!({"type": "array", "items": shape_schema(item, defs)}),
        Shape::Map(value) => {
            json!({"type": "object", "additionalProperties": shape_schema(value, defs)})
        }
        Shape::Either(shapes) => {
            json!({"anyOf": shapes.iter().map(|s| shape_schema(s, defs)).collect::<Vec<_>>()})
        }
        Shape::Section(section) => {
            add_section(section, defs);
            json!({"$ref": def_ref(section)})
        }
        Shape::Flagged {
            flag,
            with,
            without,
        } => {
            add_section(with, defs);
            add_section(without, defs);
            json!({
                "if": {"type": "object", "required": [flag], "properties": {*flag: {"type": "boolean"}}},
                "then": {"$ref": def_ref(with)},
                "else": {"$ref": def_ref(without)},
            })
        }
        Shape::Spec => json!({"$ref": "#/$defs/field_spec"}),
        Shape::Record => json!({
            "type": "object",
            "additionalProperties": {"$ref": "#/$defs/field_spec"},
        }),
    }
}

/// The forms of a field spec, told apart as the loader does
/// (`Compiler::field` in build.rs): text after `=` is an expression, text
/// starting `$.` or `$[` (or `$` alone) a JSONPath, a mapping the map form
/// with exactly one source key, anything else a constant.
fn field_spec_schema() -> Value {
    let sources: Vec<Value> = SPEC_SOURCE_KEYS
        .iter()
        .map(|key| match *key {
            // `record:` beside `for_each:` is the entry of the list, not a second source.
            "record" => json!({"required": ["record"], "not": {"required": ["for_each"]}}),
            _ => json!({"required": [key]}),
        })
        .collect();
    json!({
        "description": FIELD_SPEC_FORMS,
        "oneOf": [
            {"description": "An expression (docs/expressions.md), after `=`.",
             "type": "string", "pattern": "^="},
            {"description": "A JSONPath: the first match, from the current record.",
             "type": "string", "pattern": "^\\$([.\\[]|$)"},
            {"description": "A constant: the text as written (write text starting with `=` or `$.` with `const:`).",
             "type": "string", "not": {"pattern": "^(=|\\$([.\\[]|$))"}},
            {"description": "A constant: the value as written.",
             "type": ["number", "boolean", "null", "array"]},
            {"allOf": [{"$ref": def_ref(&FIELD_SPEC)}, {"oneOf": sources}]},
        ],
    })
}

/// The key reference of `format`, as Markdown: one table per section, in
/// the order they are met. docs/mappings.md and docs/schemas.md hold it
/// between `<!-- key reference: NAME -->` markers, and a test keeps it equal.
fn key_reference(format: FileFormat) -> String {
    let mut order: Vec<&'static Section> = Vec::new();
    for root in format.roots() {
        collect_sections(root, &mut order);
    }
    let mut out = String::new();
    for section in order {
        out.push_str(&format!("#### {}\n\n{}\n\n", section.title, section.doc));
        out.push_str("| key | value | meaning |\n|---|---|---|\n");
        for key in section.keys {
            let required = match section.required_unless {
                _ if !key.required => String::new(),
                None => " (required)".to_string(),
                Some(unless) => format!(" (required unless `{unless}`)"),
            };
            out.push_str(&format!(
                "| `{}`{required} | {} | {} |\n",
                key.name,
                shape_words(&key.value),
                key.doc.replace('|', "\\|")
            ));
        }
        for (keys, what) in section.at_least_one {
            out.push_str(&at_least_one_words(keys, what));
        }
        for (keys, what) in section.at_most_one {
            let keys: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
            out.push_str(&format!("\nAt most one of {} ({what}).\n", keys.join(", ")));
        }
        out.push('\n');
    }
    out
}

fn collect_sections(section: &'static Section, order: &mut Vec<&'static Section>) {
    if order.iter().any(|s| s.id == section.id) {
        return;
    }
    order.push(section);
    for key in section.keys {
        collect_shape(&key.value, order);
    }
}

fn collect_shape(shape: &'static Shape, order: &mut Vec<&'static Section>) {
    match shape {
        Shape::List(s) | Shape::Map(s) => collect_shape(s, order),
        Shape::Either(all) => all.iter().for_each(|s| collect_shape(s, order)),
        Shape::Flagged { with, without, .. } => {
            collect_sections(without, order);
            collect_sections(with, order);
        }
        Shape::Section(s) => collect_sections(s, order),
        Shape::Spec | Shape::Record => collect_sections(&FIELD_SPEC, order),
        _ => {}
    }
}

/// A value's shape in a few words, for the key reference.
fn shape_words(shape: &Shape) -> String {
    match shape {
        Shape::Any => "any value".into(),
        Shape::Text => "text".into(),
        Shape::Str => "text".into(),
        Shape::Flag => "`true` or `false`".into(),
        Shape::Int {
            min,
            max: Some(max),
        } => format!("a whole number, {min} to {max}"),
        Shape::Int { min, max: None } => format!("a whole number, at least {min}"),
        Shape::Number => "a number".into(),
        Shape::Expr => "an expression".into(),
        Shape::Choice(words) => words
            .iter()
            .map(|w| format!("`{w}`"))
            .collect::<Vec<_>>()
            .join(", "),
        Shape::List(item) => format!("a list of: {}", shape_words(item)),
        Shape::Map(value) => format!("a mapping of names to: {}", shape_words(value)),
        Shape::Either(all) => all
            .iter()
            .map(shape_words)
            .collect::<Vec<_>>()
            .join("; or "),
        Shape::Section(s) => s.title.to_lowercase(),
        Shape::Flagged {
            flag,
            with,
            without,
        } => format!(
            "{}; or, with `{flag}:` `true` or `false`, {}",
            without.title.to_lowercase(),
            with.title.to_lowercase()
        ),
        Shape::Spec => "a field spec".into(),
        Shape::Record => "a mapping of target fields to field specs".into(),
    }
}

/// `{"required": [a, b]}` for every two of `keys`.
fn both_of_any_two(keys: &[&str]) -> Vec<Value> {
    let mut out = Vec::new();
    for (i, a) in keys.iter().enumerate() {
        for b in &keys[i + 1..] {
            out.push(json!({"required": [a, b]}));
        }
    }
    out
}

/// "At least one of `a`, `b` (what)", or "`a` is required (what)" for one key.
fn at_least_one_words(keys: &[&str], what: &str) -> String {
    match keys {
        [only] => format!("\n`{only}` is required ({what}).\n"),
        _ => format!(
            "\nAt least one of {} ({what}).\n",
            keys.iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::project::FileKind;
    // jsonschema reads serde_json's values.
    use serde_json::{json, Value};

    fn repo() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the engine sits in the workspace")
            .to_path_buf()
    }

    #[test]
    fn test_file_descriptions_say_what_is_true_of_test_files() {
        let reference = FileFormat::Test.key_reference();
        assert!(
            reference.contains("\n`errors` is required (what it asserts).\n"),
            "{reference}"
        );
        assert!(
            !reference.contains("At least one of `errors` ("),
            "{reference}"
        );
        assert!(
            !reference.contains("mapwright doc"),
            "a test file's doc is not shown by doc"
        );
        let schema = FileFormat::Test.json_schema().to_string();
        assert!(!schema.contains("mapwright doc"), "{schema}");
        assert!(schema.contains("for people reading the test file"));
    }

    /// What the loader refuses (missing-key, ambiguous-rule, empty-rule,
    /// wrong-shape) the editor schemas refuse too.
    #[test]
    fn the_json_schemas_refuse_what_the_loader_refuses() {
        let mapping = validator(FileFormat::Mapping);
        let schema = validator(FileFormat::Schema);
        let base = json!({"mapping": "m", "source": "a.in", "target": "b.out"});
        let with = |v: &Value, key: &str, value: Value| {
            let mut v = v.clone();
            v[key] = value;
            v
        };
        assert!(mapping.is_valid(&with(&base, "record", json!({"a": "= x"}))));
        assert!(!mapping.is_valid(&base), "neither record: nor routes:");
        let route_without_record = json!([{"name": "r", "target": "b.out"}]);
        assert!(!mapping.is_valid(&with(&base, "routes", route_without_record)));
        let rules = |rule: Value| {
            json!({"schema": "s", "system": "s", "record": "t",
                "types": {"t": {"fields": {"a": {"type": "integer"}}, "rules": [rule]}}})
        };
        assert!(schema.is_valid(&rules(json!({"id": "r", "require": "a"}))));
        assert!(
            !schema.is_valid(&rules(json!({"id": "r", "require": "a", "forbid": "a"}))),
            "ambiguous-rule"
        );
        assert!(
            !schema.is_valid(&rules(json!({"id": "r", "when": "a == 1"}))),
            "empty-rule"
        );
        assert!(schema.is_valid(&rules(json!({"id": "r", "check_only": ["a"]}))));
        let min_as_text = json!({"schema": "s", "system": "s", "record": "t",
            "types": {"t": {"fields": {"a": {"type": "integer", "min": "5"}}}}});
        assert!(!schema.is_valid(&min_as_text), "min: \"5\" is wrong-shape");
    }

    fn validator(format: FileFormat) -> jsonschema::Validator {
        let schema: Value = format.json_schema().into();
        jsonschema::draft202012::meta::validate(&schema)
            .unwrap_or_else(|e| panic!("{format}: not a valid draft 2020-12 schema: {e}"));
        jsonschema::draft202012::new(&schema).expect("the schema compiles")
    }

    fn as_json(path: &Path, text: &str) -> Value {
        crate::yaml::parse(path, text)
            .unwrap_or_else(|d| panic!("{}: {d}", path.display()))
            .to_json()
            .into()
    }

    /// The problems `format`'s JSON Schema finds in `doc`, one line each.
    fn problems(format: FileFormat, doc: &Value) -> Vec<String> {
        validator(format)
            .iter_errors(doc)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    }

    fn format_of(kind: FileKind) -> Option<FileFormat> {
        match kind {
            FileKind::Mapping => Some(FileFormat::Mapping),
            FileKind::Schema => Some(FileFormat::Schema),
            FileKind::Tests => Some(FileFormat::Test),
            FileKind::Rules => Some(FileFormat::Rules),
            _ => None,
        }
    }

    #[test]
    fn every_shipped_file_passes_its_json_schema() {
        // Found as `mapwright check` finds them: by their first key.
        let found = crate::project::discover(&[repo().join("mappings"), repo().join("schemas")]);
        let mut counts = std::collections::BTreeMap::new();
        for (path, kind) in &found {
            let format =
                format_of(*kind).unwrap_or_else(|| panic!("{}: no format", path.display()));
            let text = std::fs::read_to_string(path).expect("readable");
            let problems = problems(format, &as_json(path, &text));
            assert!(
                problems.is_empty(),
                "{}:\n{}",
                path.display(),
                problems.join("\n")
            );
            *counts.entry(format.name()).or_insert(0) += 1;
        }
        // The shipped tree (more files may come, none may be missed).
        for (format, at_least) in [("mapping", 9), ("schema", 18), ("test", 27), ("rules", 1)] {
            assert!(counts.get(format) >= Some(&at_least), "{counts:?}");
        }
    }

    #[test]
    fn every_shipped_file_names_its_json_schema_on_line_one() {
        let found = crate::project::discover(&[repo().join("mappings"), repo().join("schemas")]);
        let shipped = repo().join("docs/json-schema");
        for (path, kind) in &found {
            let format = format_of(*kind).expect("a format");
            let want = shipped.join(format!("{format}.schema.json"));
            let text = std::fs::read_to_string(path).expect("readable");
            let first = text.lines().next().unwrap_or_default();
            let named = first
                .strip_prefix("# yaml-language-server: $schema=")
                .map(|rel| path.parent().expect("a folder").join(rel));
            let same = named
                .as_ref()
                .and_then(|n| std::fs::canonicalize(n).ok())
                .is_some_and(|n| n == std::fs::canonicalize(&want).expect("shipped"));
            assert!(
                same,
                "{}: line 1 should be `# yaml-language-server: $schema=<relative path to {}>` (it is `{first}`)",
                path.display(),
                want.display()
            );
        }
    }

    const SPECTRUM: &str = "mappings/oneserve-spectrum/order.yaml";

    #[test]
    fn a_misspelt_top_level_key_fails_the_json_schema_and_the_loader_alike() {
        let path = repo().join(SPECTRUM);
        let text = std::fs::read_to_string(&path).expect("readable") + "descripton: typo\n";
        let line = text.lines().count() as u32;
        let problems = problems(FileFormat::Mapping, &as_json(&path, &text));
        assert_eq!(
            problems,
            ["Additional properties are not allowed ('descripton' was unexpected) at "],
            "{problems:?}"
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let copy = dir.path().join("order.yaml");
        std::fs::write(&copy, &text).expect("written");
        let error = crate::Mapping::from_path(&copy).expect_err("refused");
        let diags = error.diagnostics().expect("findings");
        let unknown: Vec<_> = diags.iter().filter(|d| d.code == "unknown-key").collect();
        assert_eq!(unknown.len(), 1, "{diags}");
        assert_eq!(unknown[0].span.line, line);
        assert!(unknown[0]
            .message
            .starts_with("unknown key 'descripton' in a mapping file"));
    }

    #[test]
    fn a_misspelt_case_key_fails_the_json_schema_and_the_loader_alike() {
        let path = repo().join("mappings/oneserve-spectrum/tests/m.yaml");
        let text =
            "mapping: ../order.yaml\ncases:\n  - name: c\n    input: {}\n    output_include: {}\n";
        let problems = problems(FileFormat::Test, &as_json(&path, text));
        assert!(
            problems.iter().any(
                |p| p.contains("'output_include' was unexpected") && p.ends_with("at /cases/0")
            ),
            "{problems:?}"
        );
        let root = crate::yaml::parse(&path, text).expect("YAML");
        let diags = crate::testing::check_test_file(&path, &root);
        let unknown: Vec<_> = diags.0.iter().filter(|d| d.code == "unknown-key").collect();
        assert_eq!(unknown.len(), 1, "{diags}");
        assert_eq!(
            unknown[0].message,
            "unknown key 'output_include' in a test case"
        );
        assert_eq!(
            unknown[0].help.as_deref(),
            Some("did you mean 'output_includes'?")
        );
        assert_eq!((unknown[0].span.line, unknown[0].span.column), (5, 5));
    }

    #[test]
    fn a_case_removal_passes_the_json_schema_and_a_key_it_cannot_have_fails_both() {
        let path = repo().join("mappings/oneserve-spectrum/customers/example/tests/m.yaml");
        let good = "mapping: ../order.yaml\nextends: ../../../tests/order.yaml\ncases:\n  - {name: c, remove: true}\n  - name: d\n    input: {}\n    remove: [/a]\n    output: {}\n";
        assert_eq!(
            problems(FileFormat::Test, &as_json(&path, good)),
            Vec::<String>::new()
        );
        let bad = "mapping: ../order.yaml\nextends: ../../../tests/order.yaml\ncases:\n  - {name: c, remove: true, output: {}}\n";
        let problems = problems(FileFormat::Test, &as_json(&path, bad));
        assert!(
            problems
                .iter()
                .any(|p| p.contains("'output' was unexpected") && p.ends_with("at /cases/0")),
            "{problems:?}"
        );
        let root = crate::yaml::parse(&path, bad).expect("YAML");
        let diags = crate::testing::check_test_file(&path, &root);
        let unknown: Vec<_> = diags.0.iter().filter(|d| d.code == "unknown-key").collect();
        assert_eq!(unknown.len(), 1, "{diags}");
        assert_eq!(
            unknown[0].message,
            "unknown key 'output' in a case removal (`{name: X, remove: true}`)"
        );
        assert_eq!((unknown[0].span.line, unknown[0].span.column), (4, 29));
    }

    #[test]
    fn a_field_spec_takes_at_most_one_source_key() {
        let check = |spec: Value| {
            problems(
                FileFormat::Mapping,
                &json!({"mapping": "m", "target": "t", "record": {"F": spec}}),
            )
        };
        for ok in [
            json!("= job.ref"),
            json!("$.job.ref"),
            json!("P"),
            json!(1),
            json!(null),
            json!({"expr": "a", "round": 2}),
            json!({"for_each": "items", "record": {"id": "= id"}}),
            json!({"record": {"id": "= id"}}),
            json!({"lookup": "vendors", "key": "= team"}),
        ] {
            assert_eq!(check(ok.clone()), Vec::<String>::new(), "{ok}");
        }
        for bad in [
            json!({"expr": "a", "path": "$.a"}),
            json!({"round": 2}),
            json!({"expr": "a", "rond": 2}),
            json!({"expr": "a", "round": 29}),
            json!({"expr": "a", "as": "float"}),
        ] {
            assert!(!check(bad.clone()).is_empty(), "{bad} passed");
        }
    }

    /// The key reference of a doc is what [`key_reference`] writes, between
    /// its markers; `MAPWRIGHT_BLESS=1` writes it there.
    fn reference_in_doc(doc: &str, formats: &[FileFormat]) {
        let path = repo().join(doc);
        let text = std::fs::read_to_string(&path).expect("readable");
        let mut want = text.clone();
        for format in formats {
            let begin = format!("<!-- key reference: {format} (generated: edit engine/src/file_format/tables.rs) -->\n");
            let end = format!("<!-- end of key reference: {format} -->");
            let from = want
                .find(&begin)
                .unwrap_or_else(|| panic!("{doc} has no {begin}"))
                + begin.len();
            let to = want[from..]
                .find(&end)
                .unwrap_or_else(|| panic!("{doc} has no {end}"))
                + from;
            want.replace_range(from..to, &format!("\n{}", key_reference(*format)));
        }
        if want != text && std::env::var_os("MAPWRIGHT_BLESS").is_some() {
            std::fs::write(&path, &want).expect("written");
            return;
        }
        assert!(
            want == text,
            "the key reference in {doc} is not what engine/src/file_format/tables.rs says: run `MAPWRIGHT_BLESS=1 cargo test -p mapwright file_format`"
        );
    }

    #[test]
    fn the_docs_hold_the_key_reference_of_the_table() {
        reference_in_doc(
            "docs/mappings.md",
            &[FileFormat::Mapping, FileFormat::Test, FileFormat::Rules],
        );
        reference_in_doc("docs/schemas.md", &[FileFormat::Schema]);
    }

    #[test]
    fn every_key_has_a_description_and_every_section_its_own_name() {
        let mut seen = Vec::new();
        for format in FileFormat::ALL {
            let mut order = Vec::new();
            for root in format.roots() {
                collect_sections(root, &mut order);
            }
            collect_sections(&FIELD_SPEC, &mut order);
            for s in order {
                assert!(!s.doc.is_empty(), "{}", s.id);
                for k in s.keys {
                    assert!(k.doc.ends_with('.'), "{}.{}: {}", s.id, k.name, k.doc);
                }
                let names: Vec<_> = s.names().collect();
                let mut unique = names.clone();
                unique.sort();
                unique.dedup();
                assert_eq!(names.len(), unique.len(), "{} lists a key twice", s.id);
                if !seen.contains(&s.id) {
                    seen.push(s.id);
                }
            }
        }
        assert_eq!(seen.len(), 25, "{seen:?}");
    }
}
