//! The expression language of conditions and templates: a small, safe and bounded language
//! over JSON values.
//!
//! Literals (`1`, `2.5`, `'text'`, `"text"`, `true`, `false`, `null`, `[a, b]`), paths
//! (`trigger.ref`, `nodes.pull.output.commit`, `a[0]`, `a['key']`), `!` and unary `-`,
//! `* / %`, `+ -` (`+` concatenates when either side is a string), comparisons
//! `== != < <= > >=`, `&&` and `||` (short-circuit, giving booleans), parentheses and calls of
//! a fixed list of functions. A path that leads nowhere is `null`, not an error; a type
//! mismatch is an error. Templates are text with `${{ expr }}` parts.
//!
//! Invariant: nothing here can run away. The source is at most [`MAX_SOURCE`] bytes, nesting
//! at most [`MAX_DEPTH`] levels (the parser counts its recursion, and operator chains are kept
//! flat, so neither parsing nor evaluation can overflow the stack), an evaluation at most
//! [`MAX_STEPS`] steps, and every string or list it makes at most [`MAX_STRING`] bytes or
//! [`MAX_LIST`] items.

use std::fmt;
use std::io;

use serde_json::{Map, Number, Value};

/// The longest expression source, in bytes.
pub const MAX_SOURCE: usize = 4096;
/// The deepest nesting of parentheses, lists, calls, indexes and unary operators.
pub const MAX_DEPTH: usize = 64;
/// The most evaluation steps of one expression.
pub const MAX_STEPS: usize = 10_000;
/// The longest string an expression or a template makes, in bytes.
pub const MAX_STRING: usize = 1 << 20;
/// The longest list an expression makes.
pub const MAX_LIST: usize = 10_000;

/// A parse or evaluation error, at a byte offset of the source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at offset {offset}: {message}")]
pub struct ExprError {
    pub offset: usize,
    pub message: String,
}

fn error<T>(offset: usize, message: impl Into<String>) -> Result<T, ExprError> {
    Err(ExprError {
        offset,
        message: message.into(),
    })
}

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    ast: Ast,
}

#[derive(Debug, Clone, PartialEq)]
enum Ast {
    Literal(Value),
    List(Vec<Ast>),
    /// A root name of the context (`trigger`, `inputs`, `nodes`, `run`).
    Var(String),
    /// A base followed by `.field` and `[index]` accesses, kept flat.
    Access(Box<Ast>, Vec<Access>),
    Not(Box<Ast>),
    Negate(Box<Ast>, usize),
    /// A left-associative chain of operators of one precedence level, kept flat.
    Chain(Box<Ast>, Vec<(BinaryOp, usize, Ast)>),
    /// `a && b && …`
    And(Vec<Ast>),
    /// `a || b || …`
    Or(Vec<Ast>),
    Call(Function, usize, Vec<Ast>),
}

#[derive(Debug, Clone, PartialEq)]
enum Access {
    Field(String),
    Index(Ast, usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BinaryOp {
    Multiply,
    Divide,
    Remainder,
    Add,
    Subtract,
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

impl BinaryOp {
    fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Multiply => "*",
            BinaryOp::Divide => "/",
            BinaryOp::Remainder => "%",
            BinaryOp::Add => "+",
            BinaryOp::Subtract => "-",
            BinaryOp::Equal => "==",
            BinaryOp::NotEqual => "!=",
            BinaryOp::Less => "<",
            BinaryOp::LessOrEqual => "<=",
            BinaryOp::Greater => ">",
            BinaryOp::GreaterOrEqual => ">=",
        }
    }
}

/// An infix operator of the source, by precedence level: 0 `||`, 1 `&&`, 2 comparisons,
/// 3 `+ -`, 4 `* / %`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    Or,
    And,
    Binary(BinaryOp),
}

impl Operator {
    fn from_symbol(symbol: &str) -> Option<Operator> {
        Some(match symbol {
            "||" => Operator::Or,
            "&&" => Operator::And,
            "==" => Operator::Binary(BinaryOp::Equal),
            "!=" => Operator::Binary(BinaryOp::NotEqual),
            "<" => Operator::Binary(BinaryOp::Less),
            "<=" => Operator::Binary(BinaryOp::LessOrEqual),
            ">" => Operator::Binary(BinaryOp::Greater),
            ">=" => Operator::Binary(BinaryOp::GreaterOrEqual),
            "+" => Operator::Binary(BinaryOp::Add),
            "-" => Operator::Binary(BinaryOp::Subtract),
            "*" => Operator::Binary(BinaryOp::Multiply),
            "/" => Operator::Binary(BinaryOp::Divide),
            "%" => Operator::Binary(BinaryOp::Remainder),
            _ => return None,
        })
    }

    fn level(self) -> usize {
        use BinaryOp::*;
        match self {
            Operator::Or => 0,
            Operator::And => 1,
            Operator::Binary(Equal | NotEqual | Less | LessOrEqual | Greater | GreaterOrEqual) => 2,
            Operator::Binary(Add | Subtract) => 3,
            Operator::Binary(Multiply | Divide | Remainder) => 4,
        }
    }
}

/// Groups `operands[0] op[0] operands[1] …` by precedence from `level` up: the operators of
/// the lowest level split the sequence, each part grouped at the next level. The recursion
/// is at most five levels deep whatever the length.
/// Operands and the operators between them, with the offset of each operator.
type Sequence = (Vec<Ast>, Vec<(Operator, usize)>);

