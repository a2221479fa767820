//! Render: accepted records out as NDJSON (one record per line: the ETL
//! filter mode), JSON (the target's envelope, `{"purchaseOrders": [...]}`,
//! or with a batch size one envelope of at most that many records per
//! line), or XML (the target's elements and attributes, escaped by
//! quick-xml: one `<Batch>` document holding each record's element, or with
//! batch size 1 one document per record).

use std::collections::HashMap;
use std::io::{self, Write};

use crate::value::{Map, Value};
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

use crate::expr::to_text;
use crate::literal::Literals;
use crate::schema::{Kind, Schema, Type, XmlPlace};

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OutputFormat {
    /// One record per line, no envelope.
    Ndjson,
    /// The target's envelope.
    Json,
    /// XML documents.
    Xml,
}

impl OutputFormat {
    /// Parse a format name.
    pub fn parse(s: &str) -> Option<OutputFormat> {
        Some(match s {
            "ndjson" | "jsonl" => OutputFormat::Ndjson,
            "json" => OutputFormat::Json,
            "xml" => OutputFormat::Xml,
            _ => return None,
        })
    }
}

/// Writes accepted records in one format, keeping envelope state between calls.
pub struct Renderer<W: Write> {
    out: W,
    format: OutputFormat,
    batch_size: Option<usize>,
    in_batch: usize,
    written: usize,
}

impl<W: Write> Renderer<W> {
    /// Write to `out` in `format`: JSON as one envelope of every record,
    /// XML as one `<Batch>` document of every record.
    pub fn new(out: W, format: OutputFormat) -> Renderer<W> {
        Renderer {
            out,
            format,
            batch_size: None,
            in_batch: 0,
            written: 0,
        }
    }

    /// Write envelopes of at most `size` records, one envelope per line
    /// (JSON), or with `size` 1, one bare document per line (XML).
    pub fn with_batch_size(mut self, size: Option<usize>) -> Renderer<W> {
        self.batch_size = size.filter(|s| *s > 0);
        self
    }

    /// Write one record of `schema`.
    pub fn record(&mut self, schema: &Schema, record: &Value) -> io::Result<()> {
        let bytes = render_record(self.format, schema, record);
        self.rendered(schema, &bytes)
    }

    /// Write one record that the crate already rendered in this format.
    pub fn rendered(&mut self, schema: &Schema, bytes: &[u8]) -> io::Result<()> {
        let compact = self.batch_size.is_some();
        match self.format {
            OutputFormat::Ndjson => self.out.write_all(bytes)?,
            OutputFormat::Json => {
                if self.in_batch == 0 {
                    self.open_envelope(Some(schema))?;
                } else {
                    self.out.write_all(if compact { b"," } else { b",\n" })?;
                }
                self.out.write_all(bytes)?;
            }
            OutputFormat::Xml if self.batch_size == Some(1) => {
                self.out.write_all(XML_DECLARATION.as_bytes())?;
                self.out.write_all(bytes)?;
            }
            OutputFormat::Xml => {
                if self.in_batch == 0 {
                    self.out.write_all(XML_DECLARATION.as_bytes())?;
                    self.out.write_all(b"<Batch>\n")?;
                }
                self.out.write_all(bytes)?;
            }
        }
        self.in_batch += 1;
        self.written += 1;
        if self.batch_size.is_some_and(|n| self.in_batch >= n) {
            self.close_batch(Some(schema))?;
        }
        Ok(())
    }

    /// Records written so far.
    pub fn written(&self) -> usize {
        self.written
    }

    fn open_envelope(&mut self, schema: Option<&Schema>) -> io::Result<()> {
        let compact = self.batch_size.is_some();
        match schema.and_then(|s| s.envelope.as_ref()) {
            Some(env) => write!(
                self.out,
                "{{{}:[{}",
                serde_json::to_string(&env.key)?,
                if compact { "" } else { "\n" }
            ),
            None => self.out.write_all(if compact { b"[" } else { b"[\n" }),
        }
    }

