//! Finding the compose file in a model's answer: a fenced block, or the raw text when it is
//! YAML, with prose around it tolerated.

/// Whether a fence's info string names YAML or a compose file (`yaml`, `yml`,
/// `docker-compose.yml`, `compose`).
fn is_yaml_lang(lang: &str) -> bool {
    ["yaml", "yml", "compose"].iter().any(|w| lang.contains(w))
}

/// Top-level keys a compose file starts with.
const TOP_LEVEL_KEYS: &[&str] = &[
    "services", "name", "version", "volumes", "networks", "secrets", "configs", "include",
];

/// The compose file in `answer`, or `None`:
///
/// 1. a fenced block (```` ``` ```` or `~~~`) tagged `yaml`/`yml`/`compose` or untagged that
///    holds `services:` (the last such block wins: models restate a corrected file last);
///    an unclosed fence (the answer was cut) runs to the end;
/// 2. else the text from the first top-level compose key (`services:`, `name:`, …) to the
///    first unindented line that is neither a `key:` line, a comment nor `---`.
///
/// Never panics, whatever the input (a property test checks it).
pub fn extract_yaml(answer: &str) -> Option<String> {
    extract_fenced_yaml(answer).or_else(|| raw_yaml(answer))
}

/// The compose file in a fenced block of `answer` only, for answers whose prose may mention
/// `services:`: [`extract_yaml`] without the raw-text fallback.
pub fn extract_fenced_yaml(answer: &str) -> Option<String> {
    let blocks = fenced_blocks(answer);
    let yaml_blocks: Vec<&Block> = blocks
        .iter()
        .filter(|b| b.lang.is_empty() || is_yaml_lang(&b.lang))
        .collect();
    yaml_blocks
        .iter()
        .rev()
        .find(|b| has_services(&b.body))
        .or_else(|| {
            yaml_blocks
                .iter()
                .rev()
                .find(|b| is_yaml_lang(&b.lang) && !b.body.trim().is_empty())
        })
        .map(|block| finish(&block.body))
}

/// A fenced block (only the text inside the fences is kept; whitespace trimmed).
#[derive(Debug)]
struct Block {
    lang: String,
    body: String,
}

fn fenced_blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current: Option<(String, usize, String, Vec<&str>)> = None;
    for line in text.lines() {
        // ASCII indentation only, so the byte offsets below fall on character boundaries.
        let trimmed = line.trim_start_matches([' ', '\t']);
        let indent = line.len() - trimmed.len();
        match &mut current {
            None => {
                if let Some((fence, info)) = fence_open(trimmed) {
                    let lang = info
                        .split(|c: char| c.is_whitespace() || c == '{' || c == ',')
                        .next()
                        .unwrap_or("")
                        .to_ascii_lowercase();
                    current = Some((fence, indent, lang, Vec::new()));
                }
            }
            Some((fence, fence_indent, _, lines)) => {
                let closing = trimmed.starts_with(fence.as_str())
                    && trimmed.trim_end().chars().all(|c| fence.starts_with(c));
                if closing {
                    let (_, _, lang, lines) = current.take().unwrap_or_default();
                    blocks.push(Block {
                        lang,
                        body: lines.join("\n"),
                    });
                } else {
                    // Fences indented in a list: drop the fence's own indentation.
                    let strip = (*fence_indent).min(indent);
                    lines.push(&line[strip..]);
                }
            }
        }
    }
    if let Some((_, _, lang, lines)) = current {
        blocks.push(Block {
            lang,
            body: lines.join("\n"),
        });
    }
    blocks
}

/// ```` ```yaml ```` → (```` ``` ````, `yaml`).
fn fence_open(line: &str) -> Option<(String, &str)> {
    for mark in ['`', '~'] {
        let count = line.chars().take_while(|c| *c == mark).count();
        if count >= 3 {
            let rest = &line[count..];
            if mark == '`' && rest.contains('`') {
                return None;
            }
            return Some((std::iter::repeat_n(mark, count).collect(), rest.trim()));
        }
    }
    None
}

