//! The engine's modules import one another one way: no module reaches itself again through a
//! chain of imports. A ring of modules can only be understood, tested and changed together; this
//! check keeps new ones from creeping in, and names the modules and the paths that close one.
//!
//! A module is a file of the library (`src/lib.rs` and what it declares; `mod tests` and other
//! `#[cfg(test)]` items are left out). A module depends on another when its code names something
//! defined there: through `use`, or a path in the code that starts with `crate`, `self`, `super`,
//! a child module or a name it imported. A re-export (`pub use`) is followed to where the item is
//! defined, so a parent that only re-exports its children's items does not depend on them. Paths
//! inside macro invocations are not seen.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// A module's path from the crate root (`["bridge", "forward"]`); empty for the root.
type ModPath = Vec<String>;

#[derive(Default)]
struct Module {
    children: BTreeSet<String>,
    /// Names a `pub use` makes visible here, with the absolute path they stand for.
    reexports: BTreeMap<String, Vec<String>>,
    /// Modules whose items a `pub use ...::*` makes visible here.
    glob_reexports: Vec<Vec<String>>,
    /// Items defined here.
    defined: BTreeSet<String>,
    /// Names a private `use` brings into scope, with the absolute path they stand for.
    imported: BTreeMap<String, Vec<String>>,
    /// Every absolute path the module's code names (its `use`s included, re-exports not).
    named: Vec<Vec<String>>,
}

struct Crate {
    modules: BTreeMap<ModPath, Module>,
}

fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg")
            && attr.meta.require_list().is_ok_and(|list| list.tokens.to_string() == "test")
    })
}

