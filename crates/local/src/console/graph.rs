//! The graph of a state machine definition, laid out for the console by dagre (the
//! `dagre-dgl-rs` port of the dagre layout used by many diagram tools): states are boxes,
//! Parallel branches and Map item processors are nested groups, transitions are routed edges.
//!
//! A Parallel or Map state is drawn as a group holding the state's own box at its top, its
//! branches (or item processor) in the middle and a join point at its bottom: edges into the
//! state end at its box, its `Next` and `Catch` edges leave from the join. Dagre does not
//! route edges to a group itself, and this way every edge has a real end.

use dagre_dgl_rs::{layout, EdgeLabel, Graph, GraphLabel, NodeLabel};
use serde::Serialize;
use serde_json::{Map, Value};

/// Largest machine drawn (boxes and joins); a bigger one is listed, not drawn.
pub const MAX_NODES: usize = 400;
/// Deepest nesting of Parallel and Map states drawn.
const MAX_DEPTH: usize = 16;
const NODE_HEIGHT: f64 = 38.0;
const CHAR_WIDTH: f64 = 7.2;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NodeBox {
    pub id: String,
    /// The state's name; `None` for the start, end and join markers.
    pub state: Option<String>,
    /// The state's `Type`, or `start`, `end`, `join`.
    pub kind: String,
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GroupBox {
    pub id: String,
    /// `Parallel`, `Map` or `Branch`.
    pub kind: String,
    pub label: String,
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EdgePath {
    pub from: String,
    pub to: String,
    /// `next`, `choice`, `default`, `catch` or `branch`.
    pub kind: &'static str,
    pub label: Option<String>,
    pub points: Vec<[f64; 2]>,
    pub label_at: Option<[f64; 2]>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Layout {
    pub width: f64,
    pub height: f64,
    pub nodes: Vec<NodeBox>,
    pub groups: Vec<GroupBox>,
    pub edges: Vec<EdgePath>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    #[error("the definition has no States/StartAt to draw")]
    Shape,
    #[error("the machine is too large to draw ({0} boxes; at most {MAX_NODES})")]
    TooLarge(usize),
    #[error("Parallel and Map states nest deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("the layout failed")]
    Layout,
}

struct Node {
    id: String,
    state: Option<String>,
    kind: String,
    parent: Option<String>,
    w: f64,
    h: f64,
}

struct Group {
    id: String,
    kind: String,
    label: String,
    parent: Option<String>,
}

struct Edge {
    from: String,
    to: String,
    kind: &'static str,
    label: Option<String>,
}

#[derive(Default)]
struct Builder {
    nodes: Vec<Node>,
    groups: Vec<Group>,
    edges: Vec<Edge>,
}

/// Where a state is entered and left in the drawing.
struct Ends {
    entry: String,
    exit: String,
}

impl Builder {
    fn fresh(&self) -> String {
        format!("n{}", self.nodes.len() + self.groups.len())
    }

    fn node(&mut self, state: Option<&str>, kind: &str, parent: Option<&str>) -> String {
        let id = self.fresh();
        let (w, h) = match kind {
            "start" | "end" => (28.0, 28.0),
            "join" => (14.0, 14.0),
            _ => {
                let text = state.unwrap_or("").chars().count().max(kind.len());
                (
                    (text as f64 * CHAR_WIDTH + 32.0).clamp(110.0, 360.0),
                    NODE_HEIGHT,
                )
            }
        };
        self.nodes.push(Node {
            id: id.clone(),
            state: state.map(str::to_owned),
            kind: kind.to_owned(),
            parent: parent.map(str::to_owned),
            w,
            h,
        });
        id
    }

    fn group(&mut self, kind: &str, label: String, parent: Option<&str>) -> String {
        let id = self.fresh();
        self.groups.push(Group {
            id: id.clone(),
            kind: kind.to_owned(),
            label,
            parent: parent.map(str::to_owned),
        });
        id
    }

    fn edge(&mut self, from: &str, to: &str, kind: &'static str, label: Option<String>) {
        self.edges.push(Edge {
            from: from.to_owned(),
            to: to.to_owned(),
            kind,
            label,
        });
    }

    fn check_size(&self) -> Result<(), GraphError> {
        let n = self.nodes.len() + self.groups.len();
        if n > MAX_NODES {
            return Err(GraphError::TooLarge(n));
        }
        Ok(())
    }

    /// Adds the states of one scope (the machine, a branch, an item processor). Returns the
    /// box its `StartAt` is entered by and the boxes its execution can end from.
    fn scope(
        &mut self,
        def: &Value,
        parent: Option<&str>,
        depth: usize,
    ) -> Result<(String, Vec<String>), GraphError> {
        if depth > MAX_DEPTH {
            return Err(GraphError::TooDeep);
        }
        let states = def
            .get("States")
            .and_then(Value::as_object)
            .ok_or(GraphError::Shape)?;
        let start_at = def
            .get("StartAt")
            .and_then(Value::as_str)
            .ok_or(GraphError::Shape)?;
        let mut ends: Vec<(String, Ends)> = Vec::new();
        for (name, state) in states {
            let e = self.state(name, state, parent, depth)?;
            ends.push((name.clone(), e));
            self.check_size()?;
        }
        let find = |name: &str| ends.iter().find(|(n, _)| n == name).map(|(_, e)| e);
        let mut exits = Vec::new();
        for (name, state) in states {
            let Some(me) = find(name) else { continue };
            let exit = me.exit.clone();
            let kind = state.get("Type").and_then(Value::as_str).unwrap_or("");
            let link = |b: &mut Builder, to: &str, kind, label| {
                if let Some(target) = find(to) {
                    b.edge(&exit, &target.entry, kind, label);
                }
            };
            if let Some(next) = state.get("Next").and_then(Value::as_str) {
                link(self, next, "next", None);
            }
            if kind == "Choice" {
                for rule in state
                    .get("Choices")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(next) = rule.get("Next").and_then(Value::as_str) {
                        link(self, next, "choice", Some(rule_label(rule)));
                    }
                }
                if let Some(d) = state.get("Default").and_then(Value::as_str) {
                    link(self, d, "default", Some("Default".into()));
                }
            }
            for catcher in state
                .get("Catch")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(next) = catcher.get("Next").and_then(Value::as_str) {
                    link(self, next, "catch", Some(catch_label(catcher)));
                }
            }
            let ends_here = matches!(kind, "Succeed" | "Fail")
                || state.get("End").and_then(Value::as_bool) == Some(true);
            if ends_here {
                exits.push(exit);
            }
        }
        let entry = find(start_at).ok_or(GraphError::Shape)?.entry.clone();
        Ok((entry, exits))
    }

    fn state(
        &mut self,
        name: &str,
        state: &Value,
        parent: Option<&str>,
        depth: usize,
    ) -> Result<Ends, GraphError> {
        let kind = state.get("Type").and_then(Value::as_str).unwrap_or("State");
        match kind {
            "Parallel" => {
                let group = self.group("Parallel", format!("Parallel: {name}"), parent);
                let entry = self.node(Some(name), kind, Some(&group));
                let mut branch_ends = Vec::new();
                for (i, branch) in state
                    .get("Branches")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    let b = self.group("Branch", format!("Branch {}", i + 1), Some(&group));
                    let (start, exits) = self.scope(branch, Some(&b), depth + 1)?;
                    branch_ends.push((start, exits));
                }
                let join = self.node(None, "join", Some(&group));
                for (start, exits) in branch_ends {
                    self.edge(&entry, &start, "branch", None);
                    for x in exits {
                        self.edge(&x, &join, "branch", None);
                    }
                }
                Ok(Ends { entry, exit: join })
            }
            "Map" => {
                let group = self.group("Map", format!("Map: {name}"), parent);
                let entry = self.node(Some(name), kind, Some(&group));
                let processor = state
                    .get("ItemProcessor")
                    .or_else(|| state.get("Iterator"))
                    .ok_or(GraphError::Shape)?;
                let inner = self.group("Branch", "Item processor".into(), Some(&group));
                let (start, exits) = self.scope(processor, Some(&inner), depth + 1)?;
                let join = self.node(None, "join", Some(&group));
                self.edge(&entry, &start, "branch", None);
                for x in exits {
                    self.edge(&x, &join, "branch", None);
                }
                Ok(Ends { entry, exit: join })
            }
            _ => {
                let id = self.node(Some(name), kind, parent);
                Ok(Ends {
                    entry: id.clone(),
                    exit: id,
                })
            }
        }
    }
}