fn has_services(text: &str) -> bool {
    text.lines()
        .any(|l| l.trim_end() == "services:" || l.starts_with("services:"))
}

fn top_level_key(line: &str) -> Option<&str> {
    if line.starts_with([' ', '\t', '#', '-']) {
        return None;
    }
    let (key, rest) = line.split_once(':')?;
    let plain = key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    (plain && !key.is_empty() && (rest.is_empty() || rest.starts_with([' ', '\t']))).then_some(key)
}

fn raw_yaml(answer: &str) -> Option<String> {
    let lines: Vec<&str> = answer.lines().collect();
    let start = lines.iter().position(|l| {
        top_level_key(l).is_some_and(|k| TOP_LEVEL_KEYS.contains(&k) || k.starts_with("x-"))
    })?;
    let mut end = lines.len();
    for (i, line) in lines.iter().enumerate().skip(start + 1) {
        let unindented = !line.is_empty() && !line.starts_with([' ', '\t']);
        if unindented
            && top_level_key(line).is_none()
            && !line.starts_with('#')
            && !line.starts_with("---")
            && !line.starts_with("- ")
        {
            end = i;
            break;
        }
    }
    let body = lines[start..end].join("\n");
    if !has_services(&body) {
        return None;
    }
    // Only what parses as YAML counts as a raw answer.
    windflow_compose::yaml::parse("compose.yaml", &body)
        .ok()
        .map(|_| finish(&body))
}

fn finish(body: &str) -> String {
    let trimmed = body.trim_matches('\n').trim_end();
    format!("{trimmed}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(answer: &str, expected: Option<&str>) {
        assert_eq!(
            extract_yaml(answer).as_deref(),
            expected,
            "answer: {answer}"
        );
    }

    const STACK: &str = "services:\n  web:\n    image: nginx:1.27.3\n";

    #[test]
    fn fenced_yaml_with_prose() {
        check(
            &format!("Here is your stack:\n\n```yaml\n{STACK}```\n\nIt runs nginx."),
            Some(STACK),
        );
        check(&format!("```yml\n{STACK}```"), Some(STACK));
        check(&format!("~~~\n{STACK}~~~"), Some(STACK));
        check(&format!("```docker-compose.yml\n{STACK}```"), Some(STACK));
        check(
            &format!("```yaml title=\"compose.yaml\"\n{STACK}```"),
            Some(STACK),
        );
    }

    #[test]
    fn the_last_compose_block_wins() {
        let old = "services:\n  old:\n    image: a:1\n";
        check(
            &format!(
                "Before:\n```yaml\n{old}```\nAfter:\n```yaml\n{STACK}```\n```bash\ndocker compose up\n```"
            ),
            Some(STACK),
        );
    }

    #[test]
    fn unclosed_fence_runs_to_the_end() {
        check(&format!("```yaml\n{STACK}"), Some(STACK));
    }

    #[test]
    fn indented_fence_in_a_list() {
        check(
            "1. Save this:\n   ```yaml\n   services:\n     web:\n       image: nginx:1.27.3\n   ```\n",
            Some(STACK),
        );
    }

    #[test]
    fn raw_yaml_with_prose_around() {
        check(STACK, Some(STACK));
        check(
            &format!("Sure! {}\n{STACK}Run it with compose.", ""),
            Some(STACK),
        );
    }

    #[test]
    fn no_yaml() {
        check("I cannot help with that.", None);
        check("```bash\nls\n```", None);
        check("services: [unclosed\nThat's it", None);
    }

    proptest::proptest! {
        #[test]
        fn extract_yaml_never_panics(answer in "\\PC*") {
            let _ = extract_yaml(&answer);
        }

        #[test]
        fn extract_yaml_never_panics_on_fenced_noise(
            prefix in "[ `~a-z\n]{0,20}",
            body in "[ :\\-a-z\n\t`~é]{0,80}",
            suffix in "[ `~\n]{0,10}",
        ) {
            let _ = extract_yaml(&format!("{prefix}```yaml\n{body}{suffix}"));
            let _ = extract_yaml(&format!("services:\n{body}"));
        }
    }
}
