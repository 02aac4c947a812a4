//! `lanyard call`'s answers when the server asks the user something (MCP elicitation): a form
//! built from the requested schema, or a URL to open, asked on the terminal.
//!
//! The person who ran the command is the user the server means, so the questions go to them on
//! stderr (stdout keeps the tool's result clean for `--json` and pipes) and the answers come from
//! stdin. Nobody can answer when stdin or stderr is not a terminal: then the request is declined,
//! which the spec makes a normal outcome, with one line on stderr saying so, and the call goes on.
//! Every request gets an answer: end of input (Ctrl-D) cancels. Text from the server is shown with
//! its control characters removed, so a server cannot drive the terminal. Nothing is opened by
//! itself: a URL is printed for the person to open.
//!
//! The questions are asked on a thread of their own, not on the runtime: a read of stdin cannot
//! be interrupted, and a prompt left waiting after its call ended must not keep the process alive.
//!
//! `lanyard tools` declares the same capabilities as `lanyard call` ([`Listing`]), so that a
//! server that shapes its tool list by what the client can do lists the tools `call` can use.
//! It asks nothing: a question during a listing is declined, as `call` does without a terminal.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::{Arc, Mutex, PoisonError};

use futures::future::BoxFuture;
use rmcp::model::{
    ElicitRequestParams, ElicitResult, ElicitationAction, ElicitationSchema, EnumSchema,
    MultiSelectEnumSchema, PrimitiveSchemaDefinition, SingleSelectEnumSchema, StringFormat,
};
use serde_json::{Map, Value};

use lanyard::ids::SourceId;
use lanyard::upstream::Elicitor;

use super::args::ElicitMode;

/// The person at this terminal, answering a server's questions the way `--elicit` says.
#[derive(Debug)]
pub struct Terminal {
    mode: ElicitMode,
    /// How the server is named in questions (its source id, or the host of a `--url`).
    server: Option<String>,
    /// One dialog at a time owns the terminal.
    turn: Arc<Mutex<()>>,
}

impl Terminal {
    /// `server` names the server in questions; `None` names it by its source id.
    pub fn new(mode: ElicitMode, server: Option<String>) -> Self {
        Self { mode, server, turn: Arc::default() }
    }

    fn server_name(&self, source: &SourceId) -> String {
        self.server.clone().unwrap_or_else(|| format!("`{source}`"))
    }
}

impl Elicitor for Terminal {
    fn elicit<'a>(
        &'a self,
        source: &'a SourceId,
        request: ElicitRequestParams,
    ) -> BoxFuture<'a, ElicitResult> {
        let server = self.server_name(source);
        Box::pin(async move {
            match self.mode {
                ElicitMode::Decline => {
                    eprintln!("{}; declined (--elicit decline)", asked(&server, &request));
                    answer(ElicitationAction::Decline)
                }
                ElicitMode::AcceptDefaults => accept_defaults(&server, &request),
                ElicitMode::Ask if !can_ask() => {
                    eprintln!("{}; declined because no terminal is attached", asked(&server, &request));
                    answer(ElicitationAction::Decline)
                }
                ElicitMode::Ask => {
                    let (sender, answered) = tokio::sync::oneshot::channel();
                    let turn = Arc::clone(&self.turn);
                    std::thread::spawn(move || {
                        let _turn = turn.lock().unwrap_or_else(PoisonError::into_inner);
                        let mut input = std::io::stdin().lock();
                        let mut output = std::io::stderr();
                        let answered = ask(&mut input, &mut output, &server, &request);
                        let _ = sender.send(answered.unwrap_or_else(|_| answer(ElicitationAction::Cancel)));
                    });
                    answered.await.unwrap_or_else(|_| answer(ElicitationAction::Cancel))
                }
            }
        })
    }
}

/// `lanyard tools`: declares elicitation like [`Terminal`] but never asks; a server that asks
/// anyway while its tools are listed gets `decline`, with one line on stderr.
#[derive(Debug)]
pub struct Listing {
    /// How the server is named (its source id, or the host of a `--url`).
    server: Option<String>,
}

impl Listing {
    /// `server` names the server in the line on stderr; `None` names it by its source id.
    pub fn new(server: Option<String>) -> Self {
        Self { server }
    }
}

impl Elicitor for Listing {
    fn elicit<'a>(
        &'a self,
        source: &'a SourceId,
        request: ElicitRequestParams,
    ) -> BoxFuture<'a, ElicitResult> {
        let server = self.server.clone().unwrap_or_else(|| format!("`{source}`"));
        Box::pin(async move {
            eprintln!("{}; declined (listing tools asks nothing)", asked(&server, &request));
            answer(ElicitationAction::Decline)
        })
    }
}

