//! Turning a template and a user's choice into the variables of a deployment:
//! [`resolve`] checks every given value by its input's type, keeps values from a previous
//! deployment, generates the missing secrets, computes formulas from the chosen size class,
//! sets the built-in `WINDFLOW_*` variables, and refuses a size the target cannot fit.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use rand::RngCore;
use windflow_domain::observed::EngineInfo;

use crate::formula::{Formula, Variables};
use crate::input::{Generator, Input, InputKind, Size};
pub use crate::input::{
    MAX_VALUE_BYTES, builtin_values, check_value, human_bytes, number_text, size_text,
};
use crate::template::Template;

/// The size class the user picked.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum SizeChoice {
    Small,
    #[default]
    Medium,
    Large,
    Explicit {
        cpus: f64,
        memory_bytes: u64,
        disk_bytes: u64,
    },
}

/// What the user chose for one deployment of a template.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Choice {
    pub size: SizeChoice,
    /// Values the user gave, by input name.
    pub values: BTreeMap<String, String>,
    /// Values kept from the previous deployment (generated secrets above all): reused when
    /// the user gives none.
    pub existing: BTreeMap<String, String>,
}

/// What a target offers (from its [`EngineInfo`]). A zero or absent figure is unknown and
/// not checked.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Capacity {
    pub cpus: f64,
    pub memory_bytes: u64,
    pub reserved_memory_bytes: u64,
    pub free_disk_bytes: Option<u64>,
}

impl From<&EngineInfo> for Capacity {
    fn from(info: &EngineInfo) -> Self {
        Capacity {
            cpus: info.cpus as f64,
            memory_bytes: info.memory_bytes,
            reserved_memory_bytes: info.reserved_memory_bytes,
            free_disk_bytes: info.free_disk_bytes,
        }
    }
}

/// Where a resolved value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Given,
    Default,
    Generated,
    Kept,
    /// Computed from the size class; `why` shows the figures (`memory / 4 = 1 GiB / 4 = 256 MiB`).
    Formula {
        formula: String,
        why: String,
    },
    Builtin,
}

/// One variable of the deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedVar {
    pub name: String,
    pub value: String,
    /// Stored as an encrypted stack secret and never shown back.
    pub secret: bool,
    pub origin: Origin,
}

/// The size the deployment runs with.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedSize {
    /// `small`, `medium`, `large` or `explicit`.
    pub class: &'static str,
    pub cpus: f64,
    pub memory_bytes: u64,
    pub disk_bytes: u64,
}

/// A template's variables for one deployment.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// Every input (in the template's order), then the built-ins.
    pub variables: Vec<ResolvedVar>,
    pub size: ResolvedSize,
    pub warnings: Vec<String>,
}

impl Resolved {
    /// The variables as a map, to interpolate the compose text with.
    pub fn environment(&self) -> BTreeMap<String, String> {
        self.variables
            .iter()
            .map(|v| (v.name.clone(), v.value.clone()))
            .collect()
    }
}

/// A value that cannot be used, or a size that cannot fit. `input` names the input at fault
/// (`size` for the size class).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub input: String,
    pub message: String,
}

impl std::error::Error for InputError {}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.input, self.message)
    }
}

