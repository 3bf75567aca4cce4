//! Tokenizer shared by all expression kinds.

use super::CmpOp;

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    Ident(String),
    Name(String),
    Value(String),
    Int(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    /// A comparator: `=`, `<>`, `<`, `<=`, `>`, `>=`.
    Cmp(CmpOp),
    Plus,
    Minus,
    Eof,
}

#[derive(Clone, Debug)]
pub struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn text<'a>(&self, src: &'a str) -> &'a str {
        if self.tok == Tok::Eof {
            "<EOF>"
        } else {
            src.get(self.start..self.end).unwrap_or("")
        }
    }
}

/// A character that cannot start any token; the parser reports it as DynamoDB does.
#[derive(Debug)]
pub struct LexError {
    pub ch: char,
    pub pos: usize,
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

pub fn tokenize(src: &str) -> Result<Vec<Token>, LexError> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    let mut i = 0;
    let end_of = |i: usize| chars.get(i).map(|(p, _)| *p).unwrap_or(src.len());
    while i < chars.len() {
        let (pos, c) = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let single = match c {
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            '[' => Some(Tok::LBracket),
            ']' => Some(Tok::RBracket),
            ',' => Some(Tok::Comma),
            '.' => Some(Tok::Dot),
            '=' => Some(Tok::Cmp(CmpOp::Eq)),
            '+' => Some(Tok::Plus),
            '-' => Some(Tok::Minus),
            _ => None,
        };
        if let Some(tok) = single {
            out.push(Token {
                tok,
                start: pos,
                end: end_of(i + 1),
            });
            i += 1;
            continue;
        }
        match c {
            '<' | '>' => {
                let next = chars.get(i + 1).map(|(_, c)| *c);
                let (op, len) = match (c, next) {
                    ('<', Some('=')) => (CmpOp::Le, 2),
                    ('<', Some('>')) => (CmpOp::Ne, 2),
                    ('<', _) => (CmpOp::Lt, 1),
                    ('>', Some('=')) => (CmpOp::Ge, 2),
                    _ => (CmpOp::Gt, 1),
                };
                out.push(Token {
                    tok: Tok::Cmp(op),
                    start: pos,
                    end: end_of(i + len),
                });
                i += len;
            }
            '#' | ':' => {
                let mut j = i + 1;
                while j < chars.len() && is_ident_char(chars[j].1) {
                    j += 1;
                }
                if j == i + 1 {
                    return Err(LexError { ch: c, pos });
                }
                let text = src[pos..end_of(j)].to_string();
                let tok = if c == '#' {
                    Tok::Name(text)
                } else {
                    Tok::Value(text)
                };
                out.push(Token {
                    tok,
                    start: pos,
                    end: end_of(j),
                });
                i = j;
            }
            c if is_ident_char(c) => {
                let mut j = i;
                while j < chars.len() && is_ident_char(chars[j].1) {
                    j += 1;
                }
                let text = src[pos..end_of(j)].to_string();
                let tok = if text.bytes().all(|b| b.is_ascii_digit()) {
                    Tok::Int(text)
                } else {
                    Tok::Ident(text)
                };
                out.push(Token {
                    tok,
                    start: pos,
                    end: end_of(j),
                });
                i = j;
            }
            other => return Err(LexError { ch: other, pos }),
        }
    }
    out.push(Token {
        tok: Tok::Eof,
        start: src.len(),
        end: src.len(),
    });
    Ok(out)
}