    fn close_batch(&mut self, schema: Option<&Schema>) -> io::Result<()> {
        let compact = self.batch_size.is_some();
        match self.format {
            OutputFormat::Json => {
                if self.in_batch == 0 {
                    self.open_envelope(schema)?;
                }
                let end: &[u8] = match (schema.and_then(|s| s.envelope.as_ref()), compact) {
                    (Some(_), true) => b"]}\n",
                    (Some(_), false) => b"\n]}\n",
                    (None, true) => b"]\n",
                    (None, false) => b"\n]\n",
                };
                self.out.write_all(end)?;
            }
            OutputFormat::Xml if self.batch_size == Some(1) => {}
            OutputFormat::Xml => {
                if self.in_batch == 0 {
                    self.out.write_all(XML_DECLARATION.as_bytes())?;
                    self.out.write_all(b"<Batch/>\n")?;
                } else {
                    self.out.write_all(b"</Batch>\n")?;
                }
            }
            OutputFormat::Ndjson => {}
        }
        self.in_batch = 0;
        Ok(())
    }

    /// Close the open envelope and flush. With no records at all, JSON output
    /// is the empty envelope and XML an empty `<Batch/>`.
    pub fn finish(mut self, schema: Option<&Schema>) -> io::Result<W> {
        if self.in_batch > 0 || self.written == 0 {
            self.close_batch(schema)?;
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

const XML_DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// The numbers of a target record that are written with a fixed number of
/// places (a field spec's number `format: "0.00"`), as a tree of target
/// paths: a JSON value cannot carry `60.00` (serde_json's
/// `arbitrary_precision` would break rhai and minijinja), so the record
/// holds the rounded number and the writer gives it its places. Empty for a
/// schema as loaded; each route of a mapping fills its target's copy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NumberPlan {
    /// The places of the number at this path, if it is one the plan writes.
    pub places: Option<u32>,
    /// Fields of the object at this path.
    pub fields: HashMap<String, NumberPlan>,
    /// Every item of the list at this path.
    pub items: Option<Box<NumberPlan>>,
}

impl NumberPlan {
    /// True when the plan writes no number.
    pub fn is_empty(&self) -> bool {
        self.places.is_none() && self.fields.is_empty() && self.items.is_none()
    }

    /// The plan of field `name` under this one, made if missing.
    pub fn field(&mut self, name: &str) -> &mut NumberPlan {
        self.fields.entry(name.to_string()).or_default()
    }

    /// The plan of every item of the list at this path, made if missing.
    pub fn item(&mut self) -> &mut NumberPlan {
        self.items.get_or_insert_with(Default::default)
    }
}

/// `v` (a number, or text holding one) with exactly `places` places,
/// rounded half away from zero in decimal: `60` -> `"60.00"`.
pub fn fixed_places(v: &Value, places: u32) -> Option<String> {
    use rust_decimal::prelude::*;
    if let Some(text) = whole_with_places(v, places) {
        return Some(text);
    }
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_string(),
        _ => return None,
    };
    let mut d = Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .ok()?;
    d = d.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
    d.rescale(places);
    Some(d.to_string())
}

/// A whole number (60, 60.0) with `places` zeros: what the decimal path
/// writes, without building a decimal. `None` for zero written as a decimal
/// (its sign is the decimal's) and for numbers of 15 digits or more.
fn whole_with_places(v: &Value, places: u32) -> Option<String> {
    let Value::Number(n) = v else { return None };
    let whole = match n.as_i64() {
        Some(i) => i,
        None => {
            let f = n.as_f64()?;
            if f.fract() != 0.0 || f == 0.0 || f.abs() >= 1e15 {
                return None;
            }
            f as i64
        }
    };
    if whole.unsigned_abs() >= 1_000_000_000_000_000 || places > 10 {
        return None;
    }
    Some(match places {
        0 => whole.to_string(),
        p => format!("{whole}.{}", "0".repeat(p as usize)),
    })
}

/// The plan of field `key`: plans name a field or two, so a scan beats
/// hashing every key of every record written.
fn field_plan<'p>(plan: &'p NumberPlan, key: &str) -> Option<&'p NumberPlan> {
    plan.fields
        .iter()
        .find(|(name, _)| name.as_str() == key)
        .map(|(_, p)| p)
}

/// JSON text of `v`, numbers under `plan` with their places.
#[cfg(test)]
fn json_with_plan(out: &mut Vec<u8>, v: &Value, plan: &NumberPlan) {
    json_with_literals(out, v, Some(plan), None)
}

