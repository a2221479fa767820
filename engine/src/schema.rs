//! Schema files: one system's payload, as the vendor's field table describes
//! it, plus the rules the vendor states in prose. See docs/schemas.md.
//!
//! Loading compiles everything once (date patterns, rule expressions,
//! message templates, decision tables) and reports every problem in the file
//! before giving up.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::value::{Map, Value};

use crate::datefmt::DatePattern;
use crate::diag::{Diagnostic, Diagnostics, Severity, Span};
use crate::expr::{Expr, Sandbox};
use crate::file_format as ff;
use crate::table::Table;
use crate::yaml::{self, span, Fields, Node};

/// The kind of value a field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Kind {
    /// Free text.
    Text,
    /// A whole number.
    Integer,
    /// A number with a fraction.
    Decimal,
    /// An amount of money (a decimal, 4 places unless `scale` says otherwise).
    Money,
    /// A date in the vendor's format.
    Date,
    /// A date and time in the vendor's format.
    Datetime,
    /// One of an enumerated list of codes.
    Code,
    /// True or false.
    Bool,
    /// A GUID.
    Guid,
    /// A list of items.
    List,
    /// A nested record.
    Object,
}

impl Kind {
    fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "text" => Kind::Text,
            "integer" => Kind::Integer,
            "decimal" => Kind::Decimal,
            "money" => Kind::Money,
            "date" => Kind::Date,
            "datetime" => Kind::Datetime,
            "code" => Kind::Code,
            "bool" => Kind::Bool,
            "guid" => Kind::Guid,
            "list" => Kind::List,
            "object" => Kind::Object,
            _ => return None,
        })
    }

    /// The name used in schema files.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Integer => "integer",
            Kind::Decimal => "decimal",
            Kind::Money => "money",
            Kind::Date => "date",
            Kind::Datetime => "datetime",
            Kind::Code => "code",
            Kind::Bool => "bool",
            Kind::Guid => "guid",
            Kind::List => "list",
            Kind::Object => "object",
        }
    }

    /// True for integer, decimal and money.
    pub fn is_number(self) -> bool {
        matches!(self, Kind::Integer | Kind::Decimal | Kind::Money)
    }
}

/// Where a field sits in XML.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum XmlPlace {
    /// A child element (the default).
    #[default]
    Element,
    /// An attribute of the record's element.
    Attribute,
    /// A list: `<wrapper><item/>...</wrapper>`.
    List {
        /// The wrapping element.
        wrapper: String,
        /// Each item's element.
        item: String,
    },
}

/// One field of a type.
#[derive(Clone, Debug)]
pub struct Field {
    /// The key (JSON) or element/attribute name (XML).
    pub name: String,
    /// What it holds.
    pub kind: Kind,
    /// Must be present and not blank.
    pub required: bool,
    /// At most this many characters.
    pub max_length: Option<usize>,
    /// Inclusive numeric minimum.
    pub min: Option<f64>,
    /// Inclusive numeric maximum.
    pub max: Option<f64>,
    /// Total digits allowed.
    pub digits: Option<u32>,
    /// Digits after the point allowed.
    pub scale: Option<u32>,
    /// A string may carry thousands commas.
    pub commas: bool,
    /// Codes and their meanings, for `code` fields.
    pub codes: Vec<(String, String)>,
    /// The date pattern, for `date` and `datetime`.
    pub format: Option<DatePattern>,
    /// The item or object type, for `list` and `object`.
    pub of: Option<String>,
    /// Fewest list items.
    pub min_items: Option<usize>,
    /// Most list items.
    pub max_items: Option<usize>,
    /// Ignored by the vendor: accepted, not checked.
    pub reserved: bool,
    /// A credential: never printed.
    pub secret: bool,
    /// Placement in XML.
    pub xml: XmlPlace,
    /// The vendor's words.
    pub doc: String,
    /// Messages that replace the built-in ones, by built-in rule id.
    pub messages: HashMap<String, String>,
    /// Where the field is declared.
    pub span: Span,
}

/// What a rule checks.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Check {
    /// These fields must not be blank.
    Require(Vec<String>),
    /// At least one of these must not be blank.
    RequireAny(Vec<String>),
    /// These fields must be blank.
    Forbid(Vec<String>),
    /// This must be true.
    Assert(Expr),
    /// Nothing beyond narrowing the field checks (`check_only`).
    Nothing,
}

