//! The keys of every section of every file format. A loader that reads a
//! key names its section here; a key missing from its section is refused by
//! the loader (`unknown-key`) and by the JSON Schema alike.

use super::{Key, Section, Shape};

const fn key(name: &'static str, value: Shape, doc: &'static str) -> Key {
    Key {
        name,
        value,
        doc,
        required: false,
    }
}

const fn required(name: &'static str, value: Shape, doc: &'static str) -> Key {
    Key {
        name,
        value,
        doc,
        required: true,
    }
}

const fn section(
    id: &'static str,
    title: &'static str,
    doc: &'static str,
    keys: &'static [Key],
) -> Section {
    Section {
        id,
        title,
        doc,
        keys,
        at_least_one: &[],
        at_most_one: &[],
        required_unless: None,
    }
}

const DOC: &str = "What it is for, in words (shown by `mapwright doc` and `schema show`).";
/// A test file's or case's `doc:`: no command shows it.
const TEST_DOC: &str = "What it checks, in words, for people reading the test file.";

// ---------------------------------------------------------------- mapping files

pub(crate) static MAPPING_FILE: Section = Section {
    at_least_one: &[(&["record", "routes", "extends"], "what it builds (or the base it extends)")],
    ..section(
        "mapping_file",
        "Mapping file",
        "A mapping: turns one system's records into another system's payloads (docs/mappings.md).",
        &[
            key("mapping", Shape::Text, "Its name (reports, rejects)."),
            key("doc", Shape::Text, "What it does."),
            key(
                "extends",
                Shape::Text,
                "A base mapping (relative to this file) this one is an overlay on: its keys merge into the base's (docs/mappings.md, \"Layered mappings\").",
            ),
            key(
                "source",
                Shape::Text,
                "The source schema: input records are checked against it first.",
            ),
            key(
                "target",
                Shape::Text,
                "The schema of the record built by `record:`.",
            ),
            key(
                "params",
                Shape::Map(&Shape::Section(&PARAM)),
                "Per-customer settings, given with `--param K=V` or `--params FILE`.",
            ),
            key(
                "lookups",
                Shape::Map(&Shape::Section(&LOOKUP)),
                "Lookups by name: a CSV file beside the mapping or an inline map.",
            ),
            key(
                "tables",
                Shape::Map(&Shape::Section(&TABLE)),
                "Decision tables by name, as in schemas (docs/schemas.md).",
            ),
            key(
                "limits",
                Shape::Section(&LIMITS),
                "The budget of one unit's expressions.",
            ),
            key(
                "select",
                Shape::Text,
                "A JSONPath picking records out of a JSON document.",
            ),
            key(
                "let",
                Shape::Map(&Shape::Expr),
                "Values computed once per unit, in order, seen everywhere below.",
            ),
            key(
                "where",
                Shape::Expr,
                "Records for which it is false are skipped.",
            ),
            key(
                "skip",
                Shape::List(&Shape::Section(&SKIP)),
                "Skip on purpose, with a reason (counted, never dropped).",
            ),
            key(
                "rules_from",
                Shape::Text,
                "A rules file shared by several mappings, relative to this file.",
            ),
            key(
                "rules",
                Shape::List(&Shape::Section(&MAPPING_RULE)),
                "Source rules, checked before anything is built.",
            ),
            key("input", Shape::Section(&INPUT), "How CSV rows form units."),
            key(
                "record",
                Shape::Record,
                "The target record: target field -> field spec.",
            ),
            key(
                "routes",
                Shape::List(&Shape::Section(&ROUTE)),
                "Several outputs: the first route whose `when` holds builds the unit.",
            ),
        ],
    )
};