fn truncate(s: String, max: usize) -> String {
    if s.chars().count() <= max {
        return s;
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    }
}

/// A short text for a Choice rule: `$.mode StringEquals "auto"`, `And(2)`, `Not(...)`.
fn rule_text(rule: &Map<String, Value>, depth: usize) -> String {
    if depth > 3 {
        return "…".into();
    }
    if let Some(c) = rule.get("Condition").and_then(Value::as_str) {
        return c.to_owned();
    }
    for op in ["And", "Or"] {
        if let Some(list) = rule.get(op).and_then(Value::as_array) {
            let parts: Vec<String> = list
                .iter()
                .filter_map(Value::as_object)
                .map(|r| rule_text(r, depth + 1))
                .collect();
            return format!("{op}({})", parts.join(", "));
        }
    }
    if let Some(inner) = rule.get("Not").and_then(Value::as_object) {
        return format!("Not({})", rule_text(inner, depth + 1));
    }
    let variable = rule.get("Variable").and_then(Value::as_str).unwrap_or("");
    let test = rule.iter().find(|(k, _)| {
        !matches!(
            k.as_str(),
            "Variable" | "Next" | "Comment" | "Assign" | "Output"
        )
    });
    match test {
        Some((op, v)) => format!("{variable} {op} {}", scalar(v)),
        None => variable.to_owned(),
    }
}