/// A cross-field rule of a type.
#[derive(Clone, Debug)]
pub struct Rule {
    /// Stable id, reported as the error's rule.
    pub id: String,
    /// The rule applies only when this holds.
    pub when: Option<Expr>,
    /// What it checks.
    pub check: Check,
    /// The field an `assert` is about.
    pub field: Option<String>,
    /// While `when` holds, only these fields get field checks.
    pub check_only: Option<Vec<String>>,
    /// Name of the message template, if the rule has one.
    pub message: Option<String>,
    /// Error or warning.
    pub severity: Severity,
    /// The vendor's words.
    pub doc: String,
    /// Where the rule is declared.
    pub span: Span,
    /// Where its `when:` and its `assert:`/`script:` text begin.
    pub when_at: Option<Span>,
    pub assert_at: Option<Span>,
}

/// How to treat keys a type does not list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Additional {
    /// An error (the default: usually a typo).
    Error,
    /// A warning.
    Warn,
    /// Accepted silently.
    Allow,
}

/// A record type: fields and rules.
#[derive(Clone, Debug)]
pub struct Type {
    /// The type's name.
    pub name: String,
    /// The vendor's words.
    pub doc: String,
    /// Keys not listed.
    pub additional: Additional,
    /// Fields in table order.
    pub fields: Vec<Field>,
    /// Rules in file order.
    pub rules: Vec<Rule>,
    index: HashMap<String, usize, BuildFnv>,
    /// For each rule with a `when`, the slot of its condition among the
    /// type's distinct conditions (rules written with the same `when` share
    /// one, so a record answers each condition once).
    when_slots: Vec<Option<usize>>,
    /// The positions of the required fields that are not reserved: those a
    /// record must not leave out.
    required: Vec<usize>,
}

impl Type {
    /// The positions of the fields a record must not leave out (required
    /// and not reserved), in table order.
    pub(crate) fn required(&self) -> &[usize] {
        &self.required
    }

    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.index.get(name).map(|&i| &self.fields[i])
    }

    /// The position of the field called `name` in `fields`.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// The condition slot of rule `i` (see [`Type::when_slots`]).
    pub(crate) fn when_slot(&self, i: usize) -> Option<usize> {
        self.when_slots.get(i).copied().flatten()
    }

    fn new(
        name: &str,
        doc: String,
        additional: Additional,
        fields: Vec<Field>,
        rules: Vec<Rule>,
    ) -> Type {
        let index = fields
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name.clone(), i))
            .collect();
        let mut conditions: Vec<&str> = Vec::new();
        let when_slots = rules
            .iter()
            .map(|r| {
                let source = r.when.as_ref()?.source();
                Some(match conditions.iter().position(|c| *c == source) {
                    Some(slot) => slot,
                    None => {
                        conditions.push(source);
                        conditions.len() - 1
                    }
                })
            })
            .collect();
        let required = (fields.iter().enumerate())
            .filter(|(_, f)| f.required && !f.reserved)
            .map(|(i, _)| i)
            .collect();
        Type {
            name: name.to_string(),
            doc,
            additional,
            fields,
            rules,
            index,
            when_slots,
            required,
        }
    }
}

/// FNV-1a: field names are short and trusted (they come from the schema),
/// so a simple fast hash beats SipHash for the per-record field lookups.
#[derive(Clone, Copy, Default, Debug)]
pub struct BuildFnv;

/// The FNV-1a hasher state.
pub struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
        }
    }
}

impl std::hash::BuildHasher for BuildFnv {
    type Hasher = Fnv;
    fn build_hasher(&self) -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

/// Payload format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// JSON.
    Json,
    /// XML.
    Xml,
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Format::Json => "JSON",
            Format::Xml => "XML",
        })
    }
}

/// How records sit in one payload.
#[derive(Clone, Debug)]
pub struct Envelope {
    /// The key of the record list (`purchaseOrders`).
    pub key: String,
    /// Most records in one payload.
    pub max_records: Option<usize>,
}

/// A loaded schema.
#[derive(Clone, Debug)]
pub struct Schema {
    /// `<system>.<payload>`.
    pub name: String,
    /// The system's display name, used in messages.
    pub(crate) system: String,
    /// What the payload is.
    pub doc: String,
    /// JSON or XML.
    pub(crate) format: Format,
    /// The record list's envelope, if any.
    pub(crate) envelope: Option<Envelope>,
    /// The XML root element of one record.
    pub(crate) root: Option<String>,
    /// The record type's name.
    pub(crate) record: String,
    /// All types.
    pub(crate) types: Vec<Type>,
    /// Decision tables.
    pub(crate) tables: Vec<Table>,
    /// The file it came from.
    pub path: PathBuf,
    pub(crate) messages: Arc<crate::template::Templates>,
    /// Numbers written with fixed places (see `render::NumberPlan`):
    /// empty as loaded; a mapping's route fills its own copy.
    pub(crate) numbers: crate::render::NumberPlan,
}