fn group(level: usize, mut operands: Vec<Ast>, operators: Vec<(Operator, usize)>) -> Ast {
    if operators.is_empty() {
        return operands.pop().expect("one operand");
    }
    if !operators.iter().any(|(op, _)| op.level() == level) {
        return group(level + 1, operands, operators);
    }
    // Split into parts at this level's operators.
    let mut parts: Vec<Sequence> = vec![(Vec::new(), Vec::new())];
    let mut joins: Vec<(Operator, usize)> = Vec::new();
    let mut operands = operands.into_iter();
    parts[0].0.push(operands.next().expect("one operand"));
    for ((op, at), operand) in operators.into_iter().zip(operands) {
        if op.level() == level {
            joins.push((op, at));
            parts.push((vec![operand], Vec::new()));
        } else {
            let part = parts.last_mut().expect("a part");
            part.1.push((op, at));
            part.0.push(operand);
        }
    }
    let mut grouped = parts
        .into_iter()
        .map(|(operands, operators)| group(level + 1, operands, operators));
    match level {
        0 => Ast::Or(grouped.collect()),
        1 => Ast::And(grouped.collect()),
        _ => {
            let first = grouped.next().expect("a first part");
            let rest = joins
                .into_iter()
                .zip(grouped)
                // Levels 2 and up are binary operators (0 and 1 are `||` and `&&`).
                .filter_map(|((op, at), operand)| match op {
                    Operator::Binary(op) => Some((op, at, operand)),
                    Operator::Or | Operator::And => None,
                })
                .collect();
            Ast::Chain(Box::new(first), rest)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Function {
    Contains,
    StartsWith,
    EndsWith,
    Len,
    Lower,
    Upper,
    Trim,
    Default,
    ToJson,
    FromJson,
    Join,
    Split,
    Replace,
}

impl Function {
    const ALL: [Function; 13] = [
        Function::Contains,
        Function::StartsWith,
        Function::EndsWith,
        Function::Len,
        Function::Lower,
        Function::Upper,
        Function::Trim,
        Function::Default,
        Function::ToJson,
        Function::FromJson,
        Function::Join,
        Function::Split,
        Function::Replace,
    ];

    fn name(self) -> &'static str {
        match self {
            Function::Contains => "contains",
            Function::StartsWith => "starts_with",
            Function::EndsWith => "ends_with",
            Function::Len => "len",
            Function::Lower => "lower",
            Function::Upper => "upper",
            Function::Trim => "trim",
            Function::Default => "default",
            Function::ToJson => "to_json",
            Function::FromJson => "from_json",
            Function::Join => "join",
            Function::Split => "split",
            Function::Replace => "replace",
        }
    }

    fn arity(self) -> usize {
        match self {
            Function::Len
            | Function::Lower
            | Function::Upper
            | Function::Trim
            | Function::ToJson
            | Function::FromJson => 1,
            Function::Contains
            | Function::StartsWith
            | Function::EndsWith
            | Function::Default
            | Function::Join
            | Function::Split => 2,
            Function::Replace => 3,
        }
    }

    fn lookup(name: &str) -> Option<Function> {
        Function::ALL.into_iter().find(|f| f.name() == name)
    }
}

// ---------------------------------------------------------------------------------------
// Parsing

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(Value),
    Str(String),
    Ident(String),
    /// Punctuation and operators.
    Sym(&'static str),
    End,
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    depth: usize,
    /// The next token and its offset, once read.
    peeked: Option<(Token, usize)>,
}

const SYMBOLS: [&str; 20] = [
    "==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "+", "-", "*", "/", "%", "(", ")", "[", "]",
    ",", ".",
];

impl<'a> Parser<'a> {
    fn skip_space(&mut self) {
        while let Some(c) = self.src[self.pos..].chars().next() {
            if c.is_whitespace() {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
    }

    fn lex(&mut self) -> Result<(Token, usize), ExprError> {
        self.skip_space();
        let start = self.pos;
        let rest = &self.src[self.pos..];
        let Some(c) = rest.chars().next() else {
            return Ok((Token::End, start));
        };
        if c.is_ascii_digit() {
            return self.lex_number(start).map(|t| (t, start));
        }
        if c == '\'' || c == '"' {
            return self.lex_string(c).map(|t| (t, start));
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let len = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            self.pos += len;
            return Ok((Token::Ident(rest[..len].to_string()), start));
        }
        for symbol in SYMBOLS {
            if rest.starts_with(symbol) {
                self.pos += symbol.len();
                return Ok((Token::Sym(symbol), start));
            }
        }
        if c == '=' {
            return error(start, "unexpected '=' (compare with '==')");
        }
        if c == '&' || c == '|' {
            return error(start, format!("unexpected '{c}' (use '{c}{c}')"));
        }
        error(start, format!("unexpected character {c:?}"))
    }

    fn lex_number(&mut self, start: usize) -> Result<Token, ExprError> {
        let bytes = self.src.as_bytes();
        let mut i = start;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let mut float = false;
        if i + 1 < bytes.len() && bytes[i] == b'.' && bytes[i + 1].is_ascii_digit() {
            float = true;
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
        }
        if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
            let mut j = i + 1;
            if j < bytes.len() && (bytes[j] == b'+' || bytes[j] == b'-') {
                j += 1;
            }
            if j < bytes.len() && bytes[j].is_ascii_digit() {
                float = true;
                i = j;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
            }
        }
        if i < bytes.len() && (bytes[i].is_ascii_alphabetic() || bytes[i] == b'_') {
            return error(i, "a number followed by a letter");
        }
        let text = &self.src[start..i];
        self.pos = i;
        if !float && let Ok(n) = text.parse::<i64>() {
            return Ok(Token::Number(Value::from(n)));
        }
        match text.parse::<f64>().ok().and_then(Number::from_f64) {
            Some(n) => Ok(Token::Number(Value::Number(n))),
            None => error(start, format!("{text} is not a finite number")),
        }
    }

    fn lex_string(&mut self, quote: char) -> Result<Token, ExprError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.src[self.pos..].chars().next() else {
                return error(start, "a string that does not end");
            };
            let at = self.pos;
            self.pos += c.len_utf8();
            if c == quote {
                return Ok(Token::Str(out));
            }
            if c != '\\' {
                out.push(c);
                continue;
            }
            let Some(e) = self.src[self.pos..].chars().next() else {
                return error(start, "a string that does not end");
            };
            self.pos += e.len_utf8();
            match e {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                '0' => out.push('\0'),
                '\\' => out.push('\\'),
                '\'' => out.push('\''),
                '"' => out.push('"'),
                'u' => {
                    let rest = &self.src[self.pos..];
                    let hex = rest
                        .strip_prefix('{')
                        .and_then(|r| r.split_once('}'))
                        .map(|(hex, _)| hex)
                        .filter(|hex| !hex.is_empty() && hex.len() <= 6);
                    let ch = hex
                        .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                        .and_then(char::from_u32);
                    match (hex, ch) {
                        (Some(hex), Some(ch)) => {
                            out.push(ch);
                            self.pos += hex.len() + 2;
                        }
                        _ => return error(at, "an invalid \\u{…} escape"),
                    }
                }
                other => return error(at, format!("an unknown escape \\{other}")),
            }
        }
    }

    fn peek(&mut self) -> Result<&(Token, usize), ExprError> {
        if self.peeked.is_none() {
            let token = self.lex()?;
            self.peeked = Some(token);
        }
        Ok(self.peeked.as_ref().expect("just read"))
    }

    fn next(&mut self) -> Result<(Token, usize), ExprError> {
        self.peek()?;
        Ok(self.peeked.take().expect("just read"))
    }

    fn eat(&mut self, symbol: &'static str) -> Result<bool, ExprError> {
        if self.peek()?.0 == Token::Sym(symbol) {
            self.peeked = None;
            return Ok(true);
        }
        Ok(false)
    }

    fn expect(&mut self, symbol: &'static str) -> Result<(), ExprError> {
        let (token, at) = self.next()?;
        if token == Token::Sym(symbol) {
            return Ok(());
        }
        error(
            at,
            format!("expected '{symbol}', found {}", describe(&token)),
        )
    }

    fn enter(&mut self, at: usize) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return error(at, format!("nested more than {MAX_DEPTH} levels deep"));
        }
        Ok(())
    }

    fn expression(&mut self) -> Result<Ast, ExprError> {
        let at = self.peek()?.1;
        self.enter(at)?;
        let ast = self.operators()?;
        self.depth -= 1;
        Ok(ast)
    }

    /// `operand (operator operand)*`, read as a flat sequence without recursion, then grouped
    /// by precedence (see [`group`]), so a long chain costs no stack.
    fn operators(&mut self) -> Result<Ast, ExprError> {
        let mut operands = vec![self.unary()?];
        let mut operators = Vec::new();
        loop {
            let (token, at) = self.peek()?.clone();
            let Token::Sym(symbol) = token else { break };
            let Some(op) = Operator::from_symbol(symbol) else {
                break;
            };
            self.peeked = None;
            operators.push((op, at));
            operands.push(self.unary()?);
        }
        Ok(group(0, operands, operators))
    }

    /// Prefix `!` and `-`, read in a loop; each counts as one level of nesting.
    fn unary(&mut self) -> Result<Ast, ExprError> {
        let mut prefixes = Vec::new();
        loop {
            let (token, at) = self.peek()?.clone();
            let not = token == Token::Sym("!");
            if !(not || token == Token::Sym("-")) {
                break;
            }
            self.peeked = None;
            self.enter(at)?;
            prefixes.push((not, at));
        }
        let mut ast = self.postfix()?;
        for &(not, at) in prefixes.iter().rev() {
            self.depth -= 1;
            ast = if not {
                Ast::Not(Box::new(ast))
            } else {
                Ast::Negate(Box::new(ast), at)
            };
        }
        Ok(ast)
    }

    fn postfix(&mut self) -> Result<Ast, ExprError> {
        let base = self.primary()?;
        let mut accesses = Vec::new();
        loop {
            if self.eat(".")? {
                self.skip_space();
                let rest = &self.src[self.pos..];
                let len = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                if len == 0 {
                    return error(self.pos, "expected a field name after '.'");
                }
                accesses.push(Access::Field(rest[..len].to_string()));
                self.pos += len;
            } else if self.peek()?.0 == Token::Sym("[") {
                let at = self.next()?.1;
                let index = self.expression()?;
                self.expect("]")?;
                accesses.push(Access::Index(index, at));
            } else {
                break;
            }
        }
        if accesses.is_empty() {
            return Ok(base);
        }
        Ok(Ast::Access(Box::new(base), accesses))
    }

    fn primary(&mut self) -> Result<Ast, ExprError> {
        let (token, at) = self.next()?;
        match token {
            Token::Number(n) => Ok(Ast::Literal(n)),
            Token::Str(s) => Ok(Ast::Literal(Value::String(s))),
            Token::Ident(name) => self.name(name, at),
            Token::Sym("(") => self.parenthesized(),
            Token::Sym("[") => self.list(at),
            other => unexpected(at, &other),
        }
    }

    #[inline(never)]
    fn parenthesized(&mut self) -> Result<Ast, ExprError> {
        let inner = self.expression()?;
        self.expect(")")?;
        Ok(inner)
    }

    #[inline(never)]
    fn list(&mut self, at: usize) -> Result<Ast, ExprError> {
        let items = self.items("]")?;
        if items.len() > MAX_LIST {
            return error(at, format!("a list of more than {MAX_LIST} items"));
        }
        Ok(Ast::List(items))
    }

    /// A keyword, a function call or a root of the context.
    #[inline(never)]
    fn name(&mut self, name: String, at: usize) -> Result<Ast, ExprError> {
        match name.as_str() {
            "true" => return Ok(Ast::Literal(Value::Bool(true))),
            "false" => return Ok(Ast::Literal(Value::Bool(false))),
            "null" => return Ok(Ast::Literal(Value::Null)),
            _ => {}
        }
        if self.peek()?.0 != Token::Sym("(") {
            return Ok(Ast::Var(name));
        }
        self.peeked = None;
        let Some(function) = Function::lookup(&name) else {
            return unknown_function(at, &name);
        };
        let args = self.items(")")?;
        if args.len() != function.arity() {
            return error(
                at,
                format!(
                    "{name} takes {} argument(s), not {}",
                    function.arity(),
                    args.len()
                ),
            );
        }
        Ok(Ast::Call(function, at, args))
    }

    /// Comma-separated expressions up to `close` (already past the opening bracket).
    #[inline(never)]
    fn items(&mut self, close: &'static str) -> Result<Vec<Ast>, ExprError> {
        let mut items = Vec::new();
        if self.eat(close)? {
            return Ok(items);
        }
        loop {
            items.push(self.expression()?);
            if self.eat(close)? {
                return Ok(items);
            }
            let (token, at) = self.next()?;
            if token != Token::Sym(",") {
                return error(
                    at,
                    format!("expected ',' or '{close}', found {}", describe(&token)),
                );
            }
            // A trailing comma is allowed.
            if self.eat(close)? {
                return Ok(items);
            }
        }
    }
}