/// Resolves every input of `t` for `choice`, on a target with `capacity` (when known).
/// Every problem is reported, not only the first.
pub fn resolve(
    t: &Template,
    choice: &Choice,
    capacity: Option<&Capacity>,
    rng: &mut dyn RngCore,
) -> Result<Resolved, Vec<InputError>> {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let error = |errors: &mut Vec<InputError>, input: &str, message: String| {
        errors.push(InputError {
            input: input.to_string(),
            message,
        })
    };

    for name in choice.values.keys() {
        if t.input(name).is_none() {
            error(
                &mut errors,
                name,
                format!("the template {:?} has no input called {name:?}", t.id),
            );
        }
    }

    let size = size_of(t, choice.size);
    if let Err(e) = check_size(&size) {
        error(&mut errors, "size", e);
    }
    if let Some(capacity) = capacity {
        errors.extend(
            fits(&size, capacity, &mut warnings)
                .into_iter()
                .map(|message| InputError {
                    input: "size".into(),
                    message,
                }),
        );
    }
    let variables_for_formulas = Variables {
        cpus: size.cpus,
        memory: size.memory_bytes as f64,
        disk: size.disk_bytes as f64,
    };

    let mut variables = Vec::new();
    for input in &t.inputs {
        let secret = input.is_secret();
        let given = choice.values.get(&input.name);
        let (value, origin) = if let Some(value) = given {
            match check_value(input, value) {
                Ok(v) => (v, Origin::Given),
                Err(e) => {
                    error(&mut errors, &input.name, e);
                    continue;
                }
            }
        } else if let Some(value) = choice.existing.get(&input.name) {
            match check_value(input, value) {
                Ok(v) => (v, Origin::Kept),
                Err(e) => {
                    error(
                        &mut errors,
                        &input.name,
                        format!(
                            "the value kept from the previous deployment is no longer valid ({e}): give a new one"
                        ),
                    );
                    continue;
                }
            }
        } else if let Some(text) = &input.formula {
            match compute(input, text, &variables_for_formulas, &size) {
                Ok((value, why, warning)) => {
                    if let Some(w) = warning {
                        warnings.push(format!("{}: {w}", input.name));
                    }
                    (
                        value,
                        Origin::Formula {
                            formula: text.clone(),
                            why,
                        },
                    )
                }
                Err(e) => {
                    error(&mut errors, &input.name, format!("formula {text:?}: {e}"));
                    continue;
                }
            }
        } else if let Some(default) = &input.default {
            match check_value(input, default) {
                Ok(v) => (v, Origin::Default),
                Err(e) => {
                    error(&mut errors, &input.name, format!("invalid default: {e}"));
                    continue;
                }
            }
        } else if let Some(generator) = input.generate {
            (generate(generator, rng), Origin::Generated)
        } else if input.required {
            error(
                &mut errors,
                &input.name,
                format!(
                    "required: give a value ({}{})",
                    input.kind,
                    input
                        .description
                        .as_deref()
                        .map(|d| format!(": {d}"))
                        .unwrap_or_default()
                ),
            );
            continue;
        } else {
            (String::new(), Origin::Default)
        };
        variables.push(ResolvedVar {
            name: input.name.clone(),
            value,
            secret,
            origin,
        });
    }
    for (name, value) in builtin_values(&Size {
        cpus: size.cpus,
        memory_bytes: size.memory_bytes,
        disk_bytes: size.disk_bytes,
    }) {
        variables.push(ResolvedVar {
            name: name.to_string(),
            value,
            secret: false,
            origin: Origin::Builtin,
        });
    }
    if errors.is_empty() {
        Ok(Resolved {
            variables,
            size,
            warnings,
        })
    } else {
        Err(errors)
    }
}

fn size_of(t: &Template, choice: SizeChoice) -> ResolvedSize {
    let (class, size) = match choice {
        SizeChoice::Small => ("small", t.sizes.small),
        SizeChoice::Medium => ("medium", t.sizes.medium),
        SizeChoice::Large => ("large", t.sizes.large),
        SizeChoice::Explicit {
            cpus,
            memory_bytes,
            disk_bytes,
        } => (
            "explicit",
            Size {
                cpus,
                memory_bytes,
                disk_bytes,
            },
        ),
    };
    ResolvedSize {
        class,
        cpus: size.cpus,
        memory_bytes: size.memory_bytes,
        disk_bytes: size.disk_bytes,
    }
}

fn check_size(size: &ResolvedSize) -> Result<(), String> {
    if !size.cpus.is_finite() || size.cpus <= 0.0 || size.cpus > 1024.0 {
        return Err(format!("invalid cpus {}: expected more than 0", size.cpus));
    }
    if size.memory_bytes < (6 << 20) {
        return Err(format!(
            "{} of memory is below docker's minimum of 6 MiB",
            human_bytes(size.memory_bytes)
        ));
    }
    Ok(())
}

/// Whether `size` fits `capacity`: one message per missing resource.
pub fn fits(size: &ResolvedSize, capacity: &Capacity, warnings: &mut Vec<String>) -> Vec<String> {
    let mut missing = Vec::new();
    if capacity.memory_bytes > 0 {
        let free = capacity
            .memory_bytes
            .saturating_sub(capacity.reserved_memory_bytes);
        if size.memory_bytes > free {
            missing.push(format!(
                "the {} size needs {} of memory, the target has {} unreserved ({} in all, {} reserved by running containers)",
                size.class,
                human_bytes(size.memory_bytes),
                human_bytes(free),
                human_bytes(capacity.memory_bytes),
                human_bytes(capacity.reserved_memory_bytes)
            ));
        }
    } else {
        warnings.push("the target's memory is unknown: not checked".into());
    }
    if capacity.cpus > 0.0 {
        if size.cpus > capacity.cpus {
            missing.push(format!(
                "the {} size needs {} CPUs, the target has {}",
                size.class,
                number_text(size.cpus),
                number_text(capacity.cpus)
            ));
        }
    } else {
        warnings.push("the target's CPU count is unknown: not checked".into());
    }
    match capacity.free_disk_bytes {
        Some(free) if size.disk_bytes > free => missing.push(format!(
            "the {} size needs {} of disk, the target has {} free",
            size.class,
            human_bytes(size.disk_bytes),
            human_bytes(free)
        )),
        Some(_) => {}
        None => warnings.push("the target's free disk is unknown: not checked".into()),
    }
    missing
}