/// JSON text of `v`: numbers under `plan` with their places, numbers under
/// `literals` with the digits they were read with (crate::literal).
fn json_with_literals(
    out: &mut Vec<u8>,
    v: &Value,
    plan: Option<&NumberPlan>,
    literals: Option<&Literals>,
) {
    let plan = plan.filter(|p| !p.is_empty());
    if plan.is_none() && literals.is_none() {
        return json_plain(out, v);
    }
    match v {
        Value::Number(_) => {
            if let Some(text) = literals.and_then(|l| l.literal_for(v)) {
                out.extend_from_slice(text.as_bytes());
                return;
            }
            match plan.and_then(|p| p.places).and_then(|p| fixed_places(v, p)) {
                Some(text) => out.extend_from_slice(text.as_bytes()),
                None => {
                    let _ = serde_json::to_writer(&mut *out, v);
                }
            }
        }
        Value::Object(map) => json_object(out, map, |out, k, item| {
            let sub = plan.and_then(|p| field_plan(p, k));
            json_with_literals(out, item, sub, literals.and_then(|l| l.child(k)));
        }),
        Value::Array(items) => json_array(out, items, |out, i, item| {
            let sub = plan.and_then(|p| p.items.as_deref());
            json_with_literals(out, item, sub, literals.and_then(|l| l.item(i)));
        }),
        other => json_plain(out, other),
    }
}

/// `{"key":value,...}`, each value written by `value`.
fn json_object(out: &mut Vec<u8>, map: &Map, mut value: impl FnMut(&mut Vec<u8>, &str, &Value)) {
    out.push(b'{');
    for (i, (k, item)) in map.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        json_str(out, k);
        out.push(b':');
        value(out, k, item);
    }
    out.push(b'}');
}

/// `[item,...]`, each item written by `item`.
fn json_array(
    out: &mut Vec<u8>,
    items: &[Value],
    mut item: impl FnMut(&mut Vec<u8>, usize, &Value),
) {
    out.push(b'[');
    for (i, v) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        item(out, i, v);
    }
    out.push(b']');
}

/// The JSON text of `v`, as serde_json writes it (compact).
fn json_plain(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            let _ = serde_json::to_writer(&mut *out, n);
        }
        Value::String(s) => json_str(out, s),
        Value::Array(items) => json_array(out, items, |out, _, item| json_plain(out, item)),
        Value::Object(map) => json_object(out, map, |out, _, item| json_plain(out, item)),
    }
}

/// A JSON string. Most text needs no escape (no quote, backslash or
/// control character): it is copied whole, after one pass that checks
/// every byte without stopping early, which the compiler vectorises.
/// Anything else is written by serde_json, byte for byte as before.
fn json_str(out: &mut Vec<u8>, s: &str) {
    let escapes = s.bytes().fold(false, |any, b| {
        any | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if escapes {
        let _ = serde_json::to_writer(&mut *out, s);
        return;
    }
    out.reserve(s.len() + 2);
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

/// One record's bytes in `format`, as [`Renderer::rendered`] writes them:
/// NDJSON and XML with their line end, JSON without (the renderer adds the
/// envelope's commas). Workers call this so rendering runs in parallel.
pub fn render_record(format: OutputFormat, schema: &Schema, record: &Value) -> Vec<u8> {
    render_with_literals(format, schema, record, &Literals::default())
}

/// [`render_record`] for a record whose copied numbers keep the digits
/// they were read with (`Outcome::Accepted`'s `literals`).
pub fn render_with_literals(
    format: OutputFormat,
    schema: &Schema,
    record: &Value,
    literals: &Literals,
) -> Vec<u8> {
    let mut out = Vec::new();
    render_into(&mut out, format, schema, record, literals);
    out
}

/// [`render_with_literals`], appended to `out`: workers render a batch of
/// records into one buffer that goes back to them once written.
pub(crate) fn render_into(
    out: &mut Vec<u8>,
    format: OutputFormat,
    schema: &Schema,
    record: &Value,
    literals: &Literals,
) {
    let literals = (!literals.is_empty()).then_some(literals);
    match format {
        OutputFormat::Ndjson => {
            json_with_literals(out, record, Some(&schema.numbers), literals);
            out.push(b'\n');
        }
        OutputFormat::Json => json_with_literals(out, record, Some(&schema.numbers), literals),
        OutputFormat::Xml => {
            out.extend_from_slice(xml_with_literals(schema, record, literals).as_bytes());
            out.push(b'\n');
        }
    }
}

/// One record as an XML element (no declaration) with the schema's root element, fields in
/// the schema's order, attributes where the schema says so.
fn xml_with_literals(schema: &Schema, record: &Value, literals: Option<&Literals>) -> String {
    let mut w = Writer::new(Vec::new());
    let root = schema.root.as_deref().unwrap_or(&schema.record);
    let place = Place {
        plan: Some(&schema.numbers),
        literals,
    };
    write_element(&mut w, schema, schema.record_type(), root, record, place);
    String::from_utf8(w.into_inner()).unwrap_or_default()
}

/// What the writer knows of the numbers at one place of the record: their
/// places (a number format) and their literals (digits as read).
#[derive(Clone, Copy, Default)]
struct Place<'a> {
    plan: Option<&'a NumberPlan>,
    literals: Option<&'a Literals>,
}

impl<'a> Place<'a> {
    fn field(self, name: &str) -> Place<'a> {
        Place {
            plan: self.plan.and_then(|p| p.fields.get(name)),
            literals: self.literals.and_then(|l| l.child(name)),
        }
    }

    fn item(self, index: usize) -> Place<'a> {
        Place {
            plan: self.plan.and_then(|p| p.items.as_deref()),
            literals: self.literals.and_then(|l| l.item(index)),
        }
    }
}