/// Whether a person can be asked: questions go to stderr and answers come from stdin.
fn can_ask() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

fn answer(action: ElicitationAction) -> ElicitResult {
    ElicitResult::new(action)
}

/// One line saying what the server asked, for a request nobody is asked about.
fn asked(server: &str, request: &ElicitRequestParams) -> String {
    match request {
        ElicitRequestParams::UrlElicitationParams { message, url, .. } => {
            format!("{server} asked for input at {} ({})", shown(url), shown(message).replace('\n', " "))
        }
        ElicitRequestParams::FormElicitationParams { message, .. } => {
            format!("{server} asked for input ({})", shown(message).replace('\n', " "))
        }
        _ => format!("{server} asked for input"),
    }
}

/// `--elicit accept-defaults`: a form is accepted with every field's default, when every
/// required field has one; anything else is declined, saying why.
fn accept_defaults(server: &str, request: &ElicitRequestParams) -> ElicitResult {
    let ElicitRequestParams::FormElicitationParams { requested_schema, .. } = request else {
        eprintln!("{}; declined: only a person can open a URL", asked(server, request));
        return answer(ElicitationAction::Decline);
    };
    match Form::of(requested_schema).and_then(|form| form.defaults()) {
        Ok(content) => answer(ElicitationAction::Accept).with_content(Value::Object(content)),
        Err(why) => {
            eprintln!("{}; declined: {why}", asked(server, request));
            answer(ElicitationAction::Decline)
        }
    }
}

/// Asks the person about one request: questions on `output`, answers from `input`.
fn ask(
    input: &mut impl BufRead,
    output: &mut impl Write,
    server: &str,
    request: &ElicitRequestParams,
) -> std::io::Result<ElicitResult> {
    let mut dialog = Dialog { input, output };
    match request {
        ElicitRequestParams::FormElicitationParams { message, requested_schema, .. } => {
            dialog.form(server, message, requested_schema)
        }
        ElicitRequestParams::UrlElicitationParams { message, url, .. } => dialog.url(server, message, url),
        _ => {
            writeln!(dialog.output, "{server} asked for input of a kind lanyard does not know; declined")?;
            Ok(answer(ElicitationAction::Decline))
        }
    }
}

/// A question-and-answer exchange on a terminal.
struct Dialog<'a, R, W> {
    input: &'a mut R,
    output: &'a mut W,
}

impl<R: BufRead, W: Write> Dialog<'_, R, W> {
    /// One answer line without its line end; `None` at the end of input.
    fn line(&mut self, prompt: &str) -> std::io::Result<Option<String>> {
        write!(self.output, "{prompt}")?;
        self.output.flush()?;
        let mut line = String::new();
        if self.input.read_line(&mut line)? == 0 {
            writeln!(self.output)?;
            return Ok(None);
        }
        Ok(Some(line.trim_end_matches(['\n', '\r']).to_owned()))
    }

    /// A yes-or-no question; `None` at the end of input.
    fn yes(&mut self, prompt: &str, default: bool) -> std::io::Result<Option<bool>> {
        loop {
            let Some(line) = self.line(prompt)? else { return Ok(None) };
            match yes_no(&line) {
                Some(yes) => return Ok(Some(yes)),
                None if line.trim().is_empty() => return Ok(Some(default)),
                None => writeln!(self.output, "  answer y or n")?,
            }
        }
    }

    fn form(
        &mut self,
        server: &str,
        message: &str,
        schema: &ElicitationSchema,
    ) -> std::io::Result<ElicitResult> {
        writeln!(self.output, "{server} asks: {}", shown(message))?;
        let form = match Form::of(schema) {
            Ok(form) => form,
            Err(why) => {
                writeln!(self.output, "  lanyard cannot show this form ({why}); declined")?;
                return Ok(answer(ElicitationAction::Decline));
            }
        };
        match self.yes("Answer? [y/N] ", false)? {
            None => return Ok(answer(ElicitationAction::Cancel)),
            Some(false) => return Ok(answer(ElicitationAction::Decline)),
            Some(true) => {}
        }
        writeln!(self.output, "(Enter keeps the value in brackets; Ctrl-D cancels)")?;
        let mut content = Map::new();
        for field in &form.fields {
            field.introduce(self.output)?;
            let value = loop {
                let Some(line) = self.line(&field.prompt())? else {
                    return Ok(answer(ElicitationAction::Cancel));
                };
                match field.read(&line) {
                    Ok(value) => break value,
                    Err(why) => writeln!(self.output, "  {why}; try again")?,
                }
            };
            if let Some(value) = value {
                content.insert(field.name.clone(), value);
            }
        }
        writeln!(self.output, "Your answers: {}", Value::Object(content.clone()))?;
        match self.yes("Send them? [Y/n] ", true)? {
            None => Ok(answer(ElicitationAction::Cancel)),
            Some(false) => Ok(answer(ElicitationAction::Decline)),
            Some(true) => Ok(answer(ElicitationAction::Accept).with_content(Value::Object(content))),
        }
    }

    fn url(&mut self, server: &str, message: &str, url: &str) -> std::io::Result<ElicitResult> {
        writeln!(self.output, "{server} asks you to open a URL: {}", shown(message))?;
        let Ok(parsed) = url::Url::parse(url) else {
            writeln!(self.output, "  it sent no valid URL ({}); declined", shown(url))?;
            return Ok(answer(ElicitationAction::Decline));
        };
        writeln!(self.output, "  {}", shown(parsed.as_str()))?;
        if let Some(host) = parsed.host_str() {
            writeln!(self.output, "  (at {})", shown(host))?;
        }
        writeln!(self.output, "lanyard does not open it; open it in your browser if you trust it.")?;
        Ok(match self.yes("Open this URL yourself; done? [y/N] ", false)? {
            None => answer(ElicitationAction::Cancel),
            Some(false) => answer(ElicitationAction::Decline),
            Some(true) => answer(ElicitationAction::Accept),
        })
    }
}