/// Evaluates a formula input: its value, the "why", and a warning when it was clamped.
fn compute(
    input: &Input,
    text: &str,
    variables: &Variables,
    size: &ResolvedSize,
) -> Result<(String, String, Option<String>), String> {
    let formula = Formula::parse(text)?;
    let raw = formula.evaluate(variables)?;
    let mut value = raw;
    let mut warning = None;
    if let Some(min) = input.min
        && value < min
    {
        value = min;
        warning = Some(format!("{text} gives {raw}, raised to the minimum {min}"));
    }
    if let Some(max) = input.max
        && value > max
    {
        value = max;
        warning = Some(format!("{text} gives {raw}, lowered to the maximum {max}"));
    }
    let figures = format!(
        "cpus = {}, memory = {}, disk = {} ({} size)",
        number_text(size.cpus),
        human_bytes(size.memory_bytes),
        human_bytes(size.disk_bytes),
        size.class
    );
    let rendered = match input.kind {
        InputKind::Size => {
            if value < 0.0 {
                return Err(format!("the result {value} is a negative size"));
            }
            size_text(value, input.unit.as_deref().unwrap_or("m")).0
        }
        _ => number_text(value),
    };
    let shown = if input.kind == InputKind::Size {
        human_bytes(value as u64)
    } else {
        number_text(value)
    };
    Ok((
        rendered,
        format!("{text} with {figures} = {shown}"),
        warning,
    ))
}

/// Letters and digits without look-alikes (`0O`, `1lI`).
const UNAMBIGUOUS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX: &[u8] = b"0123456789abcdef";
/// Length of a generated password.
pub const PASSWORD_LENGTH: usize = 32;

/// A fresh value from `generator`.
pub fn generate(generator: Generator, rng: &mut dyn RngCore) -> String {
    match generator {
        Generator::Password => pick(UNAMBIGUOUS, PASSWORD_LENGTH, rng),
        Generator::Alnum(n) => pick(ALNUM, n, rng),
        Generator::Hex(n) => pick(HEX, n, rng),
        Generator::Base64(n) => {
            let mut bytes = vec![0u8; n];
            rng.fill_bytes(&mut bytes);
            base64::engine::general_purpose::STANDARD.encode(bytes)
        }
        Generator::Uuid => {
            let mut b = [0u8; 16];
            rng.fill_bytes(&mut b);
            b[6] = (b[6] & 0x0f) | 0x40;
            b[8] = (b[8] & 0x3f) | 0x80;
            let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
            format!(
                "{}-{}-{}-{}-{}",
                &hex[0..8],
                &hex[8..12],
                &hex[12..16],
                &hex[16..20],
                &hex[20..32]
            )
        }
    }
}