impl Schema {
    /// The type called `name`.
    pub(crate) fn type_named(&self, name: &str) -> Option<&Type> {
        self.types
            .iter()
            .find(|t| crate::value::same_key(&t.name, name))
    }

    /// The record type.
    pub(crate) fn record_type(&self) -> &Type {
        self.type_named(&self.record).unwrap_or(&self.types[0])
    }

    /// The table called `name`.
    pub(crate) fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// Load and compile the schema file at `path`.
    pub fn from_path(path: &Path) -> Result<Schema, crate::Error> {
        Ok(Schema::load(path)?)
    }

    /// [`Schema::from_path`] with its findings as they are.
    pub(crate) fn load(path: &Path) -> Result<Schema, Diagnostics> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Diagnostics(vec![Diagnostic::error(
                Span::file(path),
                "unreadable",
                format!("cannot read the schema: {e}"),
            )])
        })?;
        Schema::compile(path, &text)
    }

    /// Compile schema text; `path` names it in diagnostics.
    pub fn from_str(path: &Path, text: &str) -> Result<Schema, crate::Error> {
        Ok(Schema::compile(path, text)?)
    }

    /// [`Schema::from_str`] with its findings as they are.
    pub(crate) fn compile(path: &Path, text: &str) -> Result<Schema, Diagnostics> {
        let mut root = yaml::parse(path, text).map_err(|d| Diagnostics(vec![d]))?;
        if let Some(base) = root.get("extends").cloned() {
            root = extend(path, &base, root)?;
        }
        let mut diags = Diagnostics::default();
        let schema = load(path, &root, &mut diags);
        if let Some(s) = schema.as_ref().filter(|_| !diags.has_errors()) {
            crate::resolve::check_schema(s, &mut diags);
        }
        match schema {
            Some(s) if !diags.has_errors() => Ok(s),
            _ => Err(diags),
        }
    }
}

/// `extends: <schema>`: this file is the named schema with its own keys on
/// top: a key given here replaces the base's, except that mappings merge key
/// by key and a type's `rules` are added to the base's. Pruvan's create
/// payload is the work-order schema plus the create minimum, written once.
fn extend(path: &Path, base_name: &Node, overlay: Node) -> Result<Node, Diagnostics> {
    let name = base_name.scalar_text().unwrap_or_default();
    let registry = crate::registry::Registry::discover(path.parent().unwrap_or(Path::new(".")));
    let Some(origin) = registry.find(&name) else {
        return Err(Diagnostics(vec![Diagnostic::error(
            span(path, base_name),
            "unknown-schema",
            format!("extends: no schema '{name}'"),
        )]));
    };
    let base_path = origin.path();
    let text = origin.text().map_err(|e| {
        Diagnostics(vec![Diagnostic::error(
            span(path, base_name),
            "unreadable",
            format!("extends: cannot read {origin}: {e}"),
        )])
    })?;
    let mut base = yaml::parse(&base_path, &text).map_err(|d| Diagnostics(vec![d]))?;
    // The base's nodes keep their file, so what is written there (a
    // decision table's rows, a finding) names the base, not this file.
    yaml::tag(&mut base, &Arc::from(base_path.as_path()));
    let mut merged = merge(base, overlay, "");
    if let yaml::Value::Map(entries) = &mut merged.value {
        entries.retain(|(k, _)| k.as_str() != Some("extends"));
    }
    Ok(merged)
}

fn merge(base: Node, overlay: Node, key: &str) -> Node {
    match (base.value, overlay.value) {
        (yaml::Value::Map(mut b), yaml::Value::Map(o)) => {
            for (k, v) in o {
                let name = k.scalar_text().unwrap_or_default();
                match b
                    .iter()
                    .position(|(bk, _)| bk.scalar_text().as_deref() == Some(name.as_str()))
                {
                    Some(i) => {
                        let old = b.remove(i).1;
                        b.insert(i, (k, merge(old, v, &name)));
                    }
                    None => b.push((k, v)),
                }
            }
            Node {
                value: yaml::Value::Map(b),
                ..base
            }
        }
        (yaml::Value::Seq(mut b), yaml::Value::Seq(o)) if key == "rules" => {
            b.extend(o);
            Node {
                value: yaml::Value::Seq(b),
                ..base
            }
        }
        (_, o) => Node {
            value: o,
            ..overlay
        },
    }
}