/// `y`/`yes`/`true` or `n`/`no`/`false`, in any case; `None` for anything else.
fn yes_no(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" | "true" => Some(true),
        "n" | "no" | "false" => Some(false),
        _ => None,
    }
}

/// Text from the server as it may reach a terminal: no escape sequences or other controls.
fn shown(text: &str) -> String {
    text.chars().filter(|c| !c.is_control() || *c == '\n').collect()
}

/// A requested schema as questions, in the order the server listed its properties.
#[derive(Debug)]
struct Form {
    fields: Vec<Field>,
}

impl Form {
    /// The questions of `schema`; an error names a property lanyard cannot ask about.
    fn of(schema: &ElicitationSchema) -> Result<Self, String> {
        let required = schema.required.as_deref().unwrap_or_default();
        let mut names: Vec<&String> = match &schema.property_order {
            Some(order) => order.iter().filter(|name| schema.properties.contains_key(*name)).collect(),
            None => Vec::new(),
        };
        names.extend(schema.properties.keys().filter(|name| !names.contains(name)).collect::<Vec<_>>());
        let fields = names
            .into_iter()
            .map(|name| Field::of(name, &schema.properties[name], required.contains(name)))
            .collect::<Result<_, _>>()?;
        Ok(Self { fields })
    }

    /// Every field's default (SEP-1034); an error names a required field without one.
    fn defaults(&self) -> Result<Map<String, Value>, String> {
        let mut content = Map::new();
        for field in &self.fields {
            match (&field.default, field.required) {
                (Some(value), _) => {
                    content.insert(field.name.clone(), value.clone());
                }
                (None, true) => return Err(format!("the required field `{}` has no default", field.name)),
                (None, false) => {}
            }
        }
        Ok(content)
    }
}

/// One property of a form.
#[derive(Debug)]
struct Field {
    name: String,
    title: Option<String>,
    description: Option<String>,
    required: bool,
    default: Option<Value>,
    kind: Kind,
}

/// What kind of answer a field takes, with its limits.
#[derive(Debug)]
enum Kind {
    Text {
        format: Option<StringFormat>,
        min: Option<u32>,
        max: Option<u32>,
    },
    Integer {
        min: Option<i64>,
        max: Option<i64>,
    },
    Number {
        min: Option<f64>,
        max: Option<f64>,
    },
    Boolean,
    /// One of the options.
    Choice(Vec<Choice>),
    /// Any number of the options (SEP-1330).
    Choices {
        options: Vec<Choice>,
        min: Option<u64>,
        max: Option<u64>,
    },
}

/// An option of an enum: the value sent, and what the person sees.
#[derive(Debug, Clone)]
struct Choice {
    value: String,
    title: Option<String>,
}

impl Choice {
    fn untitled(values: &[String]) -> Vec<Choice> {
        values.iter().map(|value| Choice { value: value.clone(), title: None }).collect()
    }

    fn titled(options: &[rmcp::model::ConstTitle]) -> Vec<Choice> {
        options.iter().map(|o| Choice { value: o.const_.clone(), title: Some(o.title.clone()) }).collect()
    }
}

