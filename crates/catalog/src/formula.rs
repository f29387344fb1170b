//! The arithmetic of `formula:` inputs: numbers, `+ - * /`, parentheses, unary minus, the
//! variables `cpus`, `memory` (bytes) and `disk` (bytes), and the functions `min(a, b, …)`,
//! `max(a, b, …)`, `round(x)`, `floor(x)`, `ceil(x)`.
//!
//! Invariant: total. Any text gives a value or a message, never a panic: the text is at most
//! [`MAX_LENGTH`] bytes, nesting at most [`MAX_DEPTH`] deep, and every result is finite
//! (division by zero and overflow to infinity are errors).

use std::fmt;

/// Longest formula accepted, in bytes.
pub const MAX_LENGTH: usize = 256;
/// Deepest nesting of parentheses, calls and unary minus.
pub const MAX_DEPTH: usize = 32;

/// A parsed formula.
#[derive(Debug, Clone, PartialEq)]
pub struct Formula {
    text: String,
    expr: Expr,
}

/// What a formula's variables stand for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Variables {
    pub cpus: f64,
    pub memory: f64,
    pub disk: f64,
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Number(f64),
    Variable(Variable),
    Negate(Box<Expr>),
    Binary(Op, Box<Expr>, Box<Expr>),
    Call(Function, Vec<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Variable {
    Cpus,
    Memory,
    Disk,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Add,
    Subtract,
    Multiply,
    Divide,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Function {
    Min,
    Max,
    Round,
    Floor,
    Ceil,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(f64),
    Name(String),
    Plus,
    Minus,
    Star,
    Slash,
    Open,
    Close,
    Comma,
}

impl Formula {
    /// Parses `text`; the message says what is wrong and where (a byte offset).
    pub fn parse(text: &str) -> Result<Formula, String> {
        if text.len() > MAX_LENGTH {
            return Err(format!(
                "the formula is longer than {MAX_LENGTH} characters"
            ));
        }
        let tokens = tokenize(text)?;
        let mut parser = Parser { tokens, at: 0 };
        let expr = parser.expression(0)?;
        if let Some(token) = parser.tokens.get(parser.at) {
            return Err(format!(
                "unexpected {} after the end of the formula",
                describe(token)
            ));
        }
        Ok(Formula {
            text: text.to_string(),
            expr,
        })
    }

    /// The text the formula was parsed from.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Evaluates the formula; the result is always finite.
    pub fn evaluate(&self, variables: &Variables) -> Result<f64, String> {
        evaluate(&self.expr, variables)
    }
}

impl fmt::Display for Formula {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let token = match c {
            ' ' | '\t' | '\n' | '\r' => continue,
            '+' => Token::Plus,
            '-' => Token::Minus,
            '*' => Token::Star,
            '/' => Token::Slash,
            '(' => Token::Open,
            ')' => Token::Close,
            ',' => Token::Comma,
            '0'..='9' | '.' => {
                let mut end = at + c.len_utf8();
                while let Some(&(i, d)) = chars.peek() {
                    if d.is_ascii_digit() || d == '.' {
                        end = i + d.len_utf8();
                        chars.next();
                    } else {
                        break;
                    }
                }
                let number: f64 = text[at..end]
                    .parse()
                    .map_err(|_| format!("invalid number {:?} at {at}", &text[at..end]))?;
                Token::Number(number)
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut end = at + 1;
                while let Some(&(i, d)) = chars.peek() {
                    if d.is_ascii_alphanumeric() || d == '_' {
                        end = i + 1;
                        chars.next();
                    } else {
                        break;
                    }
                }
                Token::Name(text[at..end].to_string())
            }
            other => return Err(format!("unexpected character {other:?} at {at}")),
        };
        tokens.push(token);
    }
    if tokens.is_empty() {
        return Err("the formula is empty".into());
    }
    Ok(tokens)
}

fn describe(token: &Token) -> String {
    match token {
        Token::Number(n) => format!("number {n}"),
        Token::Name(name) => format!("{name:?}"),
        Token::Plus => "\"+\"".into(),
        Token::Minus => "\"-\"".into(),
        Token::Star => "\"*\"".into(),
        Token::Slash => "\"/\"".into(),
        Token::Open => "\"(\"".into(),
        Token::Close => "\")\"".into(),
        Token::Comma => "\",\"".into(),
    }
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn expect(&mut self, expected: &Token) -> Result<(), String> {
        match self.next() {
            Some(token) if &token == expected => Ok(()),
            Some(token) => Err(format!(
                "expected {}, found {}",
                describe(expected),
                describe(&token)
            )),
            None => Err(format!(
                "expected {}, found the end of the formula",
                describe(expected)
            )),
        }
    }

    /// expression := term (("+" | "-") term)*
    fn expression(&mut self, depth: usize) -> Result<Expr, String> {
        if depth > MAX_DEPTH {
            return Err(format!("the formula nests deeper than {MAX_DEPTH} levels"));
        }
        let mut left = self.term(depth)?;
        loop {
            let op = match self.peek() {
                Some(Token::Plus) => Op::Add,
                Some(Token::Minus) => Op::Subtract,
                _ => return Ok(left),
            };
            self.at += 1;
            let right = self.term(depth)?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    /// term := unary (("*" | "/") unary)*
    fn term(&mut self, depth: usize) -> Result<Expr, String> {
        let mut left = self.unary(depth)?;
        loop {
            let op = match self.peek() {
                Some(Token::Star) => Op::Multiply,
                Some(Token::Slash) => Op::Divide,
                _ => return Ok(left),
            };
            self.at += 1;
            let right = self.unary(depth)?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    /// unary := "-" unary | primary
    fn unary(&mut self, depth: usize) -> Result<Expr, String> {
        if depth > MAX_DEPTH {
            return Err(format!("the formula nests deeper than {MAX_DEPTH} levels"));
        }
        if self.peek() == Some(&Token::Minus) {
            self.at += 1;
            return Ok(Expr::Negate(Box::new(self.unary(depth + 1)?)));
        }
        self.primary(depth)
    }

    /// primary := number | variable | function "(" arguments ")" | "(" expression ")"
    fn primary(&mut self, depth: usize) -> Result<Expr, String> {
        match self.next() {
            Some(Token::Number(n)) => Ok(Expr::Number(n)),
            Some(Token::Open) => {
                let inner = self.expression(depth + 1)?;
                self.expect(&Token::Close)?;
                Ok(inner)
            }
            Some(Token::Name(name)) => {
                let variable = match name.as_str() {
                    "cpus" => Some(Variable::Cpus),
                    "memory" => Some(Variable::Memory),
                    "disk" => Some(Variable::Disk),
                    _ => None,
                };
                if let Some(variable) = variable {
                    return Ok(Expr::Variable(variable));
                }
                let function = match name.as_str() {
                    "min" => Function::Min,
                    "max" => Function::Max,
                    "round" => Function::Round,
                    "floor" => Function::Floor,
                    "ceil" => Function::Ceil,
                    _ => {
                        return Err(format!(
                            "unknown name {name:?} (variables: cpus, memory, disk; functions: min, max, round, floor, ceil)"
                        ));
                    }
                };
                self.expect(&Token::Open)?;
                let mut arguments = vec![self.expression(depth + 1)?];
                while self.peek() == Some(&Token::Comma) {
                    self.at += 1;
                    arguments.push(self.expression(depth + 1)?);
                }
                self.expect(&Token::Close)?;
                let arity_ok = match function {
                    Function::Min | Function::Max => arguments.len() >= 2,
                    Function::Round | Function::Floor | Function::Ceil => arguments.len() == 1,
                };
                if !arity_ok {
                    return Err(format!(
                        "{name}() takes {}, got {}",
                        if matches!(function, Function::Min | Function::Max) {
                            "two or more arguments"
                        } else {
                            "one argument"
                        },
                        arguments.len()
                    ));
                }
                Ok(Expr::Call(function, arguments))
            }
            Some(token) => Err(format!("unexpected {}", describe(&token))),
            None => Err("the formula ends too early".into()),
        }
    }
}

fn evaluate(expr: &Expr, variables: &Variables) -> Result<f64, String> {
    let value = match expr {
        Expr::Number(n) => *n,
        Expr::Variable(Variable::Cpus) => variables.cpus,
        Expr::Variable(Variable::Memory) => variables.memory,
        Expr::Variable(Variable::Disk) => variables.disk,
        Expr::Negate(inner) => -evaluate(inner, variables)?,
        Expr::Binary(op, left, right) => {
            let left = evaluate(left, variables)?;
            let right = evaluate(right, variables)?;
            match op {
                Op::Add => left + right,
                Op::Subtract => left - right,
                Op::Multiply => left * right,
                Op::Divide if right == 0.0 => return Err("division by zero".into()),
                Op::Divide => left / right,
            }
        }
        Expr::Call(function, arguments) => {
            let values = arguments
                .iter()
                .map(|a| evaluate(a, variables))
                .collect::<Result<Vec<f64>, String>>()?;
            match function {
                Function::Min => values.iter().copied().fold(f64::INFINITY, f64::min),
                Function::Max => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                Function::Round => values.first().copied().unwrap_or_default().round(),
                Function::Floor => values.first().copied().unwrap_or_default().floor(),
                Function::Ceil => values.first().copied().unwrap_or_default().ceil(),
            }
        }
    };
    if value.is_finite() {
        Ok(value)
    } else {
        Err("the result is out of range".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VARIABLES: Variables = Variables {
        cpus: 2.0,
        memory: 1024.0,
        disk: 4096.0,
    };

    fn check(text: &str, expected: Result<f64, &str>) {
        let got = Formula::parse(text).and_then(|f| f.evaluate(&VARIABLES));
        match expected {
            Ok(value) => assert_eq!(got, Ok(value), "{text}"),
            Err(part) => {
                let message = got.expect_err(text);
                assert!(message.contains(part), "{text}: {message}");
            }
        }
    }

    #[test]
    fn arithmetic_follows_precedence() {
        check("1 + 2 * 3", Ok(7.0));
        check("(1 + 2) * 3", Ok(9.0));
        check("-2 * -3", Ok(6.0));
        check("10 - 2 - 3", Ok(5.0));
        check("memory / 4", Ok(256.0));
        check("min(memory / 4, 100)", Ok(100.0));
        check("max(1, cpus, 3)", Ok(3.0));
        check("round(2.5) + floor(1.9) + ceil(0.1)", Ok(5.0));
        check("disk * 0.5", Ok(2048.0));
    }

    #[test]
    fn errors_say_what_is_wrong() {
        check("1 / (cpus - 2)", Err("division by zero"));
        check("", Err("empty"));
        check("1 +", Err("ends too early"));
        check("(1", Err("expected \")\""));
        check("1 2", Err("after the end"));
        check("foo", Err("unknown name"));
        check("round(1, 2)", Err("one argument"));
        check("min(1)", Err("two or more"));
        check("1 % 2", Err("unexpected character"));
        check("1..2", Err("invalid number"));
        check(&"(".repeat(40), Err("nests deeper"));
        check(&"-".repeat(40), Err("nests deeper"));
        check(&"1+".repeat(200), Err("longer than"));
        check("1e308 * 10", Err("unexpected"));
        check(
            "99999999999999999999 * 99999999999999999999 * 99999999999999999999 * 99999999999999999999 * 99999999999999999999 * 99999999999999999999 * 99999999999999999999 * 99999999999999999999 * 99999999999999999999 * 99999999999999999999 * 99999999999999999999 * 99999999999999999999 * 99999999999999999999 * 99999999999999999999 * 99999999999999999999 * 99999999999999999999",
            Err(""),
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics(text in "[-+*/(), .0-9a-z]{0,300}") {
            if let Ok(formula) = Formula::parse(&text)
                && let Ok(value) = formula.evaluate(&VARIABLES)
            {
                proptest::prop_assert!(value.is_finite());
            }
        }

        #[test]
        fn never_panics_on_any_text(text in "\\PC{0,80}") {
            let _ = Formula::parse(&text).and_then(|f| f.evaluate(&VARIABLES));
        }
    }
}