#[cold]
#[inline(never)]
fn unexpected(at: usize, token: &Token) -> Result<Ast, ExprError> {
    error(at, format!("expected a value, found {}", describe(token)))
}

#[cold]
#[inline(never)]
fn unknown_function(at: usize, name: &str) -> Result<Ast, ExprError> {
    let known: Vec<&str> = Function::ALL.iter().map(|f| f.name()).collect();
    error(
        at,
        format!("unknown function {name} (one of {})", known.join(", ")),
    )
}

fn describe(token: &Token) -> String {
    match token {
        Token::Number(n) => format!("the number {n}"),
        Token::Str(s) => format!("the string {s:?}"),
        Token::Ident(name) => format!("'{name}'"),
        Token::Sym(s) => format!("'{s}'"),
        Token::End => "the end".to_string(),
    }
}

impl Expr {
    /// Parses an expression (at most [`MAX_SOURCE`] bytes).
    pub fn parse(source: &str) -> Result<Expr, ExprError> {
        if source.len() > MAX_SOURCE {
            return error(0, format!("an expression longer than {MAX_SOURCE} bytes"));
        }
        let mut parser = Parser {
            src: source,
            pos: 0,
            depth: 0,
            peeked: None,
        };
        if parser.peek()?.0 == Token::End {
            return error(0, "an empty expression");
        }
        // The top level is not nesting: only what is inside it counts towards MAX_DEPTH.
        let ast = parser.operators()?;
        let (token, at) = parser.next()?;
        if token != Token::End {
            return error(
                at,
                format!("unexpected {} after the expression", describe(&token)),
            );
        }
        Ok(Expr { ast })
    }

    /// Evaluates against `ctx`, an object whose keys are the roots (`trigger`, `inputs`,
    /// `nodes`, `run`).
    pub fn eval(&self, ctx: &Value) -> Result<Value, ExprError> {
        let mut evaluator = Evaluator { ctx, steps: 0 };
        evaluator.eval(&self.ast)
    }

