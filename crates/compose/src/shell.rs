//! Splits a command string into words the way compose does (POSIX-shell-like quoting, no
//! expansion): whitespace separates words, `'...'` is literal, `"..."` honours `\"`, `\\`,
//! `\$` and `` \` ``, and a backslash outside quotes escapes the next character.

/// Splits `text` into words; the error names the unterminated quote.
pub fn split(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' | '\r' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err(format!("unterminated single quote in {text:?}")),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some('\n') => {}
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err(format!("unterminated double quote in {text:?}")),
                        },
                        Some(c) => word.push(c),
                        None => return Err(format!("unterminated double quote in {text:?}")),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some('\n') => {}
                    Some(c) => word.push(c),
                    None => word.push('\\'),
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: &[&str]) {
        assert_eq!(split(input).unwrap(), expected, "input: {input:?}");
    }

    #[test]
    fn words_and_quotes() {
        check("", &[]);
        check("  npm   start ", &["npm", "start"]);
        check(
            "sh -c 'echo $HOME && ls'",
            &["sh", "-c", "echo $HOME && ls"],
        );
        check(r#"echo "a \"b\" c" d"#, &["echo", "a \"b\" c", "d"]);
        check(r#"echo a\ b"#, &["echo", "a b"]);
        check(r#"echo "x\n""#, &["echo", "x\\n"]);
        check("echo ''", &["echo", ""]);
        check("a'b'\"c\"d", &["abcd"]);
    }

    #[test]
    fn unterminated_quotes_are_errors() {
        assert!(split("echo 'x").is_err());
        assert!(split("echo \"x").is_err());
    }
}