pub(crate) static PARAM: Section = section(
    "param",
    "Param",
    "One per-customer setting of a mapping.",
    &[
        key("type", Shape::Choice(&["text", "integer", "decimal", "bool", "guid", "list", "map"]), "Its type; `list` is a YAML list in a params file, or comma-separated text on the command line; `map` is a YAML map, or `KEY=VALUE` pairs separated by commas (`P1=rush,P2=rework`), checked once before any record is read (default `text`)."),
        key("required", Shape::Flag, "A run without it stops before anything is read (exit 2)."),
        key("secret", Shape::Flag, "Never printed: not in messages, reports, rejects, `explain`, `test` or `doc`."),
        key("default", Shape::Any, "The value when none is given; one its `type` refuses is an error at load."),
        key("values", Shape::List(&Shape::Any), "The allowed values."),
        key("doc", Shape::Text, DOC),
    ],
);

pub(crate) static LOOKUP: Section = section(
    "lookup",
    "Lookup",
    "A lookup: a CSV file beside the mapping (`file:`) or an inline mapping (`map:`).",
    &[
        key("file", Shape::Text, "A CSV beside the mapping with a header row, inside the mapping's project."),
        key("map", Shape::Map(&Shape::Any), "An inline mapping of key to value."),
        key("key", Shape::Text, "The key column of the CSV file."),
        key("value", Shape::Either(&[Shape::Text, Shape::List(&Shape::Text)]), "One column (the lookup gives text), a list of columns (it gives a map), or nothing (all other columns)."),
        key("default", Shape::Any, "The value for a key that is not there; without it, a missing key fails the field, and so the unit."),
    ],
);

pub(crate) static LIMITS: Section = section(
    "limits",
    "Limits",
    "The budget of one unit (docs/mappings.md, \"Limits\").",
    &[
        key(
            "operations",
            Shape::Int { min: 1, max: None },
            "Evaluation steps a unit's expressions may take (default 1000000).",
        ),
        key(
            "time_ms",
            Shape::Int { min: 1, max: None },
            "A wall-clock safety net per unit, in milliseconds (default 2000).",
        ),
    ],
);

pub(crate) static SKIP: Section = section(
    "skip",
    "Skip",
    "Skip a unit on purpose; it is counted, with its reason.",
    &[
        required("when", Shape::Expr, "The unit is skipped when this holds."),
        required(
            "reason",
            Shape::Str,
            "Why, as a template: `\"job status '{{ status }}' is not mapped\"`.",
        ),
    ],
);

pub(crate) static MAPPING_RULE: Section = section(
    "mapping_rule",
    "Source rule",
    "A rule on the source record, checked before anything is built.",
    &[
        required(
            "id",
            Shape::Text,
            "The rule's name, reported with each error.",
        ),
        key(
            "for_each",
            Shape::Either(&[Shape::Expr, Shape::List(&Shape::Any)]),
            "Check each item of this list (an expression, or a literal list such as `[description, reference]`); the item is `item`, its fields become variables.",
        ),
        key(
            "when",
            Shape::Expr,
            "The rule applies only when this holds.",
        ),
        key(
            "assert",
            Shape::Expr,
            "What must hold; the unit is rejected when it does not.",
        ),
        key(
            "script",
            Shape::Str,
            "A rhai script in place of `assert:`, run in a sandbox.",
        ),
        key(
            "field",
            Shape::Text,
            "The error's path, under the item for `for_each`; written as a template (`change/fields/{{ item }}`) it is the whole path, rendered per item.",
        ),
        key("message", Shape::Str, "The error's message, as a template."),
        key(
            "severity",
            Shape::Choice(&["error", "warning"]),
            "A warning is reported but does not reject the unit (default `error`).",
        ),
        key(
            "remove",
            Shape::Flag,
            "`{id: X, remove: true}` removes the base's rule `X` (an overlay, or a mapping and its `rules_from:`).",
        ),
        key("doc", Shape::Text, DOC),
    ],
);

pub(crate) static INPUT: Section = section(
    "input",
    "Input",
    "How the input is read.",
    &[key(
        "csv",
        Shape::Section(&CSV_INPUT),
        "How CSV rows form units.",
    )],
);