    /// The paths the expression reads, each cut to its first two segments when they are
    /// written out (`["nodes", "pull"]`, `["inputs", "version"]`, `["trigger"]`).
    pub fn roots(&self) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        collect_roots(&self.ast, &mut out);
        out.sort();
        out.dedup();
        out
    }
}

fn collect_roots(ast: &Ast, out: &mut Vec<Vec<String>>) {
    match ast {
        Ast::Literal(_) => {}
        Ast::Var(name) => out.push(vec![name.clone()]),
        Ast::Access(base, accesses) => {
            if let Ast::Var(name) = &**base {
                let mut path = vec![name.clone()];
                match accesses.first() {
                    Some(Access::Field(field)) => path.push(field.clone()),
                    Some(Access::Index(Ast::Literal(Value::String(key)), _)) => {
                        path.push(key.clone())
                    }
                    _ => {}
                }
                out.push(path);
            } else {
                collect_roots(base, out);
            }
            for access in accesses {
                if let Access::Index(index, _) = access {
                    collect_roots(index, out);
                }
            }
        }
        Ast::List(items) | Ast::And(items) | Ast::Or(items) | Ast::Call(_, _, items) => {
            for item in items {
                collect_roots(item, out);
            }
        }
        Ast::Not(inner) | Ast::Negate(inner, _) => collect_roots(inner, out),
        Ast::Chain(first, rest) => {
            collect_roots(first, out);
            for (_, _, operand) in rest {
                collect_roots(operand, out);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Evaluation

/// The truth of a value: `null`, `false`, `0`, `""`, `[]` and `{}` are false.
pub fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// A value as text: a string as it is, anything else as compact JSON.
pub fn to_text(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        other => bounded_json(other),
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Compact JSON of at most [`MAX_STRING`] bytes.
fn bounded_json(value: &Value) -> Result<String, String> {
    struct Limited(Vec<u8>);
    impl io::Write for Limited {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.0.len() + buf.len() > MAX_STRING {
                return Err(io::Error::other("too long"));
            }
            self.0.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let mut out = Limited(Vec::new());
    serde_json::to_writer(&mut out, value)
        .map_err(|_| format!("a value whose JSON is longer than {MAX_STRING} bytes"))?;
    String::from_utf8(out.0).map_err(|e| e.to_string())
}

struct Evaluator<'c> {
    ctx: &'c Value,
    steps: usize,
}

fn check_string(s: String, at: usize) -> Result<Value, ExprError> {
    if s.len() > MAX_STRING {
        return error(at, format!("a string longer than {MAX_STRING} bytes"));
    }
    Ok(Value::String(s))
}

fn check_list(items: Vec<Value>, at: usize) -> Result<Value, ExprError> {
    if items.len() > MAX_LIST {
        return error(at, format!("a list of more than {MAX_LIST} items"));
    }
    Ok(Value::Array(items))
}

fn number(value: f64, at: usize) -> Result<Value, ExprError> {
    match Number::from_f64(value) {
        Some(n) => Ok(Value::Number(n)),
        None => error(at, "the result is not a finite number"),
    }
}

/// Numeric equality across integers and floats, structural otherwise.
fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| equal(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|other| equal(v, other)))
        }
        _ => a == b,
    }
}

impl Evaluator<'_> {
    fn step(&mut self, at: usize) -> Result<(), ExprError> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return error(at, format!("more than {MAX_STEPS} evaluation steps"));
        }
        Ok(())
    }

    /// One arm per method: in unoptimized builds a frame holds the temporaries of every arm,
    /// and this function is the one that recurses.
    fn eval(&mut self, ast: &Ast) -> Result<Value, ExprError> {
        self.step(0)?;
        match ast {
            Ast::Literal(v) => Ok(v.clone()),
            Ast::List(items) => self.list(items),
            Ast::Var(name) => Ok(self.ctx.get(name).cloned().unwrap_or(Value::Null)),
            Ast::Access(base, accesses) => self.access(base, accesses),
            Ast::Not(inner) => self.not(inner),
            Ast::Negate(inner, at) => self.negate(inner, *at),
            Ast::And(items) => self.all(items, false),
            Ast::Or(items) => self.all(items, true),
            Ast::Chain(first, rest) => self.chain(first, rest),
            Ast::Call(function, at, args) => self.call(*function, *at, args),
        }
    }

    #[inline(never)]
    fn list(&mut self, items: &[Ast]) -> Result<Value, ExprError> {
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.push(self.eval(item)?);
        }
        Ok(Value::Array(out))
    }

    #[inline(never)]
    fn not(&mut self, inner: &Ast) -> Result<Value, ExprError> {
        Ok(Value::Bool(!truthy(&self.eval(inner)?)))
    }

    #[inline(never)]
    fn negate(&mut self, inner: &Ast, at: usize) -> Result<Value, ExprError> {
        match self.eval(inner)? {
            Value::Number(n) => match n.as_i64().and_then(i64::checked_neg) {
                Some(i) => Ok(Value::from(i)),
                None => number(-n.as_f64().unwrap_or(f64::NAN), at),
            },
            other => error(at, format!("cannot negate {}", type_name(&other))),
        }
    }

    /// `&&` (`stop_on` false) or `||` (`stop_on` true), short-circuit.
    #[inline(never)]
    fn all(&mut self, items: &[Ast], stop_on: bool) -> Result<Value, ExprError> {
        for item in items {
            if truthy(&self.eval(item)?) == stop_on {
                return Ok(Value::Bool(stop_on));
            }
        }
        Ok(Value::Bool(!stop_on))
    }

    #[inline(never)]
    fn chain(&mut self, first: &Ast, rest: &[(BinaryOp, usize, Ast)]) -> Result<Value, ExprError> {
        let mut left = self.eval(first)?;
        for (op, at, operand) in rest {
            let right = self.eval(operand)?;
            left = binary(*op, left, right, *at)?;
        }
        Ok(left)
    }

    #[inline(never)]
    fn call(&mut self, function: Function, at: usize, args: &[Ast]) -> Result<Value, ExprError> {
        let mut values = Vec::with_capacity(args.len());
        for arg in args {
            values.push(self.eval(arg)?);
        }
        call(function, values, at)
    }

    #[inline(never)]
    fn access(&mut self, base: &Ast, accesses: &[Access]) -> Result<Value, ExprError> {
        // Walks by reference through context paths; copies only the value reached.
        let owned;
        let mut current: &Value = match base {
            Ast::Var(name) => self.ctx.get(name).unwrap_or(&Value::Null),
            other => {
                owned = self.eval(other)?;
                &owned
            }
        };
        let mut keys: Vec<Value> = Vec::new();
        for access in accesses {
            if let Access::Index(index, _) = access {
                keys.push(self.eval(index)?);
            }
        }
        let mut keys = keys.into_iter();
        for access in accesses {
            self.step(0)?;
            let next = match access {
                Access::Field(field) => match current {
                    Value::Object(map) => map.get(field.as_str()),
                    Value::Array(items) => field.parse::<usize>().ok().and_then(|i| items.get(i)),
                    _ => None,
                },
                Access::Index(_, at) => {
                    let key = keys.next().expect("one key per index");
                    match (&key, current) {
                        (Value::String(k), Value::Object(map)) => map.get(k.as_str()),
                        (Value::Number(n), Value::Array(items)) => {
                            let Some(i) = n.as_i64() else {
                                return error(*at, format!("the index {n} is not an integer"));
                            };
                            let i = if i < 0 { items.len() as i64 + i } else { i };
                            usize::try_from(i).ok().and_then(|i| items.get(i))
                        }
                        (Value::String(_) | Value::Number(_), _) => None,
                        (other, _) => {
                            return error(
                                *at,
                                format!(
                                    "cannot index with {} (a string or an integer)",
                                    type_name(other)
                                ),
                            );
                        }
                    }
                }
            };
            match next {
                Some(value) => current = value,
                None => return Ok(Value::Null),
            }
        }
        Ok(current.clone())
    }
}

