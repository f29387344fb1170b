//! Inputs and their values: the types of `x-windflow.template.inputs` and `sizes`, and the
//! checks every value goes through ([`check_value`]), shared by the `template` module
//! (defaults, placeholders) and the `render` module (given and kept values).

use std::fmt;

use windflow_domain::units::parse_bytes;

/// The variables WindFlow sets itself from the chosen size class.
pub const BUILTINS: &[&str] = &[
    "WINDFLOW_CPUS",
    "WINDFLOW_MEMORY",
    "WINDFLOW_MEMORY_BYTES",
    "WINDFLOW_DISK_BYTES",
];

/// One input: a `${NAME}` of the compose text that the user (or a generator, or a formula)
/// gives a value.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub name: String,
    pub label: String,
    pub description: Option<String>,
    pub kind: InputKind,
    pub required: bool,
    pub default: Option<String>,
    /// The choices of an `enum` input.
    pub options: Vec<String>,
    /// Bounds of a number, port or size (in bytes) input.
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// A regular expression a string or secret must match.
    pub pattern: Option<String>,
    pub generate: Option<Generator>,
    /// An expression over `cpus`, `memory` and `disk` of the chosen size (see [`crate::formula`]).
    pub formula: Option<String>,
    /// How a `size` input is written: `b`, `k`, `m` (default), `g` (docker's syntax) or
    /// `kB`, `MB`, `GB` (postgres's).
    pub unit: Option<String>,
}

impl Input {
    /// Whether the value is kept as an encrypted stack secret (a `secret` input or a
    /// generated value).
    pub fn is_secret(&self) -> bool {
        self.kind == InputKind::Secret || self.generate.is_some()
    }

    /// An input of `kind` named `name` with every optional field empty.
    pub fn new(name: &str, kind: InputKind) -> Input {
        Input {
            name: name.to_string(),
            label: name.to_string(),
            description: None,
            kind,
            required: true,
            default: None,
            options: Vec::new(),
            min: None,
            max: None,
            pattern: None,
            generate: None,
            formula: None,
            unit: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InputKind {
    String,
    Number,
    Boolean,
    Enum,
    Secret,
    Domain,
    Port,
    Size,
}

impl InputKind {
    pub const ALL: [InputKind; 8] = [
        InputKind::String,
        InputKind::Number,
        InputKind::Boolean,
        InputKind::Enum,
        InputKind::Secret,
        InputKind::Domain,
        InputKind::Port,
        InputKind::Size,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::String => "string",
            InputKind::Number => "number",
            InputKind::Boolean => "boolean",
            InputKind::Enum => "enum",
            InputKind::Secret => "secret",
            InputKind::Domain => "domain",
            InputKind::Port => "port",
            InputKind::Size => "size",
        }
    }

    pub fn parse(text: &str) -> Option<InputKind> {
        InputKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

impl fmt::Display for InputKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a value is generated when none is given or kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generator {
    /// 32 characters from an alphabet without look-alikes (no `0O1lI`).
    Password,
    /// N letters and digits.
    Alnum(usize),
    /// N lower-case hexadecimal digits.
    Hex(usize),
    /// N random bytes, base64-encoded (standard alphabet, padded).
    Base64(usize),
    /// A random (version 4) UUID.
    Uuid,
}

/// Largest N of `alnum:N`, `hex:N`, `base64:N`.
pub const MAX_GENERATED: usize = 1024;

impl Generator {
    pub fn parse(text: &str) -> Result<Generator, String> {
        let (kind, count) = match text.split_once(':') {
            Some((kind, count)) => (kind, Some(count)),
            None => (text, None),
        };
        let count = match count {
            None => None,
            Some(c) => match c.trim().parse::<usize>() {
                Ok(n) if (1..=MAX_GENERATED).contains(&n) => Some(n),
                _ => {
                    return Err(format!(
                        "invalid length {c:?} in {text:?}: expected a number from 1 to {MAX_GENERATED}"
                    ));
                }
            },
        };
        match (kind, count) {
            ("password", None) => Ok(Generator::Password),
            ("uuid", None) => Ok(Generator::Uuid),
            ("alnum", Some(n)) => Ok(Generator::Alnum(n)),
            ("hex", Some(n)) => Ok(Generator::Hex(n)),
            ("base64", Some(n)) => Ok(Generator::Base64(n)),
            _ => Err(format!(
                "unknown generator {text:?} (use password, alnum:N, hex:N, base64:N or uuid)"
            )),
        }
    }
}

impl fmt::Display for Generator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Generator::Password => f.write_str("password"),
            Generator::Uuid => f.write_str("uuid"),
            Generator::Alnum(n) => write!(f, "alnum:{n}"),
            Generator::Hex(n) => write!(f, "hex:{n}"),
            Generator::Base64(n) => write!(f, "base64:{n}"),
        }
    }
}

/// One size class.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Size {
    pub cpus: f64,
    pub memory_bytes: u64,
    pub disk_bytes: u64,
}

/// The three size classes of a template.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sizes {
    pub small: Size,
    pub medium: Size,
    pub large: Size,
}

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

impl Default for Sizes {
    fn default() -> Self {
        Sizes {
            small: Size {
                cpus: 0.5,
                memory_bytes: 256 * MIB,
                disk_bytes: GIB,
            },
            medium: Size {
                cpus: 1.0,
                memory_bytes: GIB,
                disk_bytes: 10 * GIB,
            },
            large: Size {
                cpus: 2.0,
                memory_bytes: 4 * GIB,
                disk_bytes: 50 * GIB,
            },
        }
    }
}