pub(crate) static CSV_INPUT: Section = section(
    "csv_input",
    "CSV input",
    "How the rows of a CSV input form units (docs/mappings.md, \"CSV input\").",
    &[
        key("delimiter", Shape::Text, "One ASCII character (default `,`)."),
        key("group_by", Shape::List(&Shape::Expr), "Rows with equal keys form one unit."),
        key("sorted", Shape::Flag, "The file is sorted by the key: each unit goes as soon as the key changes, and memory stays flat."),
        key("unit", Shape::Record, "The record built from a group's rows: the first row's columns and `rows` are variables."),
    ],
);

pub(crate) static ROUTE: Section = section(
    "route",
    "Route",
    "One output of a mapping with several.",
    &[
        key(
            "name",
            Shape::Text,
            "Its name (`route:` in test cases, reports).",
        ),
        key(
            "when",
            Shape::Expr,
            "The route builds the unit when this holds (the first that holds wins).",
        ),
        key(
            "target",
            Shape::Text,
            "The schema of the record this route builds.",
        ),
        key(
            "rules",
            Shape::List(&Shape::Section(&MAPPING_RULE)),
            "Rules checked only for this route.",
        ),
        required(
            "record",
            Shape::Record,
            "The target record: target field -> field spec.",
        ),
        key("doc", Shape::Text, DOC),
    ],
);

// ---------------------------------------------------------------- field specs

/// The keys of the map form that say where the value comes from: exactly
/// one (`record:` beside `for_each:` is the list's entry).
pub(crate) const SPEC_SOURCE_KEYS: [&str; 9] = [
    "expr", "script", "path", "template", "const", "lookup", "table", "record", "for_each",
];

pub(crate) const FIELD_SPEC_FORMS: &str = "A field spec: a constant (`Status_Flag: P`), an expression after `=` (`Job_Number: = job.ref`), a JSONPath (`Site: $.job.site.ref`), or a mapping with one source key plus modifiers (`{expr: ..., round: 2}`).";

pub(crate) static FIELD_SPEC: Section = section(
    "field_spec_map",
    "Field spec (map form)",
    "One source key (`expr`, `script`, `path`, `template`, `const`, `lookup`, `table`, `record` or `for_each`) plus modifiers, applied in this order: `when`, `as`, `default`, `round`, `format`, `truncate`.",
    &[
        key("expr", Shape::Expr, "An expression (`= ` prefix optional; docs/expressions.md)."),
        key("script", Shape::Str, "A rhai script, for what expressions cannot say (loops, local variables); runs in a sandbox."),
        key("path", Shape::Text, "A JSONPath from the current record."),
        key("template", Shape::Str, "A minijinja template: `\"Job {{ job.ref }}: {{ job.description }}\"` (a missing variable is an error, not an empty string)."),
        key("const", Shape::Any, "A constant, however it looks: `{const: \"=not an expression\"}`."),
        key("lookup", Shape::Text, "The name of a lookup under `lookups:`; needs `key:`."),
        key("key", Shape::Spec, "The key to look up, as a field spec: `key: = activities[0].team.name`."),
        key("column", Shape::Text, "The column of a multi-column lookup to give."),
        key("table", Shape::Text, "The name of a decision table; with `inputs:` and `output:`."),
        key("inputs", Shape::Map(&Shape::Spec), "The table's inputs, each a field spec."),
        key("output", Shape::Text, "The table output to give."),
        key("record", Shape::Record, "A nested object: `{record: {ref: = job.site.ref}}`; beside `for_each:`, the entry made for each item."),
        key("for_each", Shape::Expr, "A list, one entry per item (`record:`), or several entries per item with conditions (`records:`)."),
        key("records", Shape::List(&Shape::Section(&LIST_ENTRY)), "With `for_each:`: the entries made for each item, each with an optional `when:`."),
        key("when", Shape::Expr, "False leaves the field out."),
        key("default", Shape::Any, "Used when the value is blank: absent, null, \"\" (or all spaces), an empty list or an empty object."),
        key("omit_blank", Shape::Flag, "Leave the field out when its value is blank (absent, null, \"\" or all spaces, an empty list or an empty object: what `blank()` is true for), before any modifier: `{expr: job.description, omit_blank: true}`."),
        key("let", Shape::Map(&Shape::Expr), "With `for_each:`: values computed for each item, in order, which the item's fields read by name (after the item's own fields)."),
        key("round", Shape::Int { min: 0, max: Some(28) }, "Round to N places, half away from zero, in decimal arithmetic."),
        key("truncate", Shape::Int { min: 1, max: None }, "Keep at most N characters."),
        key("format", Shape::Str, "A number pattern such as `\"0.00\"`, or a date pattern such as `MM/DD/CCYY`."),
        key("as", Shape::Choice(&["number", "integer", "bool", "text"]), "Convert text, such as a CSV column, to a type; blank text becomes null."),
        key("rule", Shape::Text, "The rule id reported when the field cannot be built."),
        key("message", Shape::Str, "The message reported when the field cannot be built, as a template (`{{ error }}` is the engine's own text)."),
        key("doc", Shape::Text, DOC),
    ],
);