fn rule_label(rule: &Value) -> String {
    let text = rule
        .as_object()
        .map(|r| rule_text(r, 0))
        .unwrap_or_default();
    truncate(text, 48)
}

fn catch_label(catcher: &Value) -> String {
    let errors: Vec<&str> = catcher
        .get("ErrorEquals")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    truncate(format!("Catch {}", errors.join(", ")), 48)
}

/// Lays out `definition` (an ASL document). Bounded: at most [`MAX_NODES`] boxes and
/// [`MAX_DEPTH`] levels of nesting; the caller runs it off the async workers.
pub fn layout_definition(definition: &Value) -> Result<Layout, GraphError> {
    let b = graph_of(definition)?;
    // The layout library is third-party code on user input: a panic there is an error here.
    std::panic::catch_unwind(move || run_layout(b)).map_err(|_| GraphError::Layout)?
}

/// The boxes and edges of a definition, between a start and an end marker.
fn graph_of(definition: &Value) -> Result<Builder, GraphError> {
    let mut b = Builder::default();
    let start = b.node(None, "start", None);
    let (entry, exits) = b.scope(definition, None, 0)?;
    let end = b.node(None, "end", None);
    b.edge(&start, &entry, "next", None);
    for x in exits {
        b.edge(&x, &end, "next", None);
    }
    b.check_size()?;
    Ok(b)
}

/// The same graph as a Mermaid flowchart, for documents: the README draws each machine with
/// it, from the ASL file, so the picture cannot drift from the definition. Catch edges are
/// dotted and labelled with what they catch; Parallel and Map groups are subgraphs.
pub fn mermaid(definition: &Value) -> Result<String, GraphError> {
    let b = graph_of(definition)?;
    let mut out = String::from("flowchart TD\n");
    mermaid_scope(&mut out, None, &b);
    for e in &b.edges {
        let arrow = match (e.kind, &e.label) {
            ("catch", Some(l)) => format!(" -. \"{}\" .-> ", mermaid_text(l)),
            ("catch", None) => " -.-> ".to_string(),
            (_, Some(l)) => format!(" -- \"{}\" --> ", mermaid_text(l)),
            _ => " --> ".to_string(),
        };
        out.push_str(&format!("    {}{arrow}{}\n", e.from, e.to));
    }
    Ok(out)
}

/// The nodes of one scope (the machine, a branch, an item processor), then its groups.
fn mermaid_scope(out: &mut String, parent: Option<&str>, b: &Builder) {
    for n in b.nodes.iter().filter(|n| n.parent.as_deref() == parent) {
        let line = match (n.kind.as_str(), &n.state) {
            ("start" | "end", _) => format!("{}(({}))", n.id, n.kind),
            (_, Some(state)) => format!(
                "{}[\"{}<br/><small>{}</small>\"]",
                n.id,
                mermaid_text(state),
                n.kind
            ),
            _ => format!("{}(( ))", n.id),
        };
        out.push_str(&format!("    {line}\n"));
    }
    for g in b.groups.iter().filter(|g| g.parent.as_deref() == parent) {
        out.push_str(&format!(
            "    subgraph {}[\"{}\"]\n",
            g.id,
            mermaid_text(&g.label)
        ));
        mermaid_scope(out, Some(&g.id), b);
        out.push_str("    end\n");
    }
}