const RULE_IDS: [&str; 17] = [
    "required",
    "max-length",
    "invalid-number",
    "invalid-integer",
    "too-many-digits",
    "too-many-decimals",
    "below-minimum",
    "above-maximum",
    "unknown-code",
    "invalid-date",
    "invalid-guid",
    "invalid-bool",
    "wrong-type",
    "unknown-field",
    "too-many-items",
    "too-few-items",
    "too-many-records",
];

/// The built-in rule ids of field checks.
pub fn builtin_rule_ids() -> &'static [&'static str] {
    &RULE_IDS
}

struct Loader<'a> {
    file: &'a Path,
    diags: &'a mut Diagnostics,
    sandbox: Sandbox,
    env: crate::template::Templates,
    table_names: Vec<String>,
}

fn load(file: &Path, root: &Node, diags: &mut Diagnostics) -> Option<Schema> {
    let mut f = Fields::new(file, root, "a schema file", &ff::SCHEMA_FILE, diags)?;
    let name = text(file, f.take("schema"), "schema", true, diags);
    let system = f.take("system").and_then(Node::scalar_text);
    let doc = f
        .take("doc")
        .and_then(Node::scalar_text)
        .unwrap_or_default();
    let format = match f.take("format").map(|n| (n, n.as_str())) {
        None | Some((_, Some("json"))) => Format::Json,
        Some((_, Some("xml"))) => Format::Xml,
        Some((n, _)) => {
            diags.push(Diagnostic::error(
                span(file, n),
                "unknown-value",
                "format must be json or xml",
            ));
            Format::Json
        }
    };
    let envelope = f.take("envelope").and_then(|n| {
        let mut e = Fields::new(file, n, "envelope", &ff::ENVELOPE, diags)?;
        let key = text(file, e.take("key"), "envelope.key", true, diags);
        let max_records = e.take("max_records").and_then(|n| count(file, n, diags));
        e.finish("envelope", diags);
        Some(Envelope { key, max_records })
    });
    let xml_root = f.take("root").and_then(Node::scalar_text);
    let record_node = f.take("record");
    let record = text(file, record_node, "record", true, diags);
    let mut tables = Vec::new();
    if let Some(entries) = f.take("tables").and_then(Node::as_map) {
        for (k, v) in entries {
            let tname = k.scalar_text().unwrap_or_default();
            if let Some(t) = Table::load(file, &tname, v, diags) {
                t.check(file, k.line, diags);
                tables.push(t);
            }
        }
    }
    // Message templates render with the same budgets as mapping templates.
    let mut env = crate::template::Templates::new(crate::template::TemplateLimits::default());
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Lenient);
    let mut loader = Loader {
        file,
        diags,
        // Scripts in this schema's rules call `table()` as its expressions do.
        sandbox: Sandbox::with_calls(
            crate::expr::Limits::default(),
            Some(Arc::new(SchemaTables(tables.clone()))),
        ),
        env,
        table_names: tables.iter().map(|t| t.name.clone()).collect(),
    };
    let mut types = Vec::new();
    match f.take("types").and_then(Node::as_map) {
        Some(entries) => {
            for (k, v) in entries {
                if let Some(t) = loader.load_type(&k.scalar_text().unwrap_or_default(), v) {
                    types.push(t);
                }
            }
        }
        None => loader.diags.push(Diagnostic::error(
            span(file, root),
            "missing-key",
            "a schema needs `types`: a mapping of type names to their fields and rules",
        )),
    }
    let Loader { diags, env, .. } = loader;
    f.finish("a schema file", diags);
    check_references(file, &types, &record, record_node.unwrap_or(root), diags);
    let system =
        system.unwrap_or_else(|| name.split('.').next().unwrap_or("the target").to_string());
    (!types.is_empty()).then(|| Schema {
        name,
        system,
        doc,
        format,
        envelope,
        root: xml_root,
        record,
        types,
        tables,
        path: file.to_path_buf(),
        messages: Arc::new(env),
        numbers: Default::default(),
    })
}