/// Text as XML 1.0 can hold it: characters the standard forbids (most
/// control characters, U+FFFE, U+FFFF) cannot be escaped, so they become
/// U+FFFD, the replacement character, and the document stays well-formed.
fn xml_text(s: String) -> String {
    let allowed = |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..);
    if s.chars().all(allowed) {
        s
    } else {
        s.chars()
            .map(|c| if allowed(c) { c } else { '\u{FFFD}' })
            .collect()
    }
}

/// A money field with at least two places, as vendors write amounts
/// ("60.00", "6.3901").
fn money_text(v: &Value) -> Option<String> {
    let f = v.as_f64()?;
    let plain = scalar(v);
    let places = plain.split_once('.').map(|(_, d)| d.len()).unwrap_or(0);
    (places < 2 && f.is_finite())
        .then(|| format!("{f:.2}"))
        .or(Some(plain))
}

fn field_text(f: &crate::schema::Field, v: &Value, place: Place) -> String {
    let here = place.field(&f.name);
    if let Some(literal) = here.literals.and_then(|l| l.literal_for(v)) {
        return literal_text(f, literal);
    }
    let places = here.plan.and_then(|p| p.places);
    let text = match (places.and_then(|p| fixed_places(v, p)), f.kind) {
        (Some(fixed), _) => fixed,
        (None, Kind::Money) => money_text(v).unwrap_or_else(|| scalar(v)),
        (None, _) => scalar(v),
    };
    xml_text(text)
}

/// A number's literal as XML text: its digits without an exponent, and a
/// money field's two places at least.
fn literal_text(f: &crate::schema::Field, literal: &str) -> String {
    let plain = crate::literal::plain_digits(literal);
    let places = plain.split_once('.').map(|(_, d)| d.len()).unwrap_or(0);
    match (f.kind, places) {
        (Kind::Money, 0) => format!("{plain}.00"),
        (Kind::Money, 1) => format!("{plain}0"),
        _ => plain,
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(0.0);
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{f:.0}")
            } else {
                n.to_string()
            }
        }
        other => to_text(other).into_owned(),
    }
}