pub(crate) static LIST_ENTRY: Section = section(
    "list_entry",
    "List entry",
    "One of the entries `for_each:` makes for each item.",
    &[
        key(
            "when",
            Shape::Expr,
            "The entry is made only when this holds.",
        ),
        required(
            "record",
            Shape::Record,
            "The entry: target field -> field spec.",
        ),
    ],
);

// ---------------------------------------------------------------- rules files

pub(crate) static RULES_FILE: Section = section(
    "rules_file",
    "Rules file",
    "Source rules shared by several mappings, read with `rules_from:`.",
    &[required(
        "rules",
        Shape::List(&Shape::Section(&MAPPING_RULE)),
        "The rules, as under a mapping's `rules:`.",
    )],
);

// ---------------------------------------------------------------- schema files

pub(crate) static SCHEMA_FILE: Section = Section {
    id: "schema_file",
    title: "Schema file",
    doc: "A schema: the payload one system sends or receives (docs/schemas.md).",
    keys: &[
        required("schema", Shape::Text, "Its name: `<system>.<payload>`, as mappings name it."),
        key("extends", Shape::Text, "A schema this one is, with its own keys on top: a key given here replaces the base's, except that mappings merge key by key and a type's `rules` are added to the base's."),
        key("system", Shape::Text, "The system's name in messages (default: the name before the point)."),
        key("doc", Shape::Text, DOC),
        key("format", Shape::Choice(&["json", "xml"]), "How payloads are written (default `json`)."),
        key("envelope", Shape::Section(&ENVELOPE), "The JSON object that holds a batch of records."),
        key("root", Shape::Text, "The root element of an XML batch."),
        required("record", Shape::Text, "The type of one record, one of `types:`."),
        key("tables", Shape::Map(&Shape::Section(&TABLE)), "Decision tables by name, for rules and mappings."),
        required("types", Shape::Map(&Shape::Section(&TYPE)), "The types by name: their fields and rules."),
    ],
    at_most_one: &[],
    at_least_one: &[],
    required_unless: Some("extends"),
};

pub(crate) static ENVELOPE: Section = section(
    "envelope",
    "Envelope",
    "The JSON object that holds a batch of records: `{\"purchaseOrders\": [...]}`.",
    &[
        required(
            "key",
            Shape::Text,
            "The key that holds the list of records.",
        ),
        key(
            "max_records",
            Shape::Int { min: 0, max: None },
            "The most records one envelope may hold.",
        ),
    ],
);