/// Text inside a quoted Mermaid label.
fn mermaid_text(s: &str) -> String {
    s.replace('"', "#quot;")
}

fn run_layout(b: Builder) -> Result<Layout, GraphError> {
    let mut g = Graph::with_options(true, true, true);
    g.set_graph(GraphLabel {
        rankdir: Some("TB".into()),
        nodesep: Some(28.0),
        ranksep: Some(36.0),
        edgesep: Some(12.0),
        marginx: Some(16.0),
        marginy: Some(16.0),
        ..Default::default()
    });
    for grp in &b.groups {
        g.set_node(&grp.id, NodeLabel::default());
    }
    for n in &b.nodes {
        g.set_node(
            &n.id,
            NodeLabel {
                width: n.w,
                height: n.h,
                ..Default::default()
            },
        );
    }
    for grp in &b.groups {
        if let Some(p) = &grp.parent {
            g.set_parent(&grp.id, Some(p));
        }
    }
    for n in &b.nodes {
        if let Some(p) = &n.parent {
            g.set_parent(&n.id, Some(p));
        }
    }
    for (i, e) in b.edges.iter().enumerate() {
        let (w, h) = match &e.label {
            Some(l) => (l.chars().count() as f64 * 6.2 + 8.0, 16.0),
            None => (0.0, 0.0),
        };
        g.set_edge(
            &e.from,
            &e.to,
            EdgeLabel {
                minlen: Some(1),
                weight: Some(if e.kind == "catch" { 0.5 } else { 1.0 }),
                width: Some(w),
                height: Some(h),
                labelpos: Some("c".into()),
                ..Default::default()
            },
            Some(&format!("e{i}")),
        );
    }
    layout(&mut g);
    let graph = g.graph();
    let (width, height) = (graph.width.unwrap_or(0.0), graph.height.unwrap_or(0.0));
    // dagre places centres; the page draws from the top-left corner.
    let corner = |id: &str| -> Result<(f64, f64, f64, f64), GraphError> {
        let n = g.node(id);
        match (n.x, n.y) {
            (Some(x), Some(y)) if x.is_finite() && y.is_finite() => {
                Ok((x - n.width / 2.0, y - n.height / 2.0, n.width, n.height))
            }
            _ => Err(GraphError::Layout),
        }
    };
    let mut nodes = Vec::with_capacity(b.nodes.len());
    for n in &b.nodes {
        let (x, y, w, h) = corner(&n.id)?;
        nodes.push(NodeBox {
            id: n.id.clone(),
            state: n.state.clone(),
            kind: n.kind.clone(),
            x,
            y,
            w,
            h,
        });
    }
    let mut groups = Vec::with_capacity(b.groups.len());
    for grp in &b.groups {
        let (x, y, w, h) = corner(&grp.id)?;
        groups.push(GroupBox {
            id: grp.id.clone(),
            kind: grp.kind.clone(),
            label: grp.label.clone(),
            x,
            y,
            w,
            h,
        });
    }
    let mut edges = Vec::with_capacity(b.edges.len());
    for (i, e) in b.edges.iter().enumerate() {
        let key = dagre_dgl_rs::graph::Edge {
            v: e.from.clone(),
            w: e.to.clone(),
            name: Some(format!("e{i}")),
        };
        let label = g.edge(&key).ok_or(GraphError::Layout)?;
        let points = label
            .points
            .iter()
            .flatten()
            .filter(|p| p.x.is_finite() && p.y.is_finite())
            .map(|p| [p.x, p.y])
            .collect();
        edges.push(EdgePath {
            from: e.from.clone(),
            to: e.to.clone(),
            kind: e.kind,
            label: e.label.clone(),
            points,
            label_at: match (label.x, label.y, &e.label) {
                (Some(x), Some(y), Some(_)) => Some([x, y]),
                _ => None,
            },
        });
    }
    Ok(Layout {
        width,
        height,
        nodes,
        groups,
        edges,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn inside(n: &NodeBox, g: &GroupBox) -> bool {
        n.x >= g.x - 0.5
            && n.y >= g.y - 0.5
            && n.x + n.w <= g.x + g.w + 0.5
            && n.y + n.h <= g.y + g.h + 0.5
    }

    #[test]
    fn every_state_type_with_nested_groups_and_labelled_edges() {
        let def = json!({
            "StartAt": "Choose",
            "States": {
                "Choose": {"Type": "Choice", "Choices": [
                    {"Variable": "$.mode", "StringEquals": "auto", "Next": "Fan"},
                    {"And": [{"Variable": "$.n", "IsPresent": true}, {"Variable": "$.n", "NumericGreaterThan": 3}], "Next": "Each"}
                ], "Default": "Hold"},
                "Hold": {"Type": "Wait", "Seconds": 5, "Next": "Work"},
                "Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Done",
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Oops"}]},
                "Fan": {"Type": "Parallel", "Next": "Done", "Branches": [
                    {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
                    {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}}
                ]},
                "Each": {"Type": "Map", "Next": "Done", "ItemProcessor": {"StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": true}}}},
                "Done": {"Type": "Succeed"},
                "Oops": {"Type": "Fail", "Error": "E"}
            }
        });
        let l = layout_definition(&def).unwrap();
        let names: Vec<&str> = l.nodes.iter().filter_map(|n| n.state.as_deref()).collect();
        for s in [
            "Choose", "Hold", "Work", "Fan", "A", "B", "Each", "Item", "Done", "Oops",
        ] {
            assert!(names.contains(&s), "{s} drawn");
        }
        let node = |s: &str| {
            l.nodes
                .iter()
                .find(|n| n.state.as_deref() == Some(s))
                .unwrap()
        };
        let group = |label: &str| l.groups.iter().find(|g| g.label == label).unwrap();
        assert!(inside(node("A"), group("Parallel: Fan")));
        assert!(inside(node("B"), group("Branch 2")));
        assert!(inside(node("Item"), group("Map: Each")));
        assert!(!inside(node("Work"), group("Parallel: Fan")));
        let labels: Vec<(&str, Option<&str>)> = l
            .edges
            .iter()
            .map(|e| (e.kind, e.label.as_deref()))
            .collect();
        assert!(
            labels.contains(&("choice", Some("$.mode StringEquals \"auto\""))),
            "{labels:?}"
        );
        assert!(labels.contains(&("default", Some("Default"))));
        assert!(labels.contains(&("catch", Some("Catch States.ALL"))));
        assert!(labels
            .iter()
            .any(|(k, l)| *k == "choice" && l.unwrap().starts_with("And(")));
        for e in &l.edges {
            assert!(e.points.len() >= 2, "{e:?}");
        }
        assert!(l.width > 0.0 && l.height > 0.0);
    }

    #[test]
    fn refuses_what_it_cannot_draw() {
        assert_eq!(
            layout_definition(&json!({"States": {}})),
            Err(GraphError::Shape)
        );
        let many: Map<String, Value> = (0..MAX_NODES + 5)
            .map(|i| (format!("S{i}"), json!({"Type": "Pass", "End": true})))
            .collect();
        assert!(matches!(
            layout_definition(&json!({"StartAt": "S0", "States": many})),
            Err(GraphError::TooLarge(_))
        ));
        let mut deep = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}});
        for _ in 0..MAX_DEPTH + 2 {
            deep = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [deep]}}});
        }
        assert_eq!(layout_definition(&deep), Err(GraphError::TooDeep));
    }

    #[test]
    fn mermaid_draws_states_branches_and_dotted_catches() {
        let def = serde_json::json!({"StartAt": "Go", "States": {
            "Go": {"Type": "Task", "Resource": "r", "Next": "Pick",
                   "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Oops"}]},
            "Pick": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": true, "Next": "Done"}], "Default": "Oops"},
            "Oops": {"Type": "Fail", "Error": "E"},
            "Done": {"Type": "Succeed"}
        }});
        let m = mermaid(&def).unwrap();
        assert!(m.starts_with("flowchart TD\n"), "{m}");
        assert!(m.contains("[\"Go<br/><small>Task</small>\"]"), "{m}");
        assert!(m.contains(" -. \"Catch States.ALL\" .-> "), "{m}");
        assert!(m.contains(" -- \"Default\" --> "), "{m}");
        assert_eq!(m.matches("((start))").count(), 1);
        assert!(mermaid(&serde_json::json!({"States": 1})).is_err());
    }
}
