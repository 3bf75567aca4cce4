//! Recursive-descent parser. Precedence, loosest first: OR, AND, NOT, then comparisons.
//! Names (`#n`) and values (`:v`) are substituted while parsing so evaluation never fails
//! on a missing placeholder.

use super::lexer::{tokenize, Tok, Token};
use super::{CmpOp, Cond, ExprContext, Operand, Path, PathElem, SetOperand, SetValue, Update};
use crate::error::DynamoError;
use crate::value::AttrValue;

/// DynamoDB refuses expressions longer than 4 KB.
const MAX_EXPR_LEN: usize = 4096;
/// Protects the stack against pathological nesting.
const MAX_DEPTH: usize = 64;

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
    ctx: &'a ExprContext,
    kind: &'static str,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str, ctx: &'a ExprContext, kind: &'static str) -> Result<Self, DynamoError> {
        if src.trim().is_empty() {
            return Err(DynamoError::validation(format!(
                "Invalid {kind}: The expression can not be empty;"
            )));
        }
        if src.len() > MAX_EXPR_LEN {
            return Err(DynamoError::validation(format!(
                "Invalid {kind}: Expression size has exceeded the maximum allowed size; expression size: {}",
                src.len()
            )));
        }
        let toks = tokenize(src).map_err(|e| {
            let near_start = src[..e.pos]
                .rfind(char::is_whitespace)
                .map(|p| p + 1)
                .unwrap_or(0);
            let near_end = (e.pos + e.ch.len_utf8()).min(src.len());
            DynamoError::validation(format!(
                "Invalid {kind}: Syntax error; token: \"{}\", near: \"{}\"",
                e.ch,
                src.get(near_start..near_end).unwrap_or("")
            ))
        })?;
        Ok(Parser {
            src,
            toks,
            pos: 0,
            ctx,
            kind,
            depth: 0,
        })
    }

    fn peek(&self) -> &Tok {
        self.toks.get(self.pos).map(|t| &t.tok).unwrap_or(&Tok::Eof)
    }

    fn peek_at(&self, n: usize) -> &Tok {
        self.toks
            .get(self.pos + n)
            .map(|t| &t.tok)
            .unwrap_or(&Tok::Eof)
    }

    fn bump(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn syntax_error(&self) -> DynamoError {
        let cur = &self.toks[self.pos.min(self.toks.len() - 1)];
        let near_start = if self.pos > 0 {
            self.toks[self.pos - 1].start
        } else {
            cur.start
        };
        let near_end = self
            .toks
            .get(self.pos + 1)
            .map(|t| t.end)
            .unwrap_or(cur.end);
        let near = self.src.get(near_start..near_end).unwrap_or("");
        DynamoError::validation(format!(
            "Invalid {}: Syntax error; token: \"{}\", near: \"{}\"",
            self.kind,
            cur.text(self.src),
            near
        ))
    }

    fn err(&self, msg: impl std::fmt::Display) -> DynamoError {
        DynamoError::validation(format!("Invalid {}: {msg}", self.kind))
    }

    fn expect(&mut self, tok: Tok) -> Result<(), DynamoError> {
        if *self.peek() == tok {
            self.bump();
            Ok(())
        } else {
            Err(self.syntax_error())
        }
    }

    fn is_keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Tok::Ident(s) if s.eq_ignore_ascii_case(word))
    }

    fn expect_end(&self) -> Result<(), DynamoError> {
        if *self.peek() == Tok::Eof {
            Ok(())
        } else {
            Err(self.syntax_error())
        }
    }

    fn enter(&mut self) -> Result<(), DynamoError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err("The expression has too many nested levels"));
        }
        Ok(())
    }

    // ---- paths and operands ----

    fn path_element_name(&mut self) -> Result<String, DynamoError> {
        match self.peek().clone() {
            Tok::Ident(s) => {
                if is_grammar_keyword(&s) {
                    return Err(self.syntax_error());
                }
                if super::reserved::is_reserved(&s) {
                    return Err(self.err(format!(
                        "Attribute name is a reserved keyword; reserved keyword: {s}"
                    )));
                }
                self.bump();
                Ok(s)
            }
            Tok::Name(n) => {
                let v = self.ctx.name(&n).ok_or_else(|| {
                    self.err(format!(
                        "An expression attribute name used in the document path is not defined; attribute name: {n}"
                    ))
                })?;
                self.bump();
                Ok(v)
            }
            _ => Err(self.syntax_error()),
        }
    }

    fn path(&mut self) -> Result<Path, DynamoError> {
        let mut path = vec![PathElem::Attr(self.path_element_name()?)];
        loop {
            match self.peek() {
                Tok::Dot => {
                    self.bump();
                    path.push(PathElem::Attr(self.path_element_name()?));
                }
                Tok::LBracket => {
                    self.bump();
                    let n = match self.bump() {
                        Tok::Int(s) => s.parse::<usize>().map_err(|_| {
                            self.err(format!("List index is out of range; index: {s}"))
                        })?,
                        _ => {
                            self.pos -= 1;
                            return Err(self.syntax_error());
                        }
                    };
                    self.expect(Tok::RBracket)?;
                    path.push(PathElem::Index(n));
                }
                _ => return Ok(path),
            }
        }
    }

    fn value(&mut self) -> Result<AttrValue, DynamoError> {
        match self.peek().clone() {
            Tok::Value(v) => {
                let val = self.ctx.value(&v).ok_or_else(|| {
                    self.err(format!(
                        "An expression attribute value used in expression is not defined; attribute value: {v}"
                    ))
                })?;
                self.bump();
                Ok(val)
            }
            _ => Err(self.syntax_error()),
        }
    }

    fn operand(&mut self) -> Result<Operand, DynamoError> {
        match self.peek().clone() {
            Tok::Value(_) => Ok(Operand::Value(self.value()?)),
            Tok::Ident(name) if *self.peek_at(1) == Tok::LParen => {
                if name == "size" {
                    self.bump();
                    self.bump();
                    let p = self.path_arg("size")?;
                    self.expect(Tok::RParen)?;
                    Ok(Operand::Size(p))
                } else if is_condition_function(&name) {
                    Err(self.err(format!(
                        "The function is not allowed to be used this way in an expression; function: {name}"
                    )))
                } else {
                    Err(self.err(format!("Invalid function name; function: {name}")))
                }
            }
            Tok::Ident(_) | Tok::Name(_) => Ok(Operand::Path(self.path()?)),
            _ => Err(self.syntax_error()),
        }
    }

    fn path_arg(&mut self, func: &str) -> Result<Path, DynamoError> {
        match self.peek() {
            Tok::Ident(_) | Tok::Name(_) => self.path(),
            Tok::Value(_) => Err(self.err(format!(
                "Operator or function requires a document path; operator or function: {func}"
            ))),
            _ => Err(self.syntax_error()),
        }
    }

    // ---- conditions ----

    fn condition(&mut self) -> Result<Cond, DynamoError> {
        self.enter()?;
        let mut left = self.and()?;
        while self.is_keyword("OR") {
            self.bump();
            let right = self.and()?;
            left = Cond::Or(Box::new(left), Box::new(right));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn and(&mut self) -> Result<Cond, DynamoError> {
        let mut left = self.not()?;
        while self.is_keyword("AND") {
            self.bump();
            let right = self.not()?;
            left = Cond::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Cond, DynamoError> {
        if self.is_keyword("NOT") {
            self.bump();
            self.enter()?;
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Cond::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Cond, DynamoError> {
        if *self.peek() == Tok::LParen {
            self.bump();
            let c = self.condition()?;
            self.expect(Tok::RParen)?;
            return Ok(c);
        }
        if let Tok::Ident(name) = self.peek().clone() {
            if *self.peek_at(1) == Tok::LParen && name != "size" {
                return self.function(&name);
            }
        }
        let starts_with_size = matches!(self.peek(), Tok::Ident(n) if n == "size");
        let left = self.operand()?;
        let op = match self.peek() {
            Tok::Cmp(op) => Some(*op),
            _ => None,
        };
        if let Some(op) = op {
            self.bump();
            let right = self.operand()?;
            return Ok(Cond::Cmp(left, op, right));
        }
        if self.is_keyword("BETWEEN") {
            self.bump();
            let lo = self.operand()?;
            if !self.is_keyword("AND") {
                return Err(self.syntax_error());
            }
            self.bump();
            let hi = self.operand()?;
            if let (Operand::Value(l), Operand::Value(h)) = (&lo, &hi) {
                if l.compare(h) == Some(std::cmp::Ordering::Greater) {
                    return Err(self.err(format!(
                        "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {{{}:{}}}, upper bound operand: AttributeValue: {{{}:{}}}",
                        l.type_name(),
                        scalar_text(l),
                        h.type_name(),
                        scalar_text(h)
                    )));
                }
            }
            return Ok(Cond::Between(left, lo, hi));
        }
        if self.is_keyword("IN") {
            self.bump();
            self.expect(Tok::LParen)?;
            let mut list = vec![self.operand()?];
            while *self.peek() == Tok::Comma {
                self.bump();
                list.push(self.operand()?);
            }
            self.expect(Tok::RParen)?;
            if list.len() > 100 {
                return Err(self.err(
                    "The IN operator is provided with too many operands; number of operands: 101",
                ));
            }
            return Ok(Cond::In(left, list));
        }
        if starts_with_size {
            return Err(self.err(
                "The function is not allowed to be used this way in an expression; function: size",
            ));
        }
        Err(self.syntax_error())
    }

    fn function(&mut self, name: &str) -> Result<Cond, DynamoError> {
        if !is_condition_function(name) {
            if matches!(name, "if_not_exists" | "list_append") {
                return Err(self.err(format!(
                    "The function is not allowed to be used this way in an expression; function: {name}"
                )));
            }
            return Err(self.err(format!("Invalid function name; function: {name}")));
        }
        self.bump();
        self.bump();
        let cond = match name {
            "attribute_exists" => Cond::Exists(self.path_arg(name)?),
            "attribute_not_exists" => Cond::NotExists(self.path_arg(name)?),
            "attribute_type" => {
                let p = self.path_arg(name)?;
                self.expect(Tok::Comma)?;
                let t = self.operand()?;
                if let Operand::Value(v) = &t {
                    match v {
                        AttrValue::S(s) if is_type_descriptor(s) => {}
                        AttrValue::S(s) => {
                            return Err(self.err(format!(
                                "Invalid attribute type name found; type: {s}, valid types: {{N,BS,L,B,NULL,M,S,SS,NS,BOOL}}"
                            )))
                        }
                        other => {
                            return Err(self.err(format!(
                                "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: {}",
                                other.type_name()
                            )))
                        }
                    }
                }
                Cond::Type(p, t)
            }
            "begins_with" => {
                let a = self.operand()?;
                self.expect(Tok::Comma)?;
                let b = self.operand()?;
                for o in [&a, &b] {
                    if let Operand::Value(v) = o {
                        if !matches!(v, AttrValue::S(_) | AttrValue::B(_)) {
                            return Err(self.err(format!(
                                "Incorrect operand type for operator or function; operator or function: begins_with, operand type: {}",
                                v.type_name()
                            )));
                        }
                    }
                }
                Cond::BeginsWith(a, b)
            }
            _ => {
                let a = self.operand()?;
                self.expect(Tok::Comma)?;
                let b = self.operand()?;
                Cond::Contains(a, b)
            }
        };
        self.expect(Tok::RParen)?;
        Ok(cond)
    }

    // ---- update ----

    fn update(&mut self) -> Result<Update, DynamoError> {
        let mut u = Update::default();
        let mut seen: Vec<&'static str> = Vec::new();
        loop {
            let clause = match self.peek() {
                Tok::Eof if !seen.is_empty() => break,
                Tok::Ident(s) => match s.to_ascii_uppercase().as_str() {
                    "SET" => "SET",
                    "REMOVE" => "REMOVE",
                    "ADD" => "ADD",
                    "DELETE" => "DELETE",
                    _ => return Err(self.syntax_error()),
                },
                _ => return Err(self.syntax_error()),
            };
            if seen.contains(&clause) {
                return Err(self.err(format!(
                    "The \"{clause}\" section can only be used once in an update expression;"
                )));
            }
            seen.push(clause);
            self.bump();
            loop {
                match clause {
                    "SET" => {
                        let p = self.path()?;
                        self.expect(Tok::Cmp(CmpOp::Eq))?;
                        let v = self.set_value()?;
                        u.set.push((p, v));
                    }
                    "REMOVE" => u.remove.push(self.path()?),
                    "ADD" => {
                        let p = self.path()?;
                        let v = self.value()?;
                        if !matches!(
                            v,
                            AttrValue::N(_)
                                | AttrValue::SS(_)
                                | AttrValue::NS(_)
                                | AttrValue::BS(_)
                        ) {
                            return Err(self.err(format!(
                                "Incorrect operand type for operator or function; operator: ADD, operand type: {}, typeSet: ALLOWED_FOR_ADD_OPERAND",
                                long_type_name(&v)
                            )));
                        }
                        u.add.push((p, v));
                    }
                    _ => {
                        let p = self.path()?;
                        let v = self.value()?;
                        if !matches!(v, AttrValue::SS(_) | AttrValue::NS(_) | AttrValue::BS(_)) {
                            return Err(self.err(format!(
                                "Incorrect operand type for operator or function; operator: DELETE, operand type: {}, typeSet: ALLOWED_FOR_DELETE_OPERAND",
                                long_type_name(&v)
                            )));
                        }
                        u.delete.push((p, v));
                    }
                }
                if *self.peek() == Tok::Comma {
                    self.bump();
                } else {
                    break;
                }
            }
        }
        Ok(u)
    }

    fn set_value(&mut self) -> Result<SetValue, DynamoError> {
        let a = self.set_operand()?;
        let op = match self.peek() {
            Tok::Plus => "+",
            Tok::Minus => "-",
            _ => return Ok(SetValue::One(a)),
        };
        self.bump();
        let b = self.set_operand()?;
        for o in [&a, &b] {
            if let SetOperand::Value(v) = o {
                if !matches!(v, AttrValue::N(_)) {
                    return Err(self.err(format!(
                        "Incorrect operand type for operator or function; operator or function: {op}, operand type: {}",
                        v.type_name()
                    )));
                }
            }
        }
        Ok(if op == "+" {
            SetValue::Plus(a, b)
        } else {
            SetValue::Minus(a, b)
        })
    }

    fn set_operand(&mut self) -> Result<SetOperand, DynamoError> {
        self.enter()?;
        let out = match self.peek().clone() {
            Tok::Value(_) => SetOperand::Value(self.value()?),
            Tok::Ident(name) if *self.peek_at(1) == Tok::LParen => match name.as_str() {
                "if_not_exists" => {
                    self.bump();
                    self.bump();
                    let p = self.path_arg("if_not_exists")?;
                    self.expect(Tok::Comma)?;
                    let d = self.set_operand()?;
                    self.expect(Tok::RParen)?;
                    SetOperand::IfNotExists(p, Box::new(d))
                }
                "list_append" => {
                    self.bump();
                    self.bump();
                    let a = self.set_operand()?;
                    self.expect(Tok::Comma)?;
                    let b = self.set_operand()?;
                    self.expect(Tok::RParen)?;
                    for o in [&a, &b] {
                        if let SetOperand::Value(v) = o {
                            if !matches!(v, AttrValue::L(_)) {
                                return Err(self.err(format!(
                                        "Incorrect operand type for operator or function; operator or function: list_append, operand type: {}",
                                        v.type_name()
                                    )));
                            }
                        }
                    }
                    SetOperand::ListAppend(Box::new(a), Box::new(b))
                }
                n if is_condition_function(n) || n == "size" => {
                    return Err(self.err(format!(
                        "The function is not allowed in an update expression; function: {n}"
                    )))
                }
                n => return Err(self.err(format!("Invalid function name; function: {n}"))),
            },
            Tok::Ident(_) | Tok::Name(_) => SetOperand::Path(self.path()?),
            _ => return Err(self.syntax_error()),
        };
        self.depth -= 1;
        Ok(out)
    }
}

fn is_grammar_keyword(s: &str) -> bool {
    ["AND", "OR", "NOT", "BETWEEN", "IN"]
        .iter()
        .any(|k| s.eq_ignore_ascii_case(k))
}

fn is_condition_function(s: &str) -> bool {
    matches!(
        s,
        "attribute_exists" | "attribute_not_exists" | "attribute_type" | "begins_with" | "contains"
    )
}

fn is_type_descriptor(s: &str) -> bool {
    matches!(
        s,
        "S" | "N" | "B" | "BOOL" | "NULL" | "M" | "L" | "SS" | "NS" | "BS"
    )
}

fn scalar_text(v: &AttrValue) -> String {
    match v {
        AttrValue::S(s) => s.clone(),
        AttrValue::N(n) => n.to_string(),
        other => other.to_json().to_string(),
    }
}

/// Type names as DynamoDB spells them in update-expression errors.
pub fn long_type_name(v: &AttrValue) -> &'static str {
    match v {
        AttrValue::S(_) => "STRING",
        AttrValue::N(_) => "NUMBER",
        AttrValue::B(_) => "BINARY",
        AttrValue::Bool(_) => "BOOLEAN",
        AttrValue::Null => "NULL",
        AttrValue::M(_) => "MAP",
        AttrValue::L(_) => "LIST",
        AttrValue::SS(_) => "STRING_SET",
        AttrValue::NS(_) => "NUMBER_SET",
        AttrValue::BS(_) => "BINARY_SET",
    }
}

/// Parses a ConditionExpression, FilterExpression or KeyConditionExpression (`kind` names it
/// in error messages).
pub fn parse_condition(
    src: &str,
    ctx: &ExprContext,
    kind: &'static str,
) -> Result<Cond, DynamoError> {
    let mut p = Parser::new(src, ctx, kind)?;
    let c = p.condition()?;
    p.expect_end()?;
    Ok(c)
}

pub fn parse_update(src: &str, ctx: &ExprContext) -> Result<Update, DynamoError> {
    let mut p = Parser::new(src, ctx, "UpdateExpression")?;
    let u = p.update()?;
    p.expect_end()?;
    let paths = u.paths();
    for (i, a) in paths.iter().enumerate() {
        for b in &paths[i + 1..] {
            let n = a.len().min(b.len());
            if a[..n] == b[..n] {
                return Err(DynamoError::validation(format!(
                    "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {}, path two: {}",
                    super::path_display(a),
                    super::path_display(b)
                )));
            }
        }
    }
    Ok(u)
}

pub fn parse_projection(src: &str, ctx: &ExprContext) -> Result<Vec<Path>, DynamoError> {
    let mut p = Parser::new(src, ctx, "ProjectionExpression")?;
    let mut paths = vec![p.path()?];
    while *p.peek() == Tok::Comma {
        p.bump();
        paths.push(p.path()?);
    }
    p.expect_end()?;
    for (i, a) in paths.iter().enumerate() {
        for b in &paths[i + 1..] {
            let n = a.len().min(b.len());
            if a[..n] == b[..n] {
                return Err(DynamoError::validation(format!(
                    "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {}, path two: {}",
                    super::path_display(a),
                    super::path_display(b)
                )));
            }
        }
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx(v: serde_json::Value) -> ExprContext {
        ExprContext::from_request(&v).unwrap()
    }

    #[test]
    fn precedence_not_and_or() {
        let c = ctx(json!({"ExpressionAttributeValues": {":v": {"N": "1"}}}));
        let cond =
            parse_condition("a = :v OR b = :v AND NOT c = :v", &c, "ConditionExpression").unwrap();
        match cond {
            Cond::Or(_, right) => match *right {
                Cond::And(_, r) => assert!(matches!(*r, Cond::Not(_))),
                other => panic!("expected AND, got {other:?}"),
            },
            other => panic!("expected OR at top, got {other:?}"),
        }
    }

    #[test]
    fn document_paths_and_names() {
        let c = ctx(json!({"ExpressionAttributeNames": {"#n": "name"}}));
        let paths = parse_projection("a.b[2].c, #n", &c).unwrap();
        assert_eq!(
            paths[0],
            vec![
                PathElem::Attr("a".into()),
                PathElem::Attr("b".into()),
                PathElem::Index(2),
                PathElem::Attr("c".into())
            ]
        );
        assert_eq!(paths[1], vec![PathElem::Attr("name".into())]);
        c.check_all_used().unwrap();
    }

    #[test]
    fn syntax_errors_name_the_token() {
        let c = ExprContext::empty();
        let e = parse_condition("a = ", &c, "ConditionExpression").unwrap_err();
        assert_eq!(
            e.message(),
            "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"= \""
        );
    }

    #[test]
    fn undefined_and_unused_placeholders() {
        let c = ExprContext::empty();
        let e = parse_condition("a = :zz", &c, "ConditionExpression").unwrap_err();
        assert!(
            e.message().ends_with("attribute value: :zz"),
            "{}",
            e.message()
        );
        let c = ctx(json!({"ExpressionAttributeNames": {"#v": "a"}}));
        parse_projection("x", &c).unwrap();
        assert_eq!(
            c.check_all_used().unwrap_err().message(),
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#v}"
        );
    }

    #[test]
    fn update_clauses() {
        let c = ctx(
            json!({"ExpressionAttributeValues": {":one": {"N": "1"}, ":l": {"L": []}, ":s": {"SS": ["x"]}}}),
        );
        let u = parse_update(
            "SET a = a + :one, b = list_append(if_not_exists(b, :l), :l) REMOVE c[1] ADD d :one DELETE e :s",
            &c,
        )
        .unwrap();
        assert_eq!(u.set.len(), 2);
        assert_eq!(u.remove.len(), 1);
        assert_eq!(u.add.len(), 1);
        assert_eq!(u.delete.len(), 1);
        assert!(parse_update("SET a = :one SET b = :one", &c).is_err());
        assert!(parse_update("SET a = :one REMOVE a", &c)
            .unwrap_err()
            .message()
            .contains("overlap"));
    }

    #[test]
    fn functions_and_between_in() {
        let c = ctx(
            json!({"ExpressionAttributeValues": {":a": {"S": "a"}, ":n": {"N": "3"}, ":t": {"S": "S"}}}),
        );
        for e in [
            "begins_with(a, :a)",
            "contains(a, :a)",
            "size(a) > :n",
            "attribute_type(a, :t)",
            "a BETWEEN :a AND :a",
            "a IN (:a, :n)",
            "attribute_exists(a) and attribute_not_exists(b.c)",
        ] {
            parse_condition(e, &c, "ConditionExpression").unwrap();
        }
        assert!(parse_condition("foo(a)", &c, "ConditionExpression").is_err());
        assert!(parse_condition("size(a)", &c, "ConditionExpression").is_err());
    }
}

#[cfg(test)]
mod prop_tests {
    //! Whatever expression text arrives, parsing answers (accepted or a ValidationException)
    //! without panicking, nesting included.
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn noisy() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                Just("(".to_string()),
                Just(")".to_string()),
                Just(" AND ".to_string()),
                Just(" OR ".to_string()),
                Just("NOT ".to_string()),
                Just(" = ".to_string()),
                Just(" < ".to_string()),
                Just(" BETWEEN ".to_string()),
                Just("attribute_exists(".to_string()),
                Just("size(".to_string()),
                Just(":v".to_string()),
                Just("#n".to_string()),
                Just("SET ".to_string()),
                Just("REMOVE ".to_string()),
                Just(", ".to_string()),
                Just("[1]".to_string()),
                Just(".".to_string()),
                "[a-z]{1,4}",
                any::<char>().prop_map(String::from),
            ],
            0..40,
        )
        .prop_map(|v| v.concat())
    }

    fn ctx() -> ExprContext {
        ExprContext::from_request(&json!({
            "ExpressionAttributeValues": {":v": {"N": "1"}},
            "ExpressionAttributeNames": {"#n": "name"}
        }))
        .unwrap()
    }

    proptest! {
        // A fixed seed: the same cases every CI run.
        #![proptest_config(ProptestConfig {
            cases: 512,
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x05EE_DDDB),
            .. ProptestConfig::default()
        })]

        #[test]
        fn parsing_never_panics(text in noisy()) {
            let c = ctx();
            let _ = parse_condition(&text, &c, "ConditionExpression");
            let _ = parse_update(&text, &c);
            let _ = parse_projection(&text, &c);
        }

        #[test]
        fn nesting_is_bounded(depth in prop_oneof![1usize..(MAX_DEPTH + 20), 1000usize..2000]) {
            let c = ctx();
            let text = format!("{}a = :v{}", "(".repeat(depth), ")".repeat(depth));
            let r = parse_condition(&text, &c, "ConditionExpression");
            if depth <= MAX_DEPTH / 4 {
                prop_assert!(r.is_ok());
            }
            if depth > MAX_DEPTH {
                prop_assert!(r.is_err());
            }
        }
    }
}