pub(crate) static TYPE: Section = section(
    "type",
    "Type",
    "A type: its fields and rules.",
    &[
        key("doc", Shape::Text, DOC),
        key(
            "additional_fields",
            Shape::Choice(&["error", "warn", "allow"]),
            "What a field that is not declared is (default `error`).",
        ),
        key(
            "fields",
            Shape::Map(&Shape::Section(&FIELD)),
            "The fields by name.",
        ),
        key(
            "rules",
            Shape::List(&Shape::Section(&SCHEMA_RULE)),
            "Rules over the fields (docs/schemas.md, \"Rules\").",
        ),
    ],
);

pub(crate) static FIELD: Section = section(
    "field",
    "Field",
    "One field of a type and its checks (docs/schemas.md, \"Field keys\").",
    &[
        required("type", Shape::Choice(&["text", "integer", "decimal", "money", "date", "datetime", "code", "bool", "guid", "list", "object"]), "The field's type."),
        key("required", Shape::Flag, "It must be there and not blank."),
        key("reserved", Shape::Flag, "Reserved by the vendor: it must be absent or blank."),
        key("secret", Shape::Flag, "Its value is never printed."),
        key("commas", Shape::Flag, "A number written as text may hold thousands commas."),
        key("max_length", Shape::Int { min: 0, max: None }, "The most characters it may hold."),
        key("min", Shape::Number, "The least value."),
        key("max", Shape::Number, "The greatest value."),
        key("digits", Shape::Int { min: 0, max: None }, "The most digits before the decimal point."),
        key("scale", Shape::Int { min: 0, max: None }, "The most digits after the decimal point."),
        key("min_items", Shape::Int { min: 0, max: None }, "The fewest items of a list."),
        key("max_items", Shape::Int { min: 0, max: None }, "The most items of a list."),
        key("codes", Shape::Either(&[Shape::Map(&Shape::Text), Shape::List(&Shape::Text)]), "The allowed codes of a `code` field, each with its meaning."),
        key("format", Shape::Str, "The date pattern of a `date` or `datetime` field, such as `MM/DD/CCYY`."),
        key("of", Shape::Text, "The type of an `object` field, or of a `list` field's items."),
        key("xml", Shape::Either(&[Shape::Choice(&["attribute", "element"]), Shape::Section(&XML_LIST)]), "Where the field goes in XML: an attribute, an element (the default), or a list with its wrapper and item elements."),
        key("doc", Shape::Text, DOC),
        key("messages", Shape::Map(&Shape::Str), "Messages for the built-in checks, by check id (docs/schemas.md, \"Built-in checks\")."),
    ],
);

pub(crate) static XML_LIST: Section = section(
    "xml_list",
    "XML list",
    "A list field in XML: a wrapper element holding one item element per item.",
    &[
        key(
            "wrapper",
            Shape::Text,
            "The wrapper element (default: the field's name).",
        ),
        key(
            "item",
            Shape::Text,
            "The element of each item (default: the field's name).",
        ),
    ],
);

pub(crate) static SCHEMA_RULE: Section = Section {
    at_least_one: &[(
        &[
            "require",
            "require_any",
            "forbid",
            "assert",
            "script",
            "check_only",
        ],
        "what it checks, or the fields it reads",
    )],
    at_most_one: &[(
        &["require", "require_any", "forbid", "assert"],
        "what it checks",
    )],
    ..section(
        "schema_rule",
        "Schema rule",
        "A rule over a type's fields.",
        &[
            required(
                "id",
                Shape::Text,
                "The rule's name, reported with each error.",
            ),
            key(
                "when",
                Shape::Expr,
                "The rule applies only when this holds.",
            ),
            key(
                "require",
                Shape::Either(&[Shape::Text, Shape::List(&Shape::Text)]),
                "Fields that must all be there.",
            ),
            key(
                "require_any",
                Shape::Either(&[Shape::Text, Shape::List(&Shape::Text)]),
                "Fields of which at least one must be there.",
            ),
            key(
                "forbid",
                Shape::Either(&[Shape::Text, Shape::List(&Shape::Text)]),
                "Fields that must not be there.",
            ),
            key("assert", Shape::Expr, "What must hold."),
            key(
                "script",
                Shape::Str,
                "A rhai script in place of `assert:`, run in a sandbox.",
            ),
            key("field", Shape::Text, "The error's path."),
            key(
                "check_only",
                Shape::Either(&[Shape::Text, Shape::List(&Shape::Text)]),
                "Fields the rule reads, for `mapwright explain`.",
            ),
            key(
                "severity",
                Shape::Choice(&["error", "warning"]),
                "A warning is reported but does not reject the record (default `error`).",
            ),
            key("doc", Shape::Text, DOC),
            key("message", Shape::Str, "The error's message, as a template."),
        ],
    )
};