fn check_references(
    file: &Path,
    types: &[Type],
    record: &str,
    record_node: &Node,
    diags: &mut Diagnostics,
) {
    if !record.is_empty() && !types.iter().any(|t| t.name == record) {
        diags.push(Diagnostic::error(
            span(file, record_node),
            "unknown-type",
            format!("record type '{record}' is not defined under `types`"),
        ));
    }
    for t in types {
        for f in &t.fields {
            if let Some(of) = &f.of {
                if !types.iter().any(|t| &t.name == of) {
                    diags.push(Diagnostic::error(
                        f.span.clone(),
                        "unknown-type",
                        format!(
                            "field '{}' is `of: {of}`, but there is no type '{of}'",
                            f.name
                        ),
                    ));
                }
            }
        }
        for r in &t.rules {
            let named: Vec<&String> = match &r.check {
                Check::Require(v) | Check::RequireAny(v) | Check::Forbid(v) => v.iter().collect(),
                _ => Vec::new(),
            };
            for n in named
                .into_iter()
                .chain(r.field.iter())
                .chain(r.check_only.iter().flatten())
            {
                if t.field(n).is_none() {
                    diags.push(Diagnostic::error(
                        r.span.clone(),
                        "unknown-field",
                        format!(
                            "rule '{}' names field '{n}', which type '{}' does not have",
                            r.id, t.name
                        ),
                    ));
                }
            }
        }
    }
}

fn text(
    file: &Path,
    node: Option<&Node>,
    what: &str,
    required: bool,
    diags: &mut Diagnostics,
) -> String {
    match node.map(|n| (n, n.scalar_text())) {
        Some((_, Some(s))) => s,
        Some((n, None)) => {
            diags.push(Diagnostic::error(
                span(file, n),
                "wrong-shape",
                format!("`{what}` must be text, found {}", n.kind()),
            ));
            String::new()
        }
        None if required => {
            diags.push(Diagnostic::error(
                Span::file(file),
                "missing-key",
                format!("`{what}` is required"),
            ));
            String::new()
        }
        None => String::new(),
    }
}

fn count(file: &Path, n: &Node, diags: &mut Diagnostics) -> Option<usize> {
    match n.value {
        yaml::Value::Int(i) if i >= 0 => Some(i as usize),
        _ => {
            diags.push(Diagnostic::error(
                span(file, n),
                "wrong-shape",
                format!("expected a whole number, found {}", n.kind()),
            ));
            None
        }
    }
}

fn number(file: &Path, n: &Node, diags: &mut Diagnostics) -> Option<f64> {
    match n.value {
        yaml::Value::Int(i) => Some(i as f64),
        yaml::Value::Float(f) => Some(f),
        _ => {
            diags.push(Diagnostic::error(
                span(file, n),
                "wrong-shape",
                format!("expected a number, found {}", n.kind()),
            ));
            None
        }
    }
}

fn names(file: &Path, n: &Node, diags: &mut Diagnostics) -> Vec<String> {
    match n.as_seq() {
        Some(items) => items.iter().filter_map(Node::scalar_text).collect(),
        None => {
            diags.push(Diagnostic::error(
                span(file, n),
                "wrong-shape",
                format!("expected a list of field names, found {}", n.kind()),
            ));
            Vec::new()
        }
    }
}