/// One leaf of a `use` tree: the path as written and the name it binds (`None` for a glob).
fn use_leaves(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<(Vec<String>, Option<String>)>) {
    match tree {
        syn::UseTree::Path(path) => {
            prefix.push(path.ident.to_string());
            use_leaves(&path.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(name) if name.ident == "self" => {
            out.push((prefix.clone(), prefix.last().cloned()));
        }
        syn::UseTree::Name(name) => {
            let mut path = prefix.clone();
            path.push(name.ident.to_string());
            out.push((path, Some(name.ident.to_string())));
        }
        syn::UseTree::Rename(rename) => {
            let mut path = prefix.clone();
            path.push(rename.ident.to_string());
            out.push((path, Some(rename.rename.to_string())));
        }
        syn::UseTree::Glob(_) => out.push((prefix.clone(), None)),
        syn::UseTree::Group(group) => group.items.iter().for_each(|item| use_leaves(item, prefix, out)),
    }
}

/// The folder a module's children live in.
fn child_dir(file: &Path) -> PathBuf {
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    let parent = file.parent().unwrap_or(Path::new("")).to_owned();
    if matches!(stem, "lib" | "mod" | "main") { parent } else { parent.join(stem) }
}

/// The items of a module that are not test-only, with the module's own inline child modules.
fn load(
    krate: &mut Crate,
    path: ModPath,
    file: &Path,
    items: Vec<syn::Item>,
    sources: &mut Vec<(ModPath, Vec<syn::Item>)>,
) {
    let mut module = Module::default();
    let mut kept = Vec::new();
    for item in items {
        let attrs = match &item {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Use(u) => &u.attrs,
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Struct(s) => &s.attrs,
            syn::Item::Enum(e) => &e.attrs,
            syn::Item::Const(c) => &c.attrs,
            syn::Item::Static(s) => &s.attrs,
            syn::Item::Trait(t) => &t.attrs,
            syn::Item::Type(t) => &t.attrs,
            syn::Item::Macro(m) => &m.attrs,
            _ => &Vec::new(),
        };
        if is_test_only(attrs) {
            continue;
        }
        let name = match &item {
            syn::Item::Fn(f) => Some(&f.sig.ident),
            syn::Item::Struct(s) => Some(&s.ident),
            syn::Item::Enum(e) => Some(&e.ident),
            syn::Item::Const(c) => Some(&c.ident),
            syn::Item::Static(s) => Some(&s.ident),
            syn::Item::Trait(t) => Some(&t.ident),
            syn::Item::Type(t) => Some(&t.ident),
            syn::Item::Union(u) => Some(&u.ident),
            syn::Item::Macro(m) => m.ident.as_ref(),
            _ => None,
        };
        if let Some(name) = name {
            module.defined.insert(name.to_string());
        }
        if let syn::Item::Mod(child) = &item {
            let name = child.ident.to_string();
            module.children.insert(name.clone());
            let mut child_path = path.clone();
            child_path.push(name.clone());
            let (child_file, child_items) = match &child.content {
                Some((_, items)) => (file.to_owned(), items.clone()),
                None => {
                    let dir = child_dir(file);
                    let flat = dir.join(format!("{name}.rs"));
                    let file = if flat.exists() { flat } else { dir.join(&name).join("mod.rs") };
                    let text = std::fs::read_to_string(&file).unwrap_or_else(|err| panic!("{file:?}: {err}"));
                    let parsed = syn::parse_file(&text).unwrap_or_else(|err| panic!("{file:?}: {err}"));
                    (file, parsed.items)
                }
            };
            load(krate, child_path, &child_file, child_items, sources);
            continue;
        }
        kept.push(item);
    }
    krate.modules.insert(path.clone(), module);
    sources.push((path, kept));
}

impl Crate {
    fn read(lib: &Path) -> Self {
        let text = std::fs::read_to_string(lib).expect("the library's root file");
        let parsed = syn::parse_file(&text).expect("the library parses");
        let mut krate = Crate { modules: BTreeMap::new() };
        let mut sources = Vec::new();
        load(&mut krate, Vec::new(), lib, parsed.items, &mut sources);
        // Imports first, so that code paths can go through imported names.
        for (path, items) in &sources {
            for item in items {
                if let syn::Item::Use(import) = item {
                    krate.note_use(path, import);
                }
            }
        }
        for (path, items) in &sources {
            let mut paths = CodePaths::default();
            for item in items.iter().filter(|item| !matches!(item, syn::Item::Use(_))) {
                paths.visit_item(item);
            }
            for written in paths.found {
                if let Some(absolute) = krate.absolute(path, &written, true) {
                    krate.modules.get_mut(path).expect("loaded").named.push(absolute);
                }
            }
        }
        krate
    }

    fn note_use(&mut self, module: &ModPath, import: &syn::ItemUse) {
        let mut leaves = Vec::new();
        use_leaves(&import.tree, &mut Vec::new(), &mut leaves);
        let public = !matches!(import.vis, syn::Visibility::Inherited);
        for (written, name) in leaves {
            let Some(absolute) = self.absolute(module, &written, false) else { continue };
            let entry = self.modules.get_mut(module).expect("loaded");
            match (public, name) {
                (true, Some(name)) => {
                    entry.imported.insert(name.clone(), absolute.clone());
                    entry.reexports.insert(name, absolute);
                }
                (true, None) => entry.glob_reexports.push(absolute),
                (false, name) => {
                    if let Some(name) = name {
                        entry.imported.insert(name, absolute.clone());
                    }
                    entry.named.push(absolute);
                }
            }
        }
    }

    /// `written` as a path from the crate root, when it names something in this crate.
    fn absolute(&self, module: &ModPath, written: &[String], through_imports: bool) -> Option<Vec<String>> {
        let (first, rest) = written.split_first()?;
        let mut base = match first.as_str() {
            "crate" => Vec::new(),
            "self" => module.clone(),
            "super" => module[..module.len().checked_sub(1)?].to_vec(),
            name if self.modules[module].children.contains(name) => {
                let mut child = module.clone();
                child.push(name.to_owned());
                child
            }
            name if through_imports && self.modules[module].imported.contains_key(name) => {
                self.modules[module].imported[name].clone()
            }
            _ => return None,
        };
        let mut rest = rest.iter().peekable();
        while rest.peek().is_some_and(|s| *s == "super") {
            base.pop();
            rest.next();
        }
        base.extend(rest.cloned());
        Some(base)
    }

    /// The module where what `path` names is defined, following re-exports.
    fn home_of(&self, path: &[String], depth: usize) -> ModPath {
        let mut module: ModPath = Vec::new();
        for (at, segment) in path.iter().enumerate() {
            let here = &self.modules[&module];
            if here.children.contains(segment) {
                module.push(segment.clone());
                continue;
            }
            if depth < 16 {
                if let Some(target) = here.reexports.get(segment) {
                    let mut full = target.clone();
                    full.extend(path[at + 1..].iter().cloned());
                    return self.home_of(&full, depth + 1);
                }
                if !here.defined.contains(segment) {
                    for glob in &here.glob_reexports {
                        let mut full = glob.clone();
                        full.extend(path[at..].iter().cloned());
                        let found = self.home_of(&full, depth + 1);
                        if self.modules[&found].defined.contains(segment) || found.last() == Some(segment) {
                            return found;
                        }
                    }
                }
            }
            break;
        }
        module
    }

    /// Each module's dependencies, with one path that shows each.
    fn dependencies(&self) -> BTreeMap<ModPath, BTreeMap<ModPath, Vec<String>>> {
        let mut graph = BTreeMap::new();
        for (path, module) in &self.modules {
            let edges: &mut BTreeMap<ModPath, Vec<String>> = graph.entry(path.clone()).or_default();
            for named in &module.named {
                let home = self.home_of(named, 0);
                if home != *path {
                    edges.entry(home).or_insert_with(|| named.clone());
                }
            }
        }
        graph
    }
}

/// The paths a module's code writes, outside `use` items.
#[derive(Default)]
struct CodePaths {
    found: Vec<Vec<String>>,
}

impl<'ast> Visit<'ast> for CodePaths {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        if path.leading_colon.is_none() {
            self.found.push(path.segments.iter().map(|s| s.ident.to_string()).collect());
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_visibility(&mut self, visibility: &'ast syn::Visibility) {
        // `pub(super)` and `pub(crate)` say who may look, not what is used.
        let _ = visibility;
    }

    fn visit_item_mod(&mut self, module: &'ast syn::ItemMod) {
        // Inline modules are modules of their own, loaded separately.
        let _ = module;
    }
}

fn name(path: &ModPath) -> String {
    if path.is_empty() { "crate".to_owned() } else { path.join("::") }
}

/// The rings of modules (strongly connected components of more than one module), each sorted.
fn rings(graph: &BTreeMap<ModPath, BTreeMap<ModPath, Vec<String>>>) -> Vec<Vec<ModPath>> {
    struct Tarjan<'g> {
        graph: &'g BTreeMap<ModPath, BTreeMap<ModPath, Vec<String>>>,
        index: BTreeMap<&'g ModPath, usize>,
        low: BTreeMap<&'g ModPath, usize>,
        stack: Vec<&'g ModPath>,
        on_stack: BTreeSet<&'g ModPath>,
        rings: Vec<Vec<ModPath>>,
    }
    impl<'g> Tarjan<'g> {
        fn visit(&mut self, node: &'g ModPath) {
            let at = self.index.len();
            self.index.insert(node, at);
            self.low.insert(node, at);
            self.stack.push(node);
            self.on_stack.insert(node);
            for next in self.graph.get(node).into_iter().flat_map(|edges| edges.keys()) {
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next]);
                    self.low.insert(node, low);
                } else if self.on_stack.contains(next) {
                    let low = self.low[node].min(self.index[next]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut ring = Vec::new();
                while let Some(member) = self.stack.pop() {
                    self.on_stack.remove(member);
                    ring.push(member.clone());
                    if member == node {
                        break;
                    }
                }
                if ring.len() > 1 {
                    ring.sort();
                    self.rings.push(ring);
                }
            }
        }
    }
    let mut tarjan = Tarjan {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        rings: Vec::new(),
    };
    for node in graph.keys() {
        if !tarjan.index.contains_key(node) {
            tarjan.visit(node);
        }
    }
    tarjan.rings
}

/// What a ring is made of: each import between its members, with the path that makes it.
fn describe(ring: &[ModPath], graph: &BTreeMap<ModPath, BTreeMap<ModPath, Vec<String>>>) -> String {
    let mut text = format!("a ring of {} modules:\n", ring.len());
    for from in ring {
        for (to, evidence) in &graph[from] {
            if ring.contains(to) {
                text.push_str(&format!(
                    "  {} -> {}   (names {})\n",
                    name(from),
                    name(to),
                    evidence.join("::")
                ));
            }
        }
    }
    text
}

#[test]
fn the_engine_s_modules_import_one_another_one_way() {
    let lib = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join("lib.rs");
    let krate = Crate::read(&lib);
    assert!(krate.modules.len() > 50, "the module tree was read: {} modules", krate.modules.len());
    let graph = krate.dependencies();
    let rings = rings(&graph);
    let report: Vec<String> = rings.iter().map(|ring| describe(ring, &graph)).collect();
    assert!(
        rings.is_empty(),
        "import cycles between the engine's modules (move what both sides need one floor down):\n{}",
        report.join("\n")
    );
}

#[test]
fn a_ring_is_found_and_a_chain_is_not() {
    let module = |name: &str| vec![name.to_owned()];
    let edge = |to: &str| (module(to), vec![to.to_owned()]);
    let chain: BTreeMap<ModPath, BTreeMap<ModPath, Vec<String>>> = BTreeMap::from([
        (module("a"), BTreeMap::from([edge("b")])),
        (module("b"), BTreeMap::from([edge("c")])),
        (module("c"), BTreeMap::new()),
    ]);
    assert!(rings(&chain).is_empty(), "a -> b -> c is no ring");
    let mut ring = chain.clone();
    ring.insert(module("c"), BTreeMap::from([edge("a")]));
    assert_eq!(rings(&ring), vec![vec![module("a"), module("b"), module("c")]], "c -> a closes one");
}