/// `count` characters from `alphabet`, uniformly (bytes beyond the last whole multiple of
/// the alphabet's length are drawn again).
fn pick(alphabet: &[u8], count: usize, rng: &mut dyn RngCore) -> String {
    let limit = 256 - 256 % alphabet.len();
    let mut out = String::with_capacity(count);
    let mut buffer = [0u8; 64];
    while out.len() < count {
        rng.fill_bytes(&mut buffer);
        for &byte in &buffer {
            if (byte as usize) < limit && out.len() < count {
                out.push(alphabet[byte as usize % alphabet.len()] as char);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn template() -> Template {
        Template::parse(
            "t.yaml",
            r#"x-windflow:
  template:
    id: app
    inputs:
      - name: PASSWORD
        type: secret
        generate: password
      - name: TOKEN
        generate: hex:40
      - name: KEY
        generate: base64:32
      - name: ID
        generate: uuid
      - name: USER
        generate: alnum:16
      - name: DOMAIN
        type: domain
      - name: PORT
        type: port
        default: 8080
      - name: WORKERS
        type: number
        formula: max(1, floor(cpus * 2))
        max: 3
      - name: BUFFERS
        type: size
        formula: memory / 4
        unit: MB
      - name: CACHE
        type: size
        default: 64m
        min: 16m
      - name: DEBUG
        type: boolean
        default: false
      - name: MODE
        type: enum
        options: [fast, safe]
        default: safe
      - name: NAME
        pattern: "^[a-z]+$"
        required: false
services:
  app:
    image: app
    environment:
      A: ${PASSWORD}${TOKEN}${KEY}${ID}${USER}${DOMAIN}${PORT}${WORKERS}${BUFFERS}${CACHE}${DEBUG}${MODE}${NAME}
      MEM: ${WINDFLOW_MEMORY}
"#,
        )
        .expect("the test template parses")
    }

    fn choice(values: &[(&str, &str)]) -> Choice {
        Choice {
            values: values
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Choice::default()
        }
    }

    fn value<'a>(r: &'a Resolved, name: &str) -> &'a ResolvedVar {
        r.variables.iter().find(|v| v.name == name).unwrap()
    }

    fn errors(t: &Template, c: &Choice, capacity: Option<&Capacity>) -> Vec<String> {
        resolve(t, c, capacity, &mut StdRng::seed_from_u64(1))
            .expect_err("should fail")
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn generates_computes_and_keeps() {
        let t = template();
        let mut c = choice(&[("DOMAIN", "App.Example.COM")]);
        c.existing.insert("PASSWORD".into(), "kept-secret".into());
        let r = resolve(&t, &c, None, &mut StdRng::seed_from_u64(7)).unwrap();
        assert_eq!(value(&r, "PASSWORD").value, "kept-secret");
        assert_eq!(value(&r, "PASSWORD").origin, Origin::Kept);
        assert!(value(&r, "PASSWORD").secret);
        let token = &value(&r, "TOKEN").value;
        assert!(token.len() == 40 && token.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(value(&r, "KEY").value.len(), 44);
        let id = &value(&r, "ID").value;
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert_eq!(value(&r, "USER").value.len(), 16);
        assert_eq!(value(&r, "DOMAIN").value, "app.example.com");
        assert_eq!(value(&r, "DOMAIN").origin, Origin::Given);
        assert_eq!(value(&r, "PORT").value, "8080");
        // medium: 1 cpu, 1 GiB
        assert_eq!(value(&r, "WORKERS").value, "2");
        assert_eq!(value(&r, "BUFFERS").value, "256MB");
        let Origin::Formula { why, .. } = &value(&r, "BUFFERS").origin else {
            panic!("formula origin");
        };
        assert!(
            why.contains("memory = 1.0 GiB") && why.ends_with("= 256.0 MiB"),
            "{why}"
        );
        assert_eq!(value(&r, "CACHE").value, "64m");
        assert_eq!(value(&r, "DEBUG").value, "false");
        assert_eq!(value(&r, "NAME").value, "");
        assert_eq!(value(&r, "WINDFLOW_MEMORY").value, "1024m");
        assert_eq!(value(&r, "WINDFLOW_CPUS").value, "1");

        let large = Choice {
            size: SizeChoice::Large,
            ..c.clone()
        };
        let r = resolve(&t, &large, None, &mut StdRng::seed_from_u64(7)).unwrap();
        assert_eq!(value(&r, "WORKERS").value, "3");
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    }

    #[test]
    fn passwords_are_long_and_unambiguous() {
        let p = generate(Generator::Password, &mut StdRng::seed_from_u64(3));
        assert!(p.len() >= 24);
        assert!(!p.contains(['0', 'O', '1', 'l', 'I']), "{p}");
        let other = generate(Generator::Password, &mut StdRng::seed_from_u64(4));
        assert_ne!(p, other);
    }

    #[test]
    fn values_are_checked_by_type() {
        let t = template();
        let c = choice(&[
            ("DOMAIN", "not a domain"),
            ("PORT", "70000"),
            ("CACHE", "8m"),
            ("DEBUG", "maybe"),
            ("MODE", "turbo"),
            ("NAME", "ABC"),
            ("WORKERS", "many"),
            ("NOPE", "x"),
        ]);
        let errors = errors(&t, &c, None);
        let joined = errors.join("\n");
        for expected in [
            "NOPE: the template \"app\" has no input called \"NOPE\"",
            "DOMAIN: \"not a domain\" is not a valid domain name",
            "PORT: \"70000\" is not a port (1 to 65535)",
            "CACHE: 8.0 MiB is below the minimum 16.0 MiB",
            "DEBUG: \"maybe\" is not a boolean",
            "MODE: \"turbo\" is not one of the options (fast, safe)",
            "NAME: \"ABC\" does not match the pattern",
            "WORKERS: \"many\" is not a number",
        ] {
            assert!(
                joined.contains(expected),
                "missing {expected:?} in\n{joined}"
            );
        }
        assert_eq!(errors.len(), 8, "{joined}");
    }

    #[test]
    fn a_required_input_without_value_is_named() {
        let t = template();
        let errors = errors(&t, &Choice::default(), None);
        assert_eq!(errors, vec!["DOMAIN: required: give a value (domain)"]);
    }

    #[test]
    fn a_size_that_cannot_fit_is_refused() {
        let t = template();
        let c = Choice {
            size: SizeChoice::Large,
            ..choice(&[("DOMAIN", "a.example.com")])
        };
        let capacity = Capacity {
            cpus: 1.0,
            memory_bytes: 2 << 30,
            reserved_memory_bytes: (8 << 30) / 10,
            free_disk_bytes: Some(20 << 30),
        };
        let errors = errors(&t, &c, Some(&capacity));
        assert_eq!(
            errors,
            vec![
                "size: the large size needs 4.0 GiB of memory, the target has 1.2 GiB unreserved (2.0 GiB in all, 819.2 MiB reserved by running containers)",
                "size: the large size needs 2 CPUs, the target has 1",
                "size: the large size needs 50.0 GiB of disk, the target has 20.0 GiB free",
            ]
        );
        let small = Choice {
            size: SizeChoice::Small,
            ..c
        };
        assert!(resolve(&t, &small, Some(&capacity), &mut StdRng::seed_from_u64(1)).is_ok());
    }

    #[test]
    fn an_explicit_size_is_checked_and_unknown_figures_are_warned_about() {
        let t = template();
        let mut c = choice(&[("DOMAIN", "a.example.com")]);
        c.size = SizeChoice::Explicit {
            cpus: 4.0,
            memory_bytes: 8 << 30,
            disk_bytes: 100 << 30,
        };
        let r = resolve(
            &t,
            &c,
            Some(&Capacity::default()),
            &mut StdRng::seed_from_u64(1),
        )
        .unwrap();
        assert_eq!(r.size.class, "explicit");
        assert_eq!(value(&r, "WORKERS").value, "3");
        assert_eq!(value(&r, "BUFFERS").value, "2048MB");
        assert_eq!(
            value(&r, "WINDFLOW_MEMORY_BYTES").value,
            (8u64 << 30).to_string()
        );
        assert_eq!(r.warnings.len(), 4, "{:?}", r.warnings);
        c.size = SizeChoice::Explicit {
            cpus: 0.0,
            memory_bytes: 1 << 20,
            disk_bytes: 0,
        };
        let errors = errors(&t, &c, None);
        assert_eq!(errors, vec!["size: invalid cpus 0: expected more than 0"]);
    }

    #[test]
    fn capacity_comes_from_engine_info() {
        let info: EngineInfo = serde_json::from_value(serde_json::json!({
            "version": "27", "api_version": "1.47", "os": "linux", "arch": "x86_64",
            "cpus": 4, "memory_bytes": 1024, "reserved_memory_bytes": 24
        }))
        .unwrap();
        let c = Capacity::from(&info);
        assert_eq!(
            (
                c.cpus,
                c.memory_bytes,
                c.reserved_memory_bytes,
                c.free_disk_bytes
            ),
            (4.0, 1024, 24, None)
        );
    }

    proptest::proptest! {
        #[test]
        fn any_value_is_checked_without_panic(value in "\\PC{0,40}", kind in 0usize..8) {
            let mut input = Input::new("X", InputKind::ALL[kind]);
            input.options = vec!["a".into()];
            input.pattern = Some("^[a-z]*$".into());
            input.min = Some(1.0);
            input.max = Some(1e12);
            let _ = check_value(&input, &value);
        }

        #[test]
        fn generated_values_have_their_shape(n in 1usize..200, seed in 0u64..1000) {
            let mut rng = StdRng::seed_from_u64(seed);
            proptest::prop_assert_eq!(generate(Generator::Alnum(n), &mut rng).len(), n);
            proptest::prop_assert_eq!(generate(Generator::Hex(n), &mut rng).len(), n);
            proptest::prop_assert_eq!(generate(Generator::Base64(n), &mut rng).len(), n.div_ceil(3) * 4);
        }
    }
}