impl Loader<'_> {
    fn load_type(&mut self, name: &str, node: &Node) -> Option<Type> {
        let what = format!("type '{name}'");
        let mut f = Fields::new(self.file, node, &what, &ff::TYPE, self.diags)?;
        let doc = f
            .take("doc")
            .and_then(Node::scalar_text)
            .unwrap_or_default();
        let additional = match f.take("additional_fields").map(|n| (n, n.as_str())) {
            None | Some((_, Some("error"))) => Additional::Error,
            Some((_, Some("warn"))) => Additional::Warn,
            Some((_, Some("allow"))) => Additional::Allow,
            Some((n, _)) => {
                self.diags.push(Diagnostic::error(
                    span(self.file, n),
                    "unknown-value",
                    "additional_fields must be error, warn or allow",
                ));
                Additional::Error
            }
        };
        let mut fields = Vec::new();
        for (k, v) in f.take("fields").and_then(Node::as_map).unwrap_or(&[]) {
            if let Some(field) = self.load_field(&k.scalar_text().unwrap_or_default(), k, v) {
                fields.push(field);
            }
        }
        let mut rules = Vec::new();
        for r in f.take("rules").and_then(Node::as_seq).unwrap_or(&[]) {
            if let Some(rule) = self.load_rule(name, r) {
                rules.push(rule);
            }
        }
        f.finish(&what, self.diags);
        Some(Type::new(name, doc, additional, fields, rules))
    }

    fn load_field(&mut self, name: &str, key: &Node, node: &Node) -> Option<Field> {
        let file = self.file;
        let what = format!("field '{name}'");
        let mut f = Fields::new(file, node, &what, &ff::FIELD, self.diags)?;
        let kind = match f
            .take("type")
            .map(|n| (n, n.as_str().and_then(Kind::parse)))
        {
            Some((_, Some(k))) => k,
            Some((n, None)) => {
                self.diags.push(Diagnostic::error(
                    span(file, n),
                    "unknown-type",
                    format!(
                        "field '{name}' has unknown type '{}'; expected one of: text, integer, decimal, money, date, datetime, code, bool, guid, list, object",
                        n.scalar_text().unwrap_or_default()
                    ),
                ));
                Kind::Text
            }
            None => {
                self.diags.push(Diagnostic::error(
                    span(file, node),
                    "missing-key",
                    format!("field '{name}' needs a `type`"),
                ));
                Kind::Text
            }
        };
        let flag = |n: Option<&Node>| matches!(n.map(|n| &n.value), Some(yaml::Value::Bool(true)));
        let required = flag(f.take("required"));
        let reserved = flag(f.take("reserved"));
        let secret = flag(f.take("secret"));
        let commas = flag(f.take("commas"));
        let diags = &mut *self.diags;
        let max_length = f.take("max_length").and_then(|n| count(file, n, diags));
        let min = f.take("min").and_then(|n| number(file, n, diags));
        let max = f.take("max").and_then(|n| number(file, n, diags));
        let digits = f
            .take("digits")
            .and_then(|n| count(file, n, diags))
            .map(|d| d as u32);
        let scale = f
            .take("scale")
            .and_then(|n| count(file, n, diags))
            .map(|d| d as u32);
        let min_items = f.take("min_items").and_then(|n| count(file, n, diags));
        let max_items = f.take("max_items").and_then(|n| count(file, n, diags));
        let codes: Vec<(String, String)> = match f.take("codes") {
            Some(n) => match (n.as_map(), n.as_seq()) {
                (Some(m), _) => m
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.scalar_text().unwrap_or_default(),
                            v.scalar_text().unwrap_or_default(),
                        )
                    })
                    .collect(),
                (_, Some(s)) => s
                    .iter()
                    .filter_map(Node::scalar_text)
                    .map(|c| (c, String::new()))
                    .collect(),
                _ => {
                    diags.push(Diagnostic::error(
                        span(file, n),
                        "wrong-shape",
                        "codes must be a mapping of code to meaning",
                    ));
                    Vec::new()
                }
            },
            None => Vec::new(),
        };
        if kind == Kind::Code && codes.is_empty() {
            diags.push(Diagnostic::error(
                span(file, key),
                "missing-key",
                format!("code field '{name}' needs `codes`"),
            ));
        }
        let format = match f.take("format") {
            Some(n) => match DatePattern::new(&n.scalar_text().unwrap_or_default()) {
                Ok(p) => Some(p),
                Err(e) => {
                    diags.push(Diagnostic::error(span(file, n), "bad-date-format", e));
                    None
                }
            },
            None => None,
        };
        let of = f.take("of").and_then(Node::scalar_text);
        if matches!(kind, Kind::List | Kind::Object) && of.is_none() && kind == Kind::Object {
            diags.push(Diagnostic::error(
                span(file, key),
                "missing-key",
                format!("object field '{name}' needs `of: <type>`"),
            ));
        }
        let xml = match f.take("xml") {
            None => XmlPlace::Element,
            Some(n) if n.as_str() == Some("attribute") => XmlPlace::Attribute,
            Some(n) if n.as_str() == Some("element") => XmlPlace::Element,
            Some(n) if n.as_map().is_some() => {
                let mut xf = Fields::new(file, n, "xml", &ff::XML_LIST, diags)?;
                let (wrapper, item) = (xf.take("wrapper"), xf.take("item"));
                xf.finish("xml", diags);
                let or_name = |n: Option<&Node>| {
                    n.and_then(Node::scalar_text)
                        .unwrap_or_else(|| name.to_string())
                };
                XmlPlace::List {
                    wrapper: or_name(wrapper),
                    item: or_name(item),
                }
            }
            Some(n) => {
                diags.push(Diagnostic::error(
                    span(file, n),
                    "unknown-value",
                    "xml must be attribute, element or {wrapper, item}",
                ));
                XmlPlace::Element
            }
        };
        let doc = f
            .take("doc")
            .and_then(Node::scalar_text)
            .unwrap_or_default();
        let mut messages = HashMap::new();
        if let Some(m) = f.take("messages").and_then(Node::as_map) {
            for (k, v) in m {
                let id = k.scalar_text().unwrap_or_default();
                if !RULE_IDS.contains(&id.as_str()) {
                    diags.push(Diagnostic::error(
                        span(file, k),
                        "unknown-rule",
                        format!(
                            "'{id}' is not a built-in check; expected one of: {}",
                            RULE_IDS.join(", ")
                        ),
                    ));
                }
                messages.insert(id, v.scalar_text().unwrap_or_default());
            }
        }
        f.finish(&what, diags);
        Some(Field {
            name: name.to_string(),
            kind,
            required,
            max_length,
            min,
            max,
            digits,
            scale: scale.or((kind == Kind::Money).then_some(4)),
            commas,
            codes,
            format,
            of,
            min_items,
            max_items,
            reserved,
            secret,
            xml,
            doc,
            messages,
            span: span(file, key),
        })
    }

    fn expr(&mut self, n: &Node) -> Option<Expr> {
        let externals: Vec<&str> = if self.table_names.is_empty() {
            vec![]
        } else {
            vec!["table"]
        };
        let raw = n.scalar_text().unwrap_or_default();
        let text = raw.trim_start();
        match Expr::compile(text.trim_end(), &externals) {
            Ok(e) => Some(e),
            Err(e) => {
                let at =
                    crate::build::expr_span(self.file, n, &raw, raw.len() - text.len() + e.offset);
                self.diags.push(e.diagnostic(at));
                None
            }
        }
    }

    /// A rule's `script:` (rhai, in this schema's sandbox).
    fn script(&mut self, n: &Node) -> Option<Expr> {
        let raw = n.scalar_text().unwrap_or_default();
        match Expr::compile_script(&raw, &self.sandbox) {
            Ok(e) => Some(e),
            Err(e) => {
                self.diags.push(Diagnostic::error(
                    crate::build::expr_span(self.file, n, &raw, e.offset),
                    e.code,
                    e.message,
                ));
                None
            }
        }
    }

    fn load_rule(&mut self, type_name: &str, node: &Node) -> Option<Rule> {
        let file = self.file;
        let mut f = Fields::new(file, node, "a rule", &ff::SCHEMA_RULE, self.diags)?;
        let id = text(file, f.take("id"), "id", true, self.diags);
        let when_node = f.take("when");
        let when_at = when_node.map(|n| self.text_start(n));
        let when = when_node.and_then(|n| self.expr(n));
        let require = f.take("require").map(|n| names(file, n, self.diags));
        let require_any = f.take("require_any").map(|n| names(file, n, self.diags));
        let forbid = f.take("forbid").map(|n| names(file, n, self.diags));
        let (assert_node, assert) = match (f.take("assert"), f.take("script")) {
            (Some(n), _) => (Some(n), self.expr(n)),
            (None, Some(n)) => (Some(n), self.script(n)),
            (None, None) => (None, None),
        };
        let assert_at = assert_node.map(|n| self.text_start(n));
        let field = f.take("field").and_then(Node::scalar_text);
        let check_only = f.take("check_only").map(|n| names(file, n, self.diags));
        let severity = crate::yaml::severity(file, f.take("severity"), self.diags);
        let doc = f
            .take("doc")
            .and_then(Node::scalar_text)
            .unwrap_or_default();
        let message = match f.take("message") {
            Some(n) => {
                let tname = format!("{type_name}/{id}/{}", n.line);
                match self
                    .env
                    .add(tname.clone(), n.scalar_text().unwrap_or_default())
                {
                    Ok(()) => Some(tname),
                    Err(e) => {
                        self.diags.push(Diagnostic::error(
                            span(file, n),
                            "bad-template",
                            format!("the message does not compile: {e}"),
                        ));
                        None
                    }
                }
            }
            None => None,
        };
        f.finish("a rule", self.diags);
        let checks = [
            require.is_some(),
            require_any.is_some(),
            forbid.is_some(),
            assert_node.is_some(),
        ];
        if checks.iter().filter(|c| **c).count() > 1 {
            self.diags.push(Diagnostic::error(
                span(file, node),
                "ambiguous-rule",
                format!("rule '{id}' has more than one of require, require_any, forbid, assert; split it"),
            ));
        }
        let check = if let Some(r) = require {
            Check::Require(r)
        } else if let Some(r) = require_any {
            Check::RequireAny(r)
        } else if let Some(r) = forbid {
            Check::Forbid(r)
        } else if let Some(a) = assert {
            Check::Assert(a)
        } else if assert_node.is_some() {
            return None;
        } else {
            if check_only.is_none() {
                self.diags.push(Diagnostic::error(
                    span(file, node),
                    "empty-rule",
                    format!("rule '{id}' checks nothing: give it require, require_any, forbid, assert or check_only"),
                ));
            }
            Check::Nothing
        };
        Some(Rule {
            id,
            when,
            check,
            field,
            check_only,
            message,
            severity,
            doc,
            span: span(file, node),
            when_at,
            assert_at,
        })
    }

    /// Where the text of expression or script `n` begins (past leading blanks).
    fn text_start(&self, n: &Node) -> Span {
        let raw = n.scalar_text().unwrap_or_default();
        let blanks = raw.len() - raw.trim_start().len();
        crate::build::expr_span(self.file, n, &raw, blanks)
    }
}