fn binary(op: BinaryOp, left: Value, right: Value, at: usize) -> Result<Value, ExprError> {
    use BinaryOp::*;
    match op {
        Equal => return Ok(Value::Bool(equal(&left, &right))),
        NotEqual => return Ok(Value::Bool(!equal(&left, &right))),
        Add if left.is_string() || right.is_string() => {
            let l = to_text(&left).map_err(|m| ExprError {
                offset: at,
                message: m,
            })?;
            let r = to_text(&right).map_err(|m| ExprError {
                offset: at,
                message: m,
            })?;
            if l.len() + r.len() > MAX_STRING {
                return error(at, format!("a string longer than {MAX_STRING} bytes"));
            }
            return Ok(Value::String(l + &r));
        }
        Less | LessOrEqual | Greater | GreaterOrEqual => {
            let ordering = match (&left, &right) {
                (Value::Number(a), Value::Number(b)) => match (a.as_i64(), b.as_i64()) {
                    (Some(a), Some(b)) => Some(a.cmp(&b)),
                    _ => a
                        .as_f64()
                        .unwrap_or(f64::NAN)
                        .partial_cmp(&b.as_f64().unwrap_or(f64::NAN)),
                },
                (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
                _ => {
                    return error(
                        at,
                        format!(
                            "cannot compare {} with {} using '{}' (numbers or strings)",
                            type_name(&left),
                            type_name(&right),
                            op.symbol()
                        ),
                    );
                }
            };
            let Some(ordering) = ordering else {
                return Ok(Value::Bool(false));
            };
            let result = match op {
                Less => ordering.is_lt(),
                LessOrEqual => ordering.is_le(),
                Greater => ordering.is_gt(),
                _ => ordering.is_ge(),
            };
            return Ok(Value::Bool(result));
        }
        _ => {}
    }
    let (Value::Number(a), Value::Number(b)) = (&left, &right) else {
        return error(
            at,
            format!(
                "'{}' needs numbers, not {} and {}",
                op.symbol(),
                type_name(&left),
                type_name(&right)
            ),
        );
    };
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        let exact = match op {
            Add => x.checked_add(y),
            Subtract => x.checked_sub(y),
            Multiply => x.checked_mul(y),
            Divide | Remainder if y == 0 => return error(at, "division by zero"),
            Divide if x.checked_rem(y) == Some(0) => x.checked_div(y),
            Divide => None,
            Remainder => x.checked_rem(y),
            _ => None,
        };
        if let Some(n) = exact {
            return Ok(Value::from(n));
        }
    }
    let x = a.as_f64().unwrap_or(f64::NAN);
    let y = b.as_f64().unwrap_or(f64::NAN);
    let result = match op {
        Add => x + y,
        Subtract => x - y,
        Multiply => x * y,
        Divide | Remainder if y == 0.0 => return error(at, "division by zero"),
        Divide => x / y,
        _ => x % y,
    };
    number(result, at)
}

/// A string argument; `null` (a missing path) reads as "".
fn text_arg<'v>(
    function: Function,
    value: &'v Value,
    at: usize,
) -> Result<std::borrow::Cow<'v, str>, ExprError> {
    match value {
        Value::String(s) => Ok(std::borrow::Cow::Borrowed(s)),
        Value::Null => Ok(std::borrow::Cow::Borrowed("")),
        other => error(
            at,
            format!(
                "{} needs a string, not {}",
                function.name(),
                type_name(other)
            ),
        ),
    }
}

fn call(function: Function, mut args: Vec<Value>, at: usize) -> Result<Value, ExprError> {
    use Function::*;
    let fail = |m: String| ExprError {
        offset: at,
        message: m,
    };
    match function {
        Contains => match (&args[0], &args[1]) {
            (Value::String(h), Value::String(n)) => Ok(Value::Bool(h.contains(n.as_str()))),
            (Value::String(h), other) => {
                let n = to_text(other).map_err(fail)?;
                Ok(Value::Bool(h.contains(n.as_str())))
            }
            (Value::Array(items), needle) => {
                Ok(Value::Bool(items.iter().any(|item| equal(item, needle))))
            }
            (Value::Object(map), Value::String(key)) => Ok(Value::Bool(map.contains_key(key))),
            (Value::Null, _) => Ok(Value::Bool(false)),
            (other, _) => error(
                at,
                format!(
                    "contains needs a string, a list or an object, not {}",
                    type_name(other)
                ),
            ),
        },
        StartsWith | EndsWith => {
            let s = text_arg(function, &args[0], at)?;
            let p = text_arg(function, &args[1], at)?;
            Ok(Value::Bool(if function == StartsWith {
                s.starts_with(&*p)
            } else {
                s.ends_with(&*p)
            }))
        }
        Len => match &args[0] {
            Value::String(s) => Ok(Value::from(s.chars().count())),
            Value::Array(items) => Ok(Value::from(items.len())),
            Value::Object(map) => Ok(Value::from(map.len())),
            Value::Null => Ok(Value::from(0)),
            other => error(
                at,
                format!(
                    "len needs a string, a list or an object, not {}",
                    type_name(other)
                ),
            ),
        },
        Lower => check_string(text_arg(function, &args[0], at)?.to_lowercase(), at),
        Upper => check_string(text_arg(function, &args[0], at)?.to_uppercase(), at),
        Trim => Ok(Value::String(
            text_arg(function, &args[0], at)?.trim().to_string(),
        )),
        Default => {
            let fallback = args.pop().expect("two arguments");
            let value = args.pop().expect("two arguments");
            Ok(if value.is_null() { fallback } else { value })
        }
        ToJson => Ok(Value::String(bounded_json(&args[0]).map_err(fail)?)),
        FromJson => {
            let s = text_arg(function, &args[0], at)?;
            let value: Value =
                serde_json::from_str(&s).map_err(|e| fail(format!("from_json: not JSON ({e})")))?;
            check_lists(&value, at)?;
            Ok(value)
        }
        Join => {
            let Value::Array(items) = &args[0] else {
                if args[0].is_null() {
                    return Ok(Value::String(String::new()));
                }
                return error(
                    at,
                    format!("join needs a list, not {}", type_name(&args[0])),
                );
            };
            let sep = text_arg(function, &args[1], at)?;
            let mut out = String::new();
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(&sep);
                }
                out.push_str(&to_text(item).map_err(fail)?);
                if out.len() > MAX_STRING {
                    return error(at, format!("a string longer than {MAX_STRING} bytes"));
                }
            }
            Ok(Value::String(out))
        }
        Split => {
            let s = text_arg(function, &args[0], at)?;
            let sep = text_arg(function, &args[1], at)?;
            if sep.is_empty() {
                return error(at, "split needs a non-empty separator");
            }
            if s.is_empty() {
                return Ok(Value::Array(Vec::new()));
            }
            let mut items = Vec::new();
            for part in s.split(&*sep) {
                if items.len() == MAX_LIST {
                    return error(at, format!("a list of more than {MAX_LIST} items"));
                }
                items.push(Value::String(part.to_string()));
            }
            check_list(items, at)
        }
        Replace => {
            let s = text_arg(function, &args[0], at)?;
            let from = text_arg(function, &args[1], at)?;
            let to = text_arg(function, &args[2], at)?;
            if from.is_empty() {
                return error(at, "replace needs a non-empty text to replace");
            }
            if to.len() > from.len() {
                let count = s.matches(&*from).count();
                if s.len() + count * (to.len() - from.len()) > MAX_STRING {
                    return error(at, format!("a string longer than {MAX_STRING} bytes"));
                }
            }
            check_string(s.replace(&*from, &to), at)
        }
    }
}