impl Field {
    fn of(name: &str, schema: &PrimitiveSchemaDefinition, required: bool) -> Result<Self, String> {
        let text = |t: &Option<std::borrow::Cow<'static, str>>| t.as_deref().map(str::to_owned);
        let field = |title, description, default: Option<Value>, kind| Field {
            name: name.to_owned(),
            title,
            description,
            required,
            default,
            kind,
        };
        Ok(match schema {
            PrimitiveSchemaDefinition::String(s) => field(
                text(&s.title),
                text(&s.description),
                s.default.clone().map(Value::String),
                Kind::Text { format: s.format, min: s.min_length, max: s.max_length },
            ),
            PrimitiveSchemaDefinition::Integer(s) => field(
                text(&s.title),
                text(&s.description),
                s.default.map(Value::from),
                Kind::Integer { min: s.minimum, max: s.maximum },
            ),
            PrimitiveSchemaDefinition::Number(s) => field(
                text(&s.title),
                text(&s.description),
                s.default.and_then(serde_json::Number::from_f64).map(Value::Number),
                Kind::Number { min: s.minimum, max: s.maximum },
            ),
            PrimitiveSchemaDefinition::Boolean(s) => {
                field(text(&s.title), text(&s.description), s.default.map(Value::Bool), Kind::Boolean)
            }
            PrimitiveSchemaDefinition::Enum(EnumSchema::Single(SingleSelectEnumSchema::Untitled(s))) => {
                field(
                    text(&s.title),
                    text(&s.description),
                    s.default.clone().map(Value::String),
                    Kind::Choice(Choice::untitled(&s.enum_)),
                )
            }
            PrimitiveSchemaDefinition::Enum(EnumSchema::Single(SingleSelectEnumSchema::Titled(s))) => field(
                text(&s.title),
                text(&s.description),
                s.default.clone().map(Value::String),
                Kind::Choice(Choice::titled(&s.one_of)),
            ),
            PrimitiveSchemaDefinition::Enum(EnumSchema::Legacy(s)) => {
                let names = s.enum_names.as_deref().unwrap_or_default();
                let options = s
                    .enum_
                    .iter()
                    .enumerate()
                    .map(|(i, value)| Choice { value: value.clone(), title: names.get(i).cloned() })
                    .collect();
                field(
                    text(&s.title),
                    text(&s.description),
                    s.default.clone().map(Value::String),
                    Kind::Choice(options),
                )
            }
            PrimitiveSchemaDefinition::Enum(EnumSchema::Multi(MultiSelectEnumSchema::Untitled(s))) => field(
                text(&s.title),
                text(&s.description),
                s.default.clone().map(strings),
                Kind::Choices {
                    options: Choice::untitled(&s.items.enum_),
                    min: s.min_items,
                    max: s.max_items,
                },
            ),
            PrimitiveSchemaDefinition::Enum(EnumSchema::Multi(MultiSelectEnumSchema::Titled(s))) => field(
                text(&s.title),
                text(&s.description),
                s.default.clone().map(strings),
                Kind::Choices {
                    options: Choice::titled(&s.items.any_of),
                    min: s.min_items,
                    max: s.max_items,
                },
            ),
            _ => return Err(format!("the field `{name}` is of a kind lanyard does not know")),
        })
    }

    /// The field's name, description and options, before its prompt.
    fn introduce(&self, output: &mut impl Write) -> std::io::Result<()> {
        let label = shown(self.title.as_deref().unwrap_or(&self.name));
        let required = if self.required { " (required)" } else { "" };
        writeln!(output, "{label}{required}")?;
        if let Some(description) = &self.description {
            writeln!(output, "  {}", shown(description).replace('\n', "\n  "))?;
        }
        if let Kind::Choice(options) | Kind::Choices { options, .. } = &self.kind {
            for (n, option) in options.iter().enumerate() {
                match &option.title {
                    Some(title) => {
                        writeln!(output, "  {}) {} ({})", n + 1, shown(title), shown(&option.value))?
                    }
                    None => writeln!(output, "  {}) {}", n + 1, shown(&option.value))?,
                }
            }
        }
        Ok(())
    }