impl Schema {
    /// Shape an XML value tree (from `read::parse_xml`) as a record
    /// of this schema: a list field's wrapper element holding repeated item
    /// elements becomes an array, an empty wrapper an empty array.
    pub fn record_from_xml(&self, tree: Value) -> Value {
        self.shape_xml(self.record_type(), tree)
    }

    fn shape_xml(&self, ty: &Type, tree: Value) -> Value {
        let Value::Object(mut map) = tree else {
            // An element with only text, `<InputXML/>` say: a record with no fields.
            return if tree.as_str().is_some_and(str::is_empty) {
                Value::Object(Map::new())
            } else {
                tree
            };
        };
        for f in &ty.fields {
            let key = match &f.xml {
                XmlPlace::List { wrapper, .. } => wrapper,
                _ => &f.name,
            };
            let Some(v) = map.remove(key) else { continue };
            let item_type = f.of.as_deref().and_then(|t| self.type_named(t));
            let shaped = match (f.kind, &f.xml) {
                (Kind::List, XmlPlace::List { item, .. }) => {
                    let items = match v {
                        Value::Object(mut inner) => inner.remove(item).unwrap_or(Value::Null),
                        Value::String(s) if s.is_empty() => Value::Array(Vec::new()),
                        other => other,
                    };
                    let items = match items {
                        Value::Array(a) => a,
                        Value::Null => Vec::new(),
                        one => vec![one],
                    };
                    Value::Array(
                        items
                            .into_iter()
                            .map(|i| item_type.map(|t| self.shape_xml(t, i.clone())).unwrap_or(i))
                            .collect(),
                    )
                }
                (Kind::List, _) => {
                    let items = match v {
                        Value::Array(a) => a,
                        one => vec![one],
                    };
                    Value::Array(
                        items
                            .into_iter()
                            .map(|i| item_type.map(|t| self.shape_xml(t, i.clone())).unwrap_or(i))
                            .collect(),
                    )
                }
                (Kind::Object, _) => item_type.map(|t| self.shape_xml(t, v.clone())).unwrap_or(v),
                _ => v,
            };
            map.insert(f.name.clone(), shaped);
        }
        Value::Object(map)
    }
}