/// Refuses lists longer than [`MAX_LIST`] anywhere in a value read by `from_json` (serde_json
/// bounds its nesting to 128 levels, so this walk is bounded too).
fn check_lists(value: &Value, at: usize) -> Result<(), ExprError> {
    match value {
        Value::Array(items) => {
            if items.len() > MAX_LIST {
                return error(at, format!("a list of more than {MAX_LIST} items"));
            }
            items.iter().try_for_each(|item| check_lists(item, at))
        }
        Value::Object(map) => map.values().try_for_each(|item| check_lists(item, at)),
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------
// Templates

/// Text with `${{ expr }}` parts.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    /// The expression and the offset of its `${{` in the template.
    Expr(Expr, usize),
}

impl Template {
    /// Parses a template; an error's offset is in the template's text.
    pub fn parse(text: &str) -> Result<Template, ExprError> {
        let mut parts = Vec::new();
        let mut rest = 0;
        while let Some(found) = text[rest..].find("${{") {
            let open = rest + found;
            if open > rest {
                parts.push(Part::Text(text[rest..open].to_string()));
            }
            let inner_start = open + 3;
            let Some(inner_len) = closing(&text[inner_start..]) else {
                return error(open, "'${{' without a closing '}}'");
            };
            let inner = &text[inner_start..inner_start + inner_len];
            let expr = Expr::parse(inner).map_err(|e| ExprError {
                offset: e.offset + inner_start,
                message: e.message,
            })?;
            parts.push(Part::Expr(expr, open));
            rest = inner_start + inner_len + 2;
        }
        if rest < text.len() || parts.is_empty() {
            parts.push(Part::Text(text[rest..].to_string()));
        }
        Ok(Template { parts })
    }

    /// Whether the template has any `${{ }}` part.
    pub fn is_literal(&self) -> bool {
        !self.parts.iter().any(|p| matches!(p, Part::Expr(..)))
    }

    /// Renders against `ctx`: a template that is one `${{ expr }}` and nothing else gives the
    /// expression's value; otherwise the text with each value written in (strings as they
    /// are, other values as JSON).
    pub fn render(&self, ctx: &Value) -> Result<Value, ExprError> {
        if let [Part::Expr(expr, at)] = self.parts.as_slice() {
            return expr.eval(ctx).map_err(|e| shift(e, *at));
        }
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Expr(expr, at) => {
                    let value = expr.eval(ctx).map_err(|e| shift(e, *at))?;
                    let text = to_text(&value).map_err(|message| ExprError {
                        offset: *at,
                        message,
                    })?;
                    out.push_str(&text);
                }
            }
            if out.len() > MAX_STRING {
                return error(0, format!("a rendered text longer than {MAX_STRING} bytes"));
            }
        }
        Ok(Value::String(out))
    }

    /// The roots of every expression (see [`Expr::roots`]).
    pub fn references(&self) -> Vec<Vec<String>> {
        let mut out: Vec<Vec<String>> = self
            .parts
            .iter()
            .filter_map(|p| match p {
                Part::Expr(expr, _) => Some(expr.roots()),
                Part::Text(_) => None,
            })
            .flatten()
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// An evaluation error's offset is within its expression; in a template the `${{` is given.
fn shift(e: ExprError, at: usize) -> ExprError {
    ExprError {
        offset: at + 3 + e.offset,
        message: e.message,
    }
}

/// The length of an expression up to its closing `}}`, skipping quoted strings.
fn closing(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) => {
                if b == b'\\' {
                    i += 1;
                } else if b == q {
                    quote = None;
                }
            }
            None => {
                if b == b'\'' || b == b'"' {
                    quote = Some(b);
                } else if b == b'}' && bytes.get(i + 1) == Some(&b'}') {
                    return Some(i);
                }
            }
        }
        i += 1;
    }
    None
}