    /// The prompt: what kind of answer, and the default in brackets.
    fn prompt(&self) -> String {
        let hint = match &self.kind {
            Kind::Text { format, min, max } => {
                let what = match format {
                    Some(StringFormat::Email) => "email address",
                    Some(StringFormat::Uri) => "URI",
                    Some(StringFormat::Date) => "date, YYYY-MM-DD",
                    Some(StringFormat::DateTime) => "date and time, YYYY-MM-DDThh:mm:ssZ",
                    _ => "text",
                };
                format!(
                    "{what}{}",
                    range(min.map(|n| n.to_string()), max.map(|n| n.to_string()), " characters")
                )
            }
            Kind::Integer { min, max } => {
                format!("whole number{}", range(min.map(|n| n.to_string()), max.map(|n| n.to_string()), ""))
            }
            Kind::Number { min, max } => {
                format!("number{}", range(min.map(|n| n.to_string()), max.map(|n| n.to_string()), ""))
            }
            Kind::Boolean => "y/n".to_owned(),
            Kind::Choice(_) => "a number or a value".to_owned(),
            Kind::Choices { min, max, .. } => format!(
                "numbers or values, comma-separated{}",
                range(min.map(|n| n.to_string()), max.map(|n| n.to_string()), " of them")
            ),
        };
        match &self.default {
            Some(default) => format!("  {hint} [{}]: ", shown(&plain(default))),
            None => format!("  {hint}: "),
        }
    }

    /// The value of an answer: the default for an empty one (SEP-1034), nothing for an empty
    /// optional one without a default; an error says what is wrong with it.
    fn read(&self, line: &str) -> Result<Option<Value>, String> {
        let text = line.trim();
        if text.is_empty() {
            return match (&self.default, self.required) {
                (Some(default), _) => Ok(Some(default.clone())),
                (None, true) => Err("an answer is required".to_owned()),
                (None, false) => Ok(None),
            };
        }
        let value = match &self.kind {
            Kind::Text { format, min, max } => {
                let length = text.chars().count();
                if min.is_some_and(|min| length < min as usize)
                    || max.is_some_and(|max| length > max as usize)
                {
                    return Err(format!(
                        "the answer has {length} characters, it needs{}",
                        range(min.map(|n| n.to_string()), max.map(|n| n.to_string()), "")
                    ));
                }
                if let Some(format) = format {
                    check_format(*format, text)?;
                }
                Value::String(text.to_owned())
            }
            Kind::Integer { min, max } => {
                let n: i64 = text.parse().map_err(|_| format!("`{text}` is not a whole number"))?;
                if min.is_some_and(|min| n < min) || max.is_some_and(|max| n > max) {
                    return Err(format!(
                        "{n} is out of range{}",
                        range(min.map(|n| n.to_string()), max.map(|n| n.to_string()), "")
                    ));
                }
                Value::from(n)
            }
            Kind::Number { min, max } => {
                let n = text.parse::<f64>().ok().and_then(serde_json::Number::from_f64);
                let n = n.ok_or_else(|| format!("`{text}` is not a number"))?;
                let x = n.as_f64().unwrap_or_default();
                if min.is_some_and(|min| x < min) || max.is_some_and(|max| x > max) {
                    return Err(format!(
                        "{x} is out of range{}",
                        range(min.map(|n| n.to_string()), max.map(|n| n.to_string()), "")
                    ));
                }
                Value::Number(n)
            }
            Kind::Boolean => Value::Bool(yes_no(text).ok_or("answer y or n")?),
            Kind::Choice(options) => Value::String(pick(options, text)?),
            Kind::Choices { options, min, max } => {
                let mut picked = Vec::new();
                for part in text.split(',').map(str::trim).filter(|part| !part.is_empty()) {
                    let value = pick(options, part)?;
                    if !picked.contains(&value) {
                        picked.push(value);
                    }
                }
                let count = picked.len() as u64;
                if min.is_some_and(|min| count < min) || max.is_some_and(|max| count > max) {
                    return Err(format!(
                        "{count} chosen, it needs{}",
                        range(min.map(|n| n.to_string()), max.map(|n| n.to_string()), "")
                    ));
                }
                strings(picked)
            }
        };
        Ok(Some(value))
    }
}

/// The option an answer names: its number in the list, its value, or its title.
fn pick(options: &[Choice], text: &str) -> Result<String, String> {
    if let Ok(n) = text.parse::<usize>()
        && let Some(option) = n.checked_sub(1).and_then(|i| options.get(i))
    {
        return Ok(option.value.clone());
    }
    options
        .iter()
        .find(|o| o.value == text)
        .or_else(|| {
            options.iter().find(|o| {
                o.value.eq_ignore_ascii_case(text)
                    || o.title.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(text))
            })
        })
        .map(|o| o.value.clone())
        .ok_or_else(|| format!("`{text}` is not one of the options"))
}