pub(crate) static TABLE: Section = section(
    "table",
    "Decision table",
    "A decision table (docs/schemas.md, \"Decision tables\").",
    &[
        key("doc", Shape::Text, DOC),
        key(
            "hit",
            Shape::Choice(&["first", "unique"]),
            "Which row answers: the first that matches, or the only one (default `first`).",
        ),
        required(
            "inputs",
            Shape::Map(&Shape::List(&Shape::Any)),
            "Each input and the list of values it can take.",
        ),
        key(
            "outputs",
            Shape::List(&Shape::Text),
            "The names of the outputs.",
        ),
        key(
            "rows",
            Shape::List(&Shape::Map(&Shape::Any)),
            "The rows: input and output names to values (`*` or absent matches anything).",
        ),
    ],
);

// ---------------------------------------------------------------- test files

pub(crate) static MAPPING_TEST_FILE: Section = section(
    "mapping_test_file",
    "Mapping test file",
    "Test cases of a mapping (`mapping:`).",
    &[
        required(
            "mapping",
            Shape::Text,
            "The mapping under test, relative to this file.",
        ),
        key(
            "extends",
            Shape::Text,
            "A base test file (relative to this file) whose cases run too, against this file's mapping, its `params:` under this file's; a case named as a base case replaces it (docs/mappings.md, \"Test cases\").",
        ),
        key(
            "params",
            Shape::Map(&Shape::Any),
            "Params for every case; a case's `params:` adds to them.",
        ),
        required(
            "cases",
            Shape::List(&Shape::Flagged {
                flag: "remove",
                with: &MAPPING_CASE_REMOVAL,
                without: &MAPPING_CASE,
            }),
            "The cases, each with its own name; with `extends:`, `[]` runs the base's cases as they are.",
        ),
        key("doc", Shape::Text, TEST_DOC),
    ],
);

/// The keys that give a mapping case its input.
pub(crate) const MAPPING_CASE_INPUTS: &[&str] = &["file", "input"];
/// What a mapping case can assert; a case with none of them passes whatever
/// comes out, so it is an error.
pub(crate) const MAPPING_CASE_ASSERTS: &[&str] = &[
    "output",
    "output_file",
    "output_includes",
    "rejected",
    "skipped",
    "route",
    "warnings",
    "params_error",
];