fn write_element(
    w: &mut Writer<Vec<u8>>,
    schema: &Schema,
    ty: &Type,
    name: &str,
    value: &Value,
    place: Place,
) {
    let Value::Object(map) = value else {
        let text = match place.literals.and_then(|l| l.literal_for(value)) {
            Some(literal) => crate::literal::plain_digits(literal),
            None => scalar(value),
        };
        let _ = w
            .create_element(name)
            .write_text_content(BytesText::new(&xml_text(text)));
        return;
    };
    let mut start = BytesStart::new(name);
    for f in ty.fields.iter().filter(|f| f.xml == XmlPlace::Attribute) {
        if let Some(v) = map.get(&f.name).filter(|v| !v.is_null()) {
            start.push_attribute((f.name.as_str(), field_text(f, v, place).as_str()));
        }
    }
    let children: Vec<_> = ty
        .fields
        .iter()
        .filter(|f| f.xml != XmlPlace::Attribute && map.contains_key(&f.name))
        .collect();
    if children.is_empty() {
        let _ = w.write_event(Event::Empty(start));
        return;
    }
    let _ = w.write_event(Event::Start(start));
    for f in children {
        let v = &map[&f.name];
        let item_type = f.of.as_deref().and_then(|t| schema.type_named(t));
        let sub = place.field(&f.name);
        match (&f.xml, f.kind, v) {
            (XmlPlace::List { wrapper, item }, _, Value::Array(items)) => {
                let _ = w.write_event(Event::Start(BytesStart::new(wrapper.as_str())));
                for (n, i) in items.iter().enumerate() {
                    let each = sub.item(n);
                    write_element(w, schema, item_type.unwrap_or(ty), item, i, each);
                }
                let _ = w.write_event(Event::End(BytesEnd::new(wrapper.as_str())));
            }
            (_, Kind::Object, _) if item_type.is_some() => {
                write_element(w, schema, item_type.unwrap_or(ty), &f.name, v, sub)
            }
            (_, _, Value::Null) => {
                let _ = w.write_event(Event::Empty(BytesStart::new(f.name.as_str())));
            }
            _ => {
                let _ = w
                    .create_element(f.name.as_str())
                    .write_text_content(BytesText::new(&field_text(f, v, place)));
            }
        }
    }
    let _ = w.write_event(Event::End(BytesEnd::new(name)));
}

#[cfg(test)]
mod whole_places_tests {
    use super::*;
    use crate::json;

    /// The decimal path `fixed_places` took for every number.
    fn by_decimal(v: &Value, places: u32) -> Option<String> {
        use rust_decimal::prelude::*;
        let text = v.as_number()?.to_string();
        let mut d = Decimal::from_str(&text)
            .or_else(|_| Decimal::from_scientific(&text))
            .ok()?;
        d = d.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
        d.rescale(places);
        Some(d.to_string())
    }

    #[test]
    fn whole_numbers_get_the_places_the_decimal_path_gives() {
        let values = [
            json!(0),
            json!(60),
            json!(-5),
            json!(60.0),
            json!(-7.0),
            json!(1.0),
            json!(99999999999999.0),
            json!(999999999999999i64),
            json!(1e15),
            json!(-0.0),
            json!(0.0),
            json!(2.5),
            json!(0.125),
            json!(i64::MAX),
        ];
        for v in &values {
            for places in [0, 1, 2, 4, 10, 12] {
                assert_eq!(
                    fixed_places(v, places),
                    by_decimal(v, places),
                    "{v} to {places}"
                );
            }
        }
        assert_eq!(whole_with_places(&json!(60.0), 2).as_deref(), Some("60.00"));
        assert_eq!(whole_with_places(&json!(-0.0), 2), None);
    }

    #[test]
    fn a_field_plan_is_found_by_name() {
        let mut plan = NumberPlan::default();
        plan.field("poDetails").item().field("Item_Price").places = Some(2);
        let rec = json!({"A": 1.5, "poDetails": [{"Item_Price": 60.0, "X": 2.0}]});
        let mut out = Vec::new();
        json_with_plan(&mut out, &rec, &plan);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"A":1.5,"poDetails":[{"Item_Price":60.00,"X":2.0}]}"#
        );
    }

    /// The engine's own writer gives serde_json's bytes, escapes and all.
    #[test]
    fn plain_json_is_what_serde_json_writes() {
        let texts = [
            "",
            "plain",
            "a \"quoted\" word",
            "back\\slash",
            "tab\there",
            "line\nend",
            "\u{0}\u{1f}",
            "\u{7f} del",
            "caf\u{e9} \u{2028} \u{1F600}",
            "</script>",
        ];
        for t in texts {
            let mut out = Vec::new();
            json_str(&mut out, t);
            assert_eq!(out, serde_json::to_vec(t).unwrap(), "{t:?}");
        }
        let v = json!({"k\"ey": [null, true, false, 1, -2.5, 1e300, "x\u{1}"], "": {}, "e": []});
        let mut out = Vec::new();
        json_plain(&mut out, &v);
        assert_eq!(out, serde_json::to_vec(&v).unwrap());
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_written_as_serde_json_writes_it(t in ".*") {
            let mut out = Vec::new();
            json_str(&mut out, &t);
            proptest::prop_assert_eq!(out, serde_json::to_vec(&t).unwrap());
        }
    }
}