/// " (at least A)", " (at most B)", " (A to B)", or nothing.
fn range(min: Option<String>, max: Option<String>, unit: &str) -> String {
    match (min, max) {
        (Some(min), Some(max)) => format!(" ({min} to {max}{unit})"),
        (Some(min), None) => format!(" (at least {min}{unit})"),
        (None, Some(max)) => format!(" (at most {max}{unit})"),
        (None, None) => String::new(),
    }
}

/// A default as the person would type it.
fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Bool(true) => "y".to_owned(),
        Value::Bool(false) => "n".to_owned(),
        Value::Array(items) => items.iter().map(plain).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

fn strings(values: Vec<String>) -> Value {
    Value::Array(values.into_iter().map(Value::String).collect())
}

/// Whether `text` has the form a string field's `format` asks for.
fn check_format(format: StringFormat, text: &str) -> Result<(), String> {
    let ok = match format {
        StringFormat::Email => {
            let mut parts = text.split('@');
            let (local, domain) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
            parts.next().is_none()
                && !local.is_empty()
                && !domain.is_empty()
                && !text.contains(char::is_whitespace)
        }
        StringFormat::Uri => url::Url::parse(text).is_ok(),
        StringFormat::Date => is_date(text),
        StringFormat::DateTime => is_date_time(text),
        _ => true,
    };
    let what = match format {
        StringFormat::Email => "an email address",
        StringFormat::Uri => "an absolute URI, e.g. https://example.com/",
        StringFormat::Date => "a date as YYYY-MM-DD",
        StringFormat::DateTime => "a date and time as YYYY-MM-DDThh:mm:ssZ (or with an offset, +02:00)",
        _ => "valid",
    };
    if ok { Ok(()) } else { Err(format!("`{text}` is not {what}")) }
}

