//! Render: accepted records out as NDJSON (one record per line: the ETL
//! filter mode), JSON (the target's envelope, `{"purchaseOrders": [...]}`),
//! or XML (the target's elements
//! and attributes, escaped by quick-xml).

use std::io::{self, Write};

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use serde_json::Value;

use crate::expr::to_text;
use crate::schema::{Kind, Schema, Type, XmlPlace};

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
    in_batch: usize,
}

impl<W: Write> Renderer<W> {
    /// Write to `out` in `format`.
    pub fn new(out: W, format: OutputFormat) -> Renderer<W> {
        Renderer {
            out,
            format,
            in_batch: 0,
        }
    }

    /// Write one record that [`render_record`] already rendered in this format.
    pub fn rendered(&mut self, schema: &Schema, bytes: &[u8]) -> io::Result<()> {
        match self.format {
            OutputFormat::Json => {
                if self.in_batch == 0 {
                    self.open_envelope(Some(schema))?;
                } else {
                    self.out.write_all(b",\n")?;
                }
                self.in_batch += 1;
                self.out.write_all(bytes)
            }
            _ => self.out.write_all(bytes),
        }
    }

    /// Write one record of `schema`.
    pub fn record(&mut self, schema: &Schema, record: &Value) -> io::Result<()> {
        match self.format {
            OutputFormat::Ndjson => {
                serde_json::to_writer(&mut self.out, record)?;
                self.out.write_all(b"\n")
            }
            OutputFormat::Json => {
                if self.in_batch == 0 {
                    self.open_envelope(Some(schema))?;
                } else {
                    self.out.write_all(b",\n")?;
                }
                serde_json::to_writer(&mut self.out, record)?;
                self.in_batch += 1;
                Ok(())
            }
            OutputFormat::Xml => {
                let xml = xml_document(schema, record);
                self.out.write_all(xml.as_bytes())?;
                self.out.write_all(b"\n")
            }
        }
    }

    fn open_envelope(&mut self, schema: Option<&Schema>) -> io::Result<()> {
        match schema.and_then(|s| s.envelope.as_ref()) {
            Some(env) => writeln!(self.out, "{{{}:[", serde_json::to_string(&env.key)?),
            None => self.out.write_all(b"[\n"),
        }
    }

    /// Close the envelope (JSON) and flush. With no records, JSON output is
    /// the empty envelope.
    pub fn finish(mut self, schema: Option<&Schema>) -> io::Result<W> {
        if self.format == OutputFormat::Json {
            if self.in_batch == 0 {
                self.open_envelope(schema)?;
            }
            match schema.and_then(|s| s.envelope.as_ref()) {
                Some(_) => self.out.write_all(b"\n]}\n")?,
                None => self.out.write_all(b"\n]\n")?,
            }
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

/// One record's bytes in `format`, as [`Renderer::rendered`] writes them:
/// NDJSON and XML with their line end, JSON without (the renderer adds the
/// envelope's commas). Workers call this so rendering runs in parallel.
pub fn render_record(format: OutputFormat, schema: &Schema, record: &Value) -> Vec<u8> {
    match format {
        OutputFormat::Ndjson => {
            let mut v = serde_json::to_vec(record).unwrap_or_default();
            v.push(b'\n');
            v
        }
        OutputFormat::Json => serde_json::to_vec(record).unwrap_or_default(),
        OutputFormat::Xml => {
            let mut v = xml_document(schema, record).into_bytes();
            v.push(b'\n');
            v
        }
    }
}

/// One record as an XML document with the schema's root element, fields in
/// the schema's order, attributes where the schema says so.
pub fn xml_document(schema: &Schema, record: &Value) -> String {
    let mut w = Writer::new(Vec::new());
    let _ = w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
    let root = schema.root.as_deref().unwrap_or(&schema.record);
    write_element(&mut w, schema, schema.record_type(), root, record);
    String::from_utf8(w.into_inner()).unwrap_or_default()
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

fn write_element(w: &mut Writer<Vec<u8>>, schema: &Schema, ty: &Type, name: &str, value: &Value) {
    let Value::Object(map) = value else {
        let _ = w
            .create_element(name)
            .write_text_content(BytesText::new(&scalar(value)));
        return;
    };
    let mut start = BytesStart::new(name);
    for f in ty.fields.iter().filter(|f| f.xml == XmlPlace::Attribute) {
        if let Some(v) = map.get(&f.name).filter(|v| !v.is_null()) {
            start.push_attribute((f.name.as_str(), scalar(v).as_str()));
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
        match (&f.xml, f.kind, v) {
            (XmlPlace::List { wrapper, item }, _, Value::Array(items)) => {
                let _ = w.write_event(Event::Start(BytesStart::new(wrapper.as_str())));
                for i in items {
                    match item_type {
                        Some(t) => write_element(w, schema, t, item, i),
                        None => write_element(w, schema, ty, item, i),
                    }
                }
                let _ = w.write_event(Event::End(BytesEnd::new(wrapper.as_str())));
            }
            (_, Kind::Object, _) if item_type.is_some() => {
                write_element(w, schema, item_type.unwrap_or(ty), &f.name, v)
            }
            (_, _, Value::Null) => {
                let _ = w.write_event(Event::Empty(BytesStart::new(f.name.as_str())));
            }
            _ => {
                let _ = w
                    .create_element(f.name.as_str())
                    .write_text_content(BytesText::new(&scalar(v)));
            }
        }
    }
    let _ = w.write_event(Event::End(BytesEnd::new(name)));
}