/// Units a `size` input may be written in.
pub const SIZE_UNITS: &[&str] = &["b", "k", "m", "g", "kB", "MB", "GB"];

/// Whether `name` is a valid input name (`[A-Z_][A-Z0-9_]*`).
pub fn is_input_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_uppercase() || b == b'_')
        && bytes.all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// Largest value accepted for any input, in bytes.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;

/// The built-in variables for a size class.
pub fn builtin_values(size: &Size) -> Vec<(&'static str, String)> {
    vec![
        ("WINDFLOW_CPUS", number_text(size.cpus)),
        (
            "WINDFLOW_MEMORY",
            size_text(size.memory_bytes as f64, "m").0,
        ),
        ("WINDFLOW_MEMORY_BYTES", size.memory_bytes.to_string()),
        ("WINDFLOW_DISK_BYTES", size.disk_bytes.to_string()),
    ]
}

/// Checks `value` against `input`'s type and bounds; returns it as it is passed on (sizes
/// in the input's unit, booleans as `true`/`false`, domains in lower case).
pub fn check_value(input: &Input, value: &str) -> Result<String, String> {
    if value.len() > MAX_VALUE_BYTES {
        return Err(format!("longer than {MAX_VALUE_BYTES} bytes"));
    }
    if value.contains('\0') {
        return Err("contains a NUL character".into());
    }
    if value.is_empty() && !input.required {
        return Ok(String::new());
    }
    match input.kind {
        InputKind::String | InputKind::Secret => {
            if value.is_empty() {
                return Err("required: the value is empty".into());
            }
            if let Some(pattern) = &input.pattern {
                let re = regex::RegexBuilder::new(pattern)
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|e| format!("the input's pattern is invalid: {e}"))?;
                if !re.is_match(value) {
                    return Err(if input.kind == InputKind::Secret {
                        format!("does not match the pattern {pattern:?}")
                    } else {
                        format!("{value:?} does not match the pattern {pattern:?}")
                    });
                }
            }
            Ok(value.to_string())
        }
        InputKind::Number => {
            let number: f64 = value
                .trim()
                .parse()
                .ok()
                .filter(|n: &f64| n.is_finite())
                .ok_or_else(|| format!("{value:?} is not a number"))?;
            bounds(input, number, &number_text)?;
            Ok(value.trim().to_string())
        }
        InputKind::Boolean => match value.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok("true".into()),
            "false" | "no" | "off" | "0" => Ok("false".into()),
            _ => Err(format!("{value:?} is not a boolean (true or false)")),
        },
        InputKind::Enum => {
            if input.options.iter().any(|o| o == value) {
                Ok(value.to_string())
            } else {
                Err(format!(
                    "{value:?} is not one of the options ({})",
                    input.options.join(", ")
                ))
            }
        }
        InputKind::Port => {
            let port: u16 = value
                .trim()
                .parse()
                .ok()
                .filter(|p| *p >= 1)
                .ok_or_else(|| format!("{value:?} is not a port (1 to 65535)"))?;
            bounds(input, f64::from(port), &number_text)?;
            Ok(port.to_string())
        }
        InputKind::Domain => windflow_domain::ingress::parse_host(value.trim())
            .map_err(|e| format!("{value:?} is not a valid domain name: {}", e.0))
            .and_then(|host| {
                if host.starts_with("*.") {
                    Err(format!(
                        "{value:?}: a wildcard is not a domain for one service"
                    ))
                } else {
                    Ok(host)
                }
            }),
        InputKind::Size => {
            let bytes = parse_bytes(value)?;
            bounds(input, bytes as f64, &|b| human_bytes(b as u64))?;
            Ok(size_text(bytes as f64, input.unit.as_deref().unwrap_or("m")).0)
        }
    }
}

fn bounds(input: &Input, value: f64, show: &dyn Fn(f64) -> String) -> Result<(), String> {
    if let Some(min) = input.min
        && value < min
    {
        return Err(format!(
            "{} is below the minimum {}",
            show(value),
            show(min)
        ));
    }
    if let Some(max) = input.max
        && value > max
    {
        return Err(format!(
            "{} is above the maximum {}",
            show(value),
            show(max)
        ));
    }
    Ok(())
}

/// A number without a needless fraction (`2`, `0.5`, `1.33`).
pub fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        let text = format!("{n:.2}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// `bytes` in `unit` (rounded down, at least 1 of the unit for a non-zero size), and the
/// number of bytes that stands for.
pub fn size_text(bytes: f64, unit: &str) -> (String, u64) {
    let scale: u64 = match unit {
        "k" | "kB" => 1 << 10,
        "m" | "MB" => 1 << 20,
        "g" | "GB" => 1 << 30,
        _ => 1,
    };
    let bytes = if bytes.is_finite() && bytes > 0.0 {
        bytes.min(u64::MAX as f64) as u64
    } else {
        0
    };
    let mut count = bytes / scale;
    if count == 0 && bytes > 0 {
        count = 1;
    }
    (format!("{count}{unit}"), count.saturating_mul(scale))
}

/// `bytes` for people: `1.2 GiB`, `256 MiB`, `512 B`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{:.1} {}", value, UNITS[unit])
    }
}