impl Schema {
    /// Replace the values of secret fields in a record of this schema by
    /// "(secret)", for anything shown to a person (explain, test diffs).
    pub fn redact(&self, record: &mut Value) {
        fn walk(schema: &Schema, ty: &Type, v: &mut Value) {
            let Value::Object(map) = v else { return };
            for f in &ty.fields {
                let Some(fv) = map.get_mut(&f.name) else {
                    continue;
                };
                if f.secret {
                    *fv = Value::String("(secret)".into());
                    continue;
                }
                let Some(inner) = f.of.as_deref().and_then(|t| schema.type_named(t)) else {
                    continue;
                };
                match fv {
                    Value::Array(items) => items.iter_mut().for_each(|i| walk(schema, inner, i)),
                    other => walk(schema, inner, other),
                }
            }
        }
        walk(self, self.record_type(), record);
    }
}

/// The decision tables of a schema, for the scripts of its rules.
struct SchemaTables(Vec<Table>);

impl crate::expr::ExternalCalls for SchemaTables {
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, crate::expr::EvalError>> {
        if name != "table" {
            return None;
        }
        let table = args
            .first()
            .and_then(Value::as_str)
            .and_then(|t| self.0.iter().find(|x| x.name == t));
        Some(match (table, args.get(1)) {
            (Some(t), Some(input)) => t.call(input),
            _ => Err(crate::expr::EvalError::call(
                "table(name, #{input: value, ...}) names a table of this schema",
            )),
        })
    }
}

/// A schema's rules may call `table(name, #{...})` on its decision tables.
impl crate::expr::ExternalCalls for Schema {
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, crate::expr::EvalError>> {
        if name != "table" {
            return None;
        }
        Some(
            match (
                args.first()
                    .and_then(Value::as_str)
                    .and_then(|t| self.table(t)),
                args.get(1),
            ) {
                (Some(t), Some(input)) => t.call(input),
                _ => Err(crate::expr::EvalError::call(
                    "table(name, #{input: value, ...}) names a table of this schema",
                )),
            },
        )
    }
}