/// `YYYY-MM-DD`, a day that exists.
fn is_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes
            .get(range.clone())
            .filter(|b| b.iter().all(u8::is_ascii_digit))
            .and_then(|_| text[range].parse::<u32>().ok())
    };
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    let (Some(year), Some(month), Some(day)) = (digits(0..4), digits(5..7), digits(8..10)) else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// RFC 3339: `YYYY-MM-DDThh:mm:ss`, optional fraction, then `Z` or `±hh:mm`.
fn is_date_time(text: &str) -> bool {
    let Some((date, time)) = text.split_once(['T', 't']) else { return false };
    let two = |s: &str, max: u32| {
        s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()) && s.parse::<u32>().is_ok_and(|n| n <= max)
    };
    let (clock, zone_ok) = if let Some(clock) = time.strip_suffix(['Z', 'z']) {
        (clock, true)
    } else if let Some(at) = time.rfind(['+', '-']) {
        let zone = &time[at + 1..];
        (&time[..at], zone.split_once(':').is_some_and(|(h, m)| two(h, 23) && two(m, 59)))
    } else {
        return false;
    };
    let (clock, fraction) = clock.split_once('.').unwrap_or((clock, "0"));
    let mut parts = clock.split(':');
    let clock_ok = matches!(
        (parts.next(), parts.next(), parts.next(), parts.next()),
        (Some(h), Some(m), Some(s), None) if two(h, 23) && two(m, 59) && two(s, 60)
    );
    is_date(date)
        && zone_ok
        && clock_ok
        && !fraction.is_empty()
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn request(params: Value) -> ElicitRequestParams {
        serde_json::from_value(params).expect("a valid elicitation request")
    }

    /// A form request with `schema` as JSON text, so its properties keep their order as on the
    /// wire (a `serde_json::Value` sorts them).
    fn form_request(schema: &str) -> ElicitRequestParams {
        let params =
            format!(r#"{{"mode": "form", "message": "Tell us about you", "requestedSchema": {schema}}}"#);
        serde_json::from_str(&params).expect("a valid elicitation request")
    }

    /// The dialog with `typed` as the person's input; the answer and everything shown.
    fn dialog(request: &ElicitRequestParams, typed: &str) -> (ElicitResult, String) {
        let mut input = std::io::Cursor::new(typed.as_bytes().to_vec());
        let mut output = Vec::new();
        let answered = ask(&mut input, &mut output, "`ev`", request).expect("in-memory I/O does not fail");
        (answered, String::from_utf8(output).expect("the dialog writes UTF-8"))
    }

    /// The schema of the conformance suite's SEP-1034 scenario, in its order.
    const DEFAULTS: &str = r#"{
        "type": "object",
        "properties": {
            "name": { "type": "string", "description": "User name", "default": "John Doe" },
            "age": { "type": "integer", "description": "User age", "default": 30 },
            "score": { "type": "number", "description": "User score", "default": 95.5 },
            "status": { "type": "string", "enum": ["active", "inactive", "pending"], "default": "active" },
            "verified": { "type": "boolean", "description": "Verification status", "default": true }
        },
        "required": []
    }"#;

    fn field(schema: Value, required: bool) -> Field {
        let definition: PrimitiveSchemaDefinition =
            serde_json::from_value(schema).expect("a primitive schema");
        Field::of("f", &definition, required).expect("a field lanyard can ask about")
    }

    #[test]
    fn empty_answers_take_every_default_sep_1034() {
        let (answered, shown) = dialog(&form_request(DEFAULTS), "y\n\n\n\n\n\n\n");
        assert_eq!(answered.action, ElicitationAction::Accept, "the person accepted: {shown}");
        assert_eq!(
            answered.content,
            Some(
                json!({ "name": "John Doe", "age": 30, "score": 95.5, "status": "active", "verified": true })
            ),
            "each field left empty gets its default, with the schema's type"
        );
        let order: Vec<_> = ["User name", "User age", "User score", "status", "Verification status"]
            .iter()
            .map(|label| shown.find(label).unwrap_or_else(|| panic!("`{label}` is shown: {shown}")))
            .collect();
        assert!(order.is_sorted(), "fields are asked in the server's order, not alphabetically: {shown}");
    }

    #[test]
    fn typed_answers_are_converted_to_the_schemas_types() {
        let (answered, _) = dialog(&form_request(DEFAULTS), "y\nAda\n36\n99.25\n3\nn\n\n");
        assert_eq!(
            answered.content,
            Some(json!({ "name": "Ada", "age": 36, "score": 99.25, "status": "pending", "verified": false })),
            "answers become a string, an integer, a number, the third option and a boolean"
        );
    }

    #[test]
    fn a_bad_answer_is_asked_again() {
        let schema = r#"{
            "type": "object",
            "properties": { "age": { "type": "integer", "minimum": 0, "maximum": 150 } },
            "required": ["age"]
        }"#;
        let (answered, shown) = dialog(&form_request(schema), "y\n\nabc\n200\n42\n\n");
        assert_eq!(answered.content, Some(json!({ "age": 42 })), "the first valid answer counts: {shown}");
        assert!(shown.contains("an answer is required"), "an empty required field is refused: {shown}");
        assert!(shown.contains("`abc` is not a whole number"), "text is refused: {shown}");
        assert!(shown.contains("200 is out of range (0 to 150)"), "the range is enforced: {shown}");
    }

    #[test]
    fn the_person_can_decline_or_cancel() {
        let form = form_request(DEFAULTS);
        assert_eq!(dialog(&form, "\n").0.action, ElicitationAction::Decline, "Enter at `Answer?` declines");
        assert_eq!(dialog(&form, "n\n").0.action, ElicitationAction::Decline, "`n` declines");
        assert_eq!(
            dialog(&form, "y\n\n\n\n\n\nn\n").0.action,
            ElicitationAction::Decline,
            "`n` at `Send?` declines"
        );
        assert_eq!(dialog(&form, "").0.action, ElicitationAction::Cancel, "end of input at once cancels");
        let (cancelled, _) = dialog(&form, "y\nAda\n");
        assert_eq!(cancelled.action, ElicitationAction::Cancel, "end of input in the middle cancels");
        assert_eq!(cancelled.content, None, "a cancelled form sends no content");
    }

    #[test]
    fn optional_fields_left_empty_without_a_default_are_left_out() {
        let schema = r#"{
            "type": "object",
            "properties": { "nick": { "type": "string" }, "email": { "type": "string", "format": "email" } },
            "required": ["email"]
        }"#;
        let (answered, shown) = dialog(&form_request(schema), "y\n\nnot-an-email\nada@example.org\n\n");
        assert_eq!(answered.content, Some(json!({ "email": "ada@example.org" })), "no `nick` key: {shown}");
        assert!(shown.contains("is not an email address"), "the email format is checked: {shown}");
    }

    #[test]
    fn string_formats_and_lengths_are_checked() {
        let date = field(json!({ "type": "string", "format": "date" }), true);
        assert!(date.read("2024-02-29").is_ok(), "a leap day is a date");
        assert!(date.read("2023-02-29").is_err(), "no leap day in 2023");
        assert!(date.read("2024-13-01").is_err(), "no thirteenth month");
        let when = field(json!({ "type": "string", "format": "date-time" }), true);
        assert!(when.read("2025-11-25T10:30:00Z").is_ok(), "UTC date-time");
        assert!(when.read("2025-11-25T10:30:00.5+02:00").is_ok(), "fraction and offset");
        assert!(when.read("2025-11-25 10:30").is_err(), "no T, no seconds, no zone");
        let uri = field(json!({ "type": "string", "format": "uri" }), true);
        assert!(uri.read("https://example.com/x").is_ok(), "an absolute URI");
        assert!(uri.read("example.com").is_err(), "a relative reference is no URI");
        let short = field(json!({ "type": "string", "minLength": 2, "maxLength": 3 }), true);
        assert!(short.read("é").is_err(), "one character is too short");
        assert_eq!(short.read("ééé"), Ok(Some(json!("ééé"))), "length counts characters, not bytes");
        assert!(short.read("abcd").is_err(), "four characters are too long");
    }

    #[test]
    fn enums_take_a_number_a_value_or_a_title() {
        let titled = field(
            json!({ "type": "string", "oneOf": [{ "const": "#f00", "title": "Red" }, { "const": "#0f0", "title": "Green" }] }),
            true,
        );
        assert_eq!(titled.read("2"), Ok(Some(json!("#0f0"))), "by number");
        assert_eq!(titled.read("red"), Ok(Some(json!("#f00"))), "by title, any case");
        assert_eq!(titled.read("#0f0"), Ok(Some(json!("#0f0"))), "by value");
        assert!(titled.read("3").is_err(), "no third option");
        let legacy =
            field(json!({ "type": "string", "enum": ["a", "b"], "enumNames": ["Alpha", "Beta"] }), true);
        assert_eq!(legacy.read("beta"), Ok(Some(json!("b"))), "a legacy enum's names are titles");
    }

    #[test]
    fn multi_select_takes_a_list_within_its_limits_sep_1330() {
        let multi = field(
            json!({
                "type": "array", "minItems": 1, "maxItems": 2,
                "items": { "type": "string", "enum": ["red", "green", "blue"] },
                "default": ["green"]
            }),
            false,
        );
        assert_eq!(multi.read("1, blue"), Ok(Some(json!(["red", "blue"]))), "numbers and values mixed");
        assert_eq!(multi.read("red,red"), Ok(Some(json!(["red"]))), "a repeat counts once");
        assert!(multi.read("1,2,3").is_err(), "more than maxItems");
        assert!(multi.read("purple").is_err(), "not an option");
        assert_eq!(multi.read(""), Ok(Some(json!(["green"]))), "empty takes the default list");
        let titled = field(
            json!({ "type": "array", "items": { "anyOf": [{ "const": "s", "title": "Small" }, { "const": "l", "title": "Large" }] } }),
            true,
        );
        assert_eq!(
            titled.read("small, 2"),
            Ok(Some(json!(["s", "l"]))),
            "titled options by title and number"
        );
    }

    #[test]
    fn accept_defaults_needs_a_default_for_every_required_field() {
        let answered = accept_defaults("`ev`", &form_request(DEFAULTS));
        assert_eq!(answered.action, ElicitationAction::Accept, "every field has a default");
        assert_eq!(
            answered.content.as_ref().and_then(|c| c.get("age")),
            Some(&json!(30)),
            "defaults are sent"
        );
        let schema =
            r#"{ "type": "object", "properties": { "name": { "type": "string" } }, "required": ["name"] }"#;
        let answered = accept_defaults("`ev`", &form_request(schema));
        assert_eq!(
            answered.action,
            ElicitationAction::Decline,
            "a required field without a default cannot be"
        );
        let url =
            request(json!({ "mode": "url", "message": "m", "url": "https://x.test/", "elicitationId": "1" }));
        assert_eq!(
            accept_defaults("`ev`", &url).action,
            ElicitationAction::Decline,
            "no one consents to a URL"
        );
    }

    #[test]
    fn a_url_is_shown_and_only_the_person_says_it_is_done() {
        let url = request(json!({
            "mode": "url", "message": "Link your account\u{1b}[2J", "url": "https://auth.example.com/link?x=1",
            "elicitationId": "e1"
        }));
        let (answered, shown) = dialog(&url, "y\n");
        assert_eq!(answered.action, ElicitationAction::Accept, "`y` accepts");
        assert!(shown.contains("https://auth.example.com/link?x=1"), "the URL is printed: {shown}");
        assert!(shown.contains("(at auth.example.com)"), "its host is named: {shown}");
        assert!(!shown.contains('\u{1b}'), "the server's escape sequence is removed: {shown:?}");
        assert_eq!(dialog(&url, "\n").0.action, ElicitationAction::Decline, "Enter declines");
        assert_eq!(dialog(&url, "").0.action, ElicitationAction::Cancel, "end of input cancels");
    }
}