pub(crate) static MAPPING_CASE: Section = Section {
    id: "mapping_case",
    title: "Mapping test case",
    doc: "One case: an input record and what must come out.",
    keys: &[
        key("name", Shape::Text, "The case's name."),
        key("doc", Shape::Text, TEST_DOC),
        key(
            "file",
            Shape::Text,
            "The input file, relative to the test file.",
        ),
        key("input", Shape::Any, "The input record, inline."),
        key(
            "set",
            Shape::Map(&Shape::Any),
            "Values to set in the input, by JSON pointer.",
        ),
        key(
            "remove",
            Shape::List(&Shape::Text),
            "Paths to remove from the input, as JSON pointers.",
        ),
        key(
            "params",
            Shape::Map(&Shape::Any),
            "Params of this case, added to the file's.",
        ),
        key("output", Shape::Any, "The exact target record."),
        key(
            "output_file",
            Shape::Text,
            "A file holding the exact target record.",
        ),
        key(
            "output_includes",
            Shape::Map(&Shape::Any),
            "These keys with these values.",
        ),
        key("route", Shape::Text, "The route that must build it."),
        key(
            "warnings",
            Shape::List(&Shape::Section(&EXPECTED)),
            "The warnings, exactly.",
        ),
        key(
            "rejected",
            Shape::List(&Shape::Section(&EXPECTED)),
            "The errors, exactly (rule and, optionally, path and message).",
        ),
        key(
            "skipped",
            Shape::Text,
            "Part of the reason the unit is skipped.",
        ),
        key(
            "params_error",
            Shape::Text,
            "Part of the message with which the case's params are refused before any record is read (a `map` param badly written).",
        ),
    ],
    at_most_one: &[],
    at_least_one: &[
        (MAPPING_CASE_INPUTS, "the input"),
        (MAPPING_CASE_ASSERTS, "what it asserts"),
    ],
    required_unless: None,
};

pub(crate) static MAPPING_CASE_REMOVAL: Section = section(
    "mapping_case_removal",
    "Mapping test case removal",
    "In a test file with `extends:`, `{name: X, remove: true}` drops the base's case `X`.",
    &[
        required("name", Shape::Text, "The name of the base case it drops."),
        required(
            "remove",
            Shape::Flag,
            "`true`: the base case of that name does not run here (`false` is refused).",
        ),
        key("doc", Shape::Text, TEST_DOC),
    ],
);

pub(crate) static SCHEMA_TEST_FILE: Section = section(
    "schema_test_file",
    "Schema test file",
    "Test cases of a schema (`schema:`).",
    &[
        required("schema", Shape::Text, "The schema under test."),
        required(
            "cases",
            Shape::List(&Shape::Section(&SCHEMA_CASE)),
            "The cases.",
        ),
        key("doc", Shape::Text, TEST_DOC),
    ],
);

/// The keys that give a schema case its payload.
pub(crate) const SCHEMA_CASE_INPUTS: &[&str] = &["file", "payload", "xml"];
/// What a schema case asserts.
pub(crate) const SCHEMA_CASE_ASSERTS: &[&str] = &["errors"];

pub(crate) static SCHEMA_CASE: Section = Section {
    id: "schema_case",
    title: "Schema test case",
    doc: "One case: a payload and the errors it must give.",
    keys: &[
        key("name", Shape::Text, "The case's name."),
        key("doc", Shape::Text, TEST_DOC),
        key(
            "file",
            Shape::Text,
            "The payload file, relative to the test file.",
        ),
        key("payload", Shape::Any, "The payload, inline."),
        key("xml", Shape::Str, "The payload as XML text."),
        key(
            "set",
            Shape::Map(&Shape::Any),
            "Values to set in the payload, by JSON pointer.",
        ),
        key(
            "remove",
            Shape::List(&Shape::Text),
            "Paths to remove from the payload, as JSON pointers.",
        ),
        key(
            "errors",
            Shape::List(&Shape::Section(&EXPECTED)),
            "The errors, exactly (`errors: []` for a clean payload).",
        ),
        key(
            "warnings",
            Shape::List(&Shape::Section(&EXPECTED)),
            "The warnings, exactly.",
        ),
    ],
    at_most_one: &[],
    at_least_one: &[
        (SCHEMA_CASE_INPUTS, "the payload"),
        (SCHEMA_CASE_ASSERTS, "what it asserts"),
    ],
    required_unless: None,
};

pub(crate) static EXPECTED: Section = section(
    "expected_finding",
    "Expected finding",
    "One error or warning a case expects.",
    &[
        required("rule", Shape::Text, "The rule that must report it."),
        key("path", Shape::Text, "Its path (a JSON pointer)."),
        key("message", Shape::Text, "Part of its message."),
    ],
);