impl fmt::Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An empty object context, for expressions that read nothing.
pub fn empty_context() -> Value {
    Value::Object(Map::new())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ctx() -> Value {
        json!({
            "trigger": {"ref": "refs/heads/main", "branch": "main", "commits": 3, "tags": ["a", "b"],
                        "body": "{\"x\": [1, 2]}", "headers": {"content-type": "text/plain"}},
            "inputs": {"version": "1.2.3", "count": 4, "empty": "", "ratio": 0.5},
            "nodes": {"pull": {"status": "succeeded", "output": {"commit": "abc123", "changed": true}}},
            "run": {"id": "r1", "workflow": "deploy"}
        })
    }

    /// `expected` is the JSON of the value, or `!message` for an error (the message only,
    /// without the offset).
    fn check(source: &str, expected: &str) {
        let got = match Expr::parse(source).and_then(|e| e.eval(&ctx())) {
            Ok(v) => v.to_string(),
            Err(e) => format!("!{}", e.message),
        };
        assert_eq!(got, expected, "expression: {source}");
    }

    fn check_error_at(source: &str, offset: usize, message: &str) {
        let e = Expr::parse(source)
            .and_then(|e| e.eval(&ctx()))
            .expect_err(source);
        assert_eq!(
            (e.offset, e.message.as_str()),
            (offset, message),
            "{source}"
        );
    }

    #[test]
    fn literals() {
        check("1", "1");
        check("-2", "-2");
        check("2.5", "2.5");
        check("1e3", "1000.0");
        check("'single'", r#""single""#);
        check(r#""double""#, r#""double""#);
        check(r#"'it\'s\n\t\\'"#, r#""it's\n\t\\""#);
        check(r#"'\u{e9}'"#, r#""é""#);
        check("true", "true");
        check("false", "false");
        check("null", "null");
        check("[1, 'a', [true]]", r#"[1,"a",[true]]"#);
        check("[]", "[]");
        check("[1, 2,]", "[1,2]");
    }

    #[test]
    fn precedence() {
        check("1 + 2 * 3", "7");
        check("(1 + 2) * 3", "9");
        check("10 - 4 - 3", "3");
        check("7 / 2", "3.5");
        check("8 / 2", "4");
        check("7 % 3", "1");
        check("-2 * 3", "-6");
        check("!false && true", "true");
        check("true || false && false", "true");
        check("(true || false) && false", "false");
        check("1 + 1 == 2", "true");
        check("1 < 2 == true", "true");
        check("2 > 1 && 'b' > 'a'", "true");
        check("1 == 1.0", "true");
        check("[1, 2] == [1, 2.0]", "true");
        check("!!'x'", "true");
        check("- -3", "3");
    }

    #[test]
    fn strings_and_concatenation() {
        check("'v' + inputs.version", r#""v1.2.3""#);
        check("'n=' + 1", r#""n=1""#);
        check("1 + '!'", r#""1!""#);
        check("'x' + null", r#""xnull""#);
        check("'a' + [1]", r#""a[1]""#);
        check("'abc' < 'abd'", "true");
    }

    #[test]
    fn paths() {
        check("trigger.ref", r#""refs/heads/main""#);
        check("nodes.pull.output.commit", r#""abc123""#);
        check("nodes['pull'].output['changed']", "true");
        check("trigger.headers['content-type']", r#""text/plain""#);
        check("trigger.tags[0]", r#""a""#);
        check("trigger.tags[-1]", r#""b""#);
        check("trigger.tags.1", r#""b""#);
        check("run.id", r#""r1""#);
        check("(trigger).branch", r#""main""#);
        check("[10, 20][1]", "20");
        // Missing paths are null.
        check("nodes.missing.output.commit", "null");
        check("trigger.tags[5]", "null");
        check("trigger.ref.deeper", "null");
        check("nothing", "null");
        check("inputs.version['x']", "null");
        check("trigger.tags['x']", "null");
    }

    #[test]
    fn truthiness() {
        for (value, expected) in [
            (json!(null), false),
            (json!(false), false),
            (json!(0), false),
            (json!(0.0), false),
            (json!(""), false),
            (json!([]), false),
            (json!({}), false),
            (json!(true), true),
            (json!(-1), true),
            (json!("0"), true),
            (json!([0]), true),
            (json!({"a": null}), true),
        ] {
            assert_eq!(truthy(&value), expected, "{value}");
        }
        check("inputs.empty || 'fallback'", "true");
        check("inputs.empty && missing.call", "false");
    }

    #[test]
    fn type_errors() {
        check("'a' - 1", "!'-' needs numbers, not a string and a number");
        check("true * 2", "!'*' needs numbers, not a boolean and a number");
        check(
            "1 < 'a'",
            "!cannot compare a number with a string using '<' (numbers or strings)",
        );
        check(
            "null > 1",
            "!cannot compare null with a number using '>' (numbers or strings)",
        );
        check("-'a'", "!cannot negate a string");
        check("1 / 0", "!division by zero");
        check("1 % 0", "!division by zero");
        check(
            "trigger.tags[true]",
            "!cannot index with a boolean (a string or an integer)",
        );
        check("trigger.tags[0.5]", "!the index 0.5 is not an integer");
        check(
            "len(1)",
            "!len needs a string, a list or an object, not a number",
        );
        check("lower(1)", "!lower needs a string, not a number");
        check("join('a', ',')", "!join needs a list, not a string");
        check(
            "from_json('{')",
            "!from_json: not JSON (EOF while parsing an object at line 1 column 1)",
        );
        check_error_at(
            "1 + 'a' - 2",
            8,
            "'-' needs numbers, not a string and a number",
        );
    }

    #[test]
    fn arithmetic_overflow_goes_to_floats() {
        check("9223372036854775807 + 1", "9.223372036854776e+18");
        check("0.5 + inputs.ratio", "1.0");
        check("inputs.count * 2", "8");
    }

    #[test]
    fn functions() {
        check("contains(trigger.ref, 'main')", "true");
        check("contains(trigger.tags, 'b')", "true");
        check("contains(trigger.tags, 'c')", "false");
        check("contains(trigger.headers, 'content-type')", "true");
        check("contains(missing, 'x')", "false");
        check("starts_with(trigger.ref, 'refs/tags/')", "false");
        check("ends_with(trigger.ref, '/main')", "true");
        check("starts_with(missing, '')", "true");
        check("len('héllo')", "5");
        check("len(trigger.tags)", "2");
        check("len(missing)", "0");
        check("lower('ABC')", r#""abc""#);
        check("upper('abc')", r#""ABC""#);
        check("trim('  a b  ')", r#""a b""#);
        check("default(inputs.nope, 'latest')", r#""latest""#);
        check("default(inputs.empty, 'latest')", r#""""#);
        check("to_json(trigger.tags)", r#""[\"a\",\"b\"]""#);
        check("from_json(trigger.body).x[1]", "2");
        check("join(trigger.tags, ', ')", r#""a, b""#);
        check("join([1, 'a', null], '-')", r#""1-a-null""#);
        check("split('a,b,,c', ',')", r#"["a","b","","c"]"#);
        check("split('', ',')", "[]");
        check("replace('a-b-c', '-', '+')", r#""a+b+c""#);
        check("split('a', '')", "!split needs a non-empty separator");
        check(
            "replace('a', '', 'b')",
            "!replace needs a non-empty text to replace",
        );
    }

    #[test]
    fn parse_errors() {
        check_error_at("", 0, "an empty expression");
        check_error_at("1 +", 3, "expected a value, found the end");
        check_error_at("(1", 2, "expected ')', found the end");
        check_error_at("a = 1", 2, "unexpected '=' (compare with '==')");
        check_error_at("a & b", 2, "unexpected '&' (use '&&')");
        check_error_at("'abc", 0, "a string that does not end");
        check_error_at("'\\q'", 1, "an unknown escape \\q");
        check_error_at("1 2", 2, "unexpected the number 2 after the expression");
        check_error_at(
            "shout('x')",
            0,
            "unknown function shout (one of contains, starts_with, ends_with, len, lower, upper, trim, default, to_json, from_json, join, split, replace)",
        );
        check_error_at("len('a', 'b')", 0, "len takes 1 argument(s), not 2");
        check_error_at("a.", 2, "expected a field name after '.'");
        check_error_at("12abc", 2, "a number followed by a letter");
        check_error_at("#", 0, "unexpected character '#'");
    }

    #[test]
    fn limits() {
        // Deep nesting is refused without overflowing the stack, however deep.
        let deep = "(".repeat(100_000);
        assert!(Expr::parse(&deep).is_err());
        let deep = format!("{}1{}", "(".repeat(3000), ")".repeat(3000));
        check_error_at(&deep, 0, "an expression longer than 4096 bytes");
        let nested = format!("{}1{}", "(".repeat(64), ")".repeat(64));
        check(&nested, "1");
        let nested = format!("{}1{}", "(".repeat(65), ")".repeat(65));
        check_error_at(&nested, 65, "nested more than 64 levels deep");
        check_error_at(&"!".repeat(100), 64, "nested more than 64 levels deep");
        check_error_at(
            &format!("{}1{}", "[".repeat(70), "]".repeat(70)),
            65,
            "nested more than 64 levels deep",
        );
        // Long flat chains are fine: they are not nested.
        let chain = vec!["1"; 1000].join(" + ");
        check(&chain, "1000");
        // Strings grow until the limit, then fail.
        let big = json!({"s": "x".repeat(300_000)});
        let e = Expr::parse("s + s + s + s")
            .unwrap()
            .eval(&big)
            .unwrap_err();
        assert_eq!(e.message, "a string longer than 1048576 bytes");
        let e = Expr::parse("replace(s, 'x', 'xxxx')")
            .unwrap()
            .eval(&big)
            .unwrap_err();
        assert_eq!(e.message, "a string longer than 1048576 bytes");
        let e = Expr::parse("join([s, s, s, s], '')")
            .unwrap()
            .eval(&big)
            .unwrap_err();
        assert_eq!(e.message, "a string longer than 1048576 bytes");
        let e = Expr::parse("to_json([s, s, s, s])")
            .unwrap()
            .eval(&big)
            .unwrap_err();
        assert_eq!(e.message, "a value whose JSON is longer than 1048576 bytes");
        let many = json!({"s": ",".repeat(20_000)});
        let e = Expr::parse("split(s, ',')")
            .unwrap()
            .eval(&many)
            .unwrap_err();
        assert_eq!(e.message, "a list of more than 10000 items");
        // Steps are bounded. A source of 4096 bytes makes at most about 2048 nodes, so the
        // step limit is a backstop; it is checked from near its end.
        let expr = Expr::parse("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]").unwrap();
        let context = ctx();
        let mut evaluator = Evaluator {
            ctx: &context,
            steps: MAX_STEPS - 5,
        };
        let e = evaluator.eval(&expr.ast).unwrap_err();
        assert_eq!(e.message, "more than 10000 evaluation steps");
    }

    #[test]
    fn the_deepest_expression_fits_a_small_stack() {
        // 64 levels that go through every parser level (calls, lists, indexes, negations,
        // parentheses), parsed and evaluated on a 1 MiB stack (half of a spawned thread's
        // default) in an unoptimized build, whose frames are the largest.
        // Each round of four nests 7 levels: 9 rounds are 63 levels.
        let mut source = "1".to_string();
        for i in 0..36 {
            source = match i % 4 {
                0 => format!("({source}) == 1 || false"),
                1 => format!("len([{source}]) + 0"),
                2 => format!("[0, {source}][1] * 1"),
                _ => format!("-(-{source})"),
            };
        }
        let deep = format!("{}1{}", "len([".repeat(32), "])".repeat(32));
        let deeper = format!("-({source})");
        let handle = std::thread::Builder::new()
            .stack_size(1024 * 1024)
            .spawn(move || {
                let a = Expr::parse(&deep).and_then(|e| e.eval(&ctx()));
                let b = Expr::parse(&source).and_then(|e| e.eval(&ctx()));
                (a, b)
            })
            .unwrap();
        let (a, b) = handle.join().expect("no stack overflow");
        assert_eq!(a, Ok(json!(1)));
        assert_eq!(b, Ok(json!(1)));
        assert_eq!(
            Expr::parse(&deeper).unwrap_err().message,
            "nested more than 64 levels deep"
        );
    }

    #[test]
    fn roots() {
        let roots = |s: &str| Expr::parse(s).unwrap().roots();
        assert_eq!(
            roots("nodes.pull.output.commit == inputs.version && trigger.ref != run.id"),
            vec![
                vec!["inputs".to_string(), "version".to_string()],
                vec!["nodes".to_string(), "pull".to_string()],
                vec!["run".to_string(), "id".to_string()],
                vec!["trigger".to_string(), "ref".to_string()],
            ]
        );
        assert_eq!(
            roots("nodes['x'].status"),
            vec![vec!["nodes".to_string(), "x".to_string()]]
        );
        assert_eq!(
            roots("nodes[inputs.which]"),
            vec![
                vec!["inputs".to_string(), "which".to_string()],
                vec!["nodes".to_string()],
            ]
        );
        assert_eq!(roots("len(trigger)"), vec![vec!["trigger".to_string()]]);
        assert_eq!(roots("1 + 2"), Vec::<Vec<String>>::new());
    }

    /// `expected` is the rendered JSON or `!offset: message`.
    fn check_template(text: &str, expected: &str) {
        let got = match Template::parse(text).and_then(|t| t.render(&ctx())) {
            Ok(v) => v.to_string(),
            Err(e) => format!("!{}: {}", e.offset, e.message),
        };
        assert_eq!(got, expected, "template: {text:?}");
    }

    #[test]
    fn templates() {
        check_template("plain text", r#""plain text""#);
        check_template("", r#""""#);
        check_template("${{ inputs.count }}", "4");
        check_template("${{ trigger.tags }}", r#"["a","b"]"#);
        check_template("${{ missing }}", "null");
        check_template(" ${{ inputs.count }}", r#"" 4""#);
        check_template(
            "v${{ inputs.version }}-${{ inputs.count }}",
            r#""v1.2.3-4""#,
        );
        check_template("tags: ${{ trigger.tags }}", r#""tags: [\"a\",\"b\"]""#);
        check_template("${{ '}}' + 'x' }}", r#""}}x""#);
        check_template("a ${{ 1 +", "!2: '${{' without a closing '}}'");
        check_template("ab ${{ 1 + }}", "!11: expected a value, found the end");
        check_template("ab ${{ (1 }} }}", "!10: expected ')', found the end");
        check_template(
            "x ${{ 'a' - 1 }}",
            "!10: '-' needs numbers, not a string and a number",
        );
        check_template("${{nodes.pull.output.commit}}", r#""abc123""#);
        let t =
            Template::parse("${{ nodes.a.output }} ${{ inputs.v }} ${{ nodes.a.status }}").unwrap();
        assert_eq!(
            t.references(),
            vec![
                vec!["inputs".to_string(), "v".to_string()],
                vec!["nodes".to_string(), "a".to_string()],
            ]
        );
        assert!(Template::parse("text").unwrap().is_literal());
    }
}
