//! Evaluation of a parsed expression over the engine's [`Value`](crate::value::Value), borrowing
//! from the record wherever it can. Every node costs one operation, text
//! work costs one more per 64 bytes and list work one per item, all drawn
//! from the unit's [`Meter`]. Copying, comparing, searching or writing out a
//! list or map is charged by its size before it is done (see
//! [`super::budget::size_within`]); scalars pay only their node. Nesting is
//! bounded by the parser and checked again here.

use std::borrow::Cow;
use std::cmp::Ordering;

use crate::value::{Map, Value};

use super::budget::{size_within, Meter, TEXT_CHUNK};
use super::funcs::{self, Method};
use super::num::{self, arith, type_name, Arith};
use super::parse::{Kind, Node, Op};
use super::{is_blank, to_text, values_equal, EvalError, EvalErrorKind as K, Scope};

type R<T> = Result<T, EvalError>;

static NULL: Value = Value::Null;

/// Deepest recursion of the evaluator (the parser's limit keeps real trees
/// far below it; this is the second net).
const MAX_EVAL_DEPTH: usize = 1_000;

/// Arguments of a call held without a vector ([`Ctx::eval_args`]).
const FEW_ARGS: usize = 3;

/// A call's argument values: up to [`FEW_ARGS`] in place, or a vector.
enum Args<'v> {
    Few([Cow<'v, Value>; FEW_ARGS], usize),
    Many(Vec<Cow<'v, Value>>),
}

impl<'v> std::ops::Deref for Args<'v> {
    type Target = [Cow<'v, Value>];
    fn deref(&self) -> &Self::Target {
        match self {
            Args::Few(few, n) => &few[..*n],
            Args::Many(many) => many,
        }
    }
}

/// Below this depth a path of at most `PATH_LEAF_NODES` fields is read in
/// one go ([`Ctx::leaf`]): it cannot reach [`MAX_EVAL_DEPTH`], so the depth
/// limit trips where it would step by step.
const PATH_LEAF_DEPTH: usize = MAX_EVAL_DEPTH - PATH_LEAF_NODES as usize;
const PATH_LEAF_NODES: u64 = 100;

pub(crate) struct Ctx<'s, 'v> {
    scope: &'s Scope<'v>,
    /// Closure parameters, by slot.
    locals: Vec<Cow<'v, Value>>,
    meter: Meter,
    depth: usize,
}

impl<'s, 'v> Ctx<'s, 'v> {
    /// `v[i]`, borrowing where it can; text indexed by a whole number gives its
    /// character there (counting from the end when negative), as in rhai.
    pub(crate) fn index_cow<'x>(&mut self, v: Cow<'x, Value>, i: &Value) -> R<Cow<'x, Value>> {
        if let (Value::String(s), Value::Number(n)) = (v.as_ref(), i) {
            let Some(k) = n.as_i64() else {
                return Err(EvalError::new(K::Type, "an index must be a whole number"));
            };
            let count = s.chars().count() as i64;
            let pos = if k < 0 { count + k } else { k };
            return s
                .chars()
                .nth(pos as usize)
                .filter(|_| pos >= 0)
                .map(|c| Cow::Owned(Value::String(c.to_string())))
                .ok_or_else(|| {
                    EvalError::new(
                        K::Index,
                        format!("index {k} is out of bounds for a text of {count} characters"),
                    )
                });
        }
        Ok(match v {
            Cow::Borrowed(v) => Cow::Borrowed(index(v, i)?),
            Cow::Owned(v) => Cow::Owned(self.copy(index(&v, i)?)?),
        })
    }

    pub(crate) fn new(scope: &'s Scope<'v>) -> Self {
        Ctx {
            scope,
            locals: Vec::new(),
            meter: Meter::take(),
            depth: 0,
        }
    }

    pub(crate) fn finish(self) {
        self.meter.finish();
    }

    fn enter(&mut self) -> R<()> {
        self.meter.charge(1)?;
        self.depth += 1;
        if self.depth > MAX_EVAL_DEPTH {
            return Err(EvalError::new(
                K::Budget { limit: "depth" },
                format!("stopped at {MAX_EVAL_DEPTH} levels of nesting (the budget limit 'depth')"),
            ));
        }
        Ok(())
    }

    fn charge_text(&mut self, bytes: usize) -> R<()> {
        self.meter.charge((bytes / TEXT_CHUNK) as u64)
    }

    /// An owned value: a borrowed one is copied, and the copy is paid for
    /// by its size first.
    pub(crate) fn own(&mut self, v: Cow<'v, Value>) -> R<Value> {
        match v {
            Cow::Borrowed(b) => self.copy(b),
            Cow::Owned(o) => Ok(o),
        }
    }

    /// A copy of `v`, paid for by its size before it is made.
    fn copy(&mut self, v: &Value) -> R<Value> {
        self.meter.charge_size(v)?;
        Ok(v.clone())
    }

    /// Charge comparing `a` with `b` (`==`, `!=`, an item of `in`): lists
    /// and maps by the values compared (at most the smaller one's size),
    /// text by the bytes scanned; scalars cost nothing more.
    fn charge_compare(&mut self, a: &Value, b: &Value) -> R<()> {
        let cost = match (a, b) {
            (Value::Array(_), Value::Array(_)) | (Value::Object(_), Value::Object(_)) => {
                let cap = self.meter.remaining();
                size_within(a, cap).min(size_within(b, cap))
            }
            (Value::String(x), Value::String(y)) => (x.len().min(y.len()) / TEXT_CHUNK) as u64,
            _ => 0,
        };
        self.meter.charge(cost)
    }

    /// `needle in hay`, charged by the values of `hay` compared (or the
    /// bytes of text scanned).
    fn contains(&mut self, hay: &Value, needle: &Value) -> R<bool> {
        self.charge_search(hay)?;
        funcs::contains(hay, needle)
    }

    /// Looking through a list (its values) or text (its bytes); a map's key
    /// is one look-up, paid by the node.
    fn charge_search(&mut self, hay: &Value) -> R<()> {
        match hay {
            Value::Object(_) => Ok(()),
            _ => self.meter.charge_size(hay),
        }
    }

    fn equal(&mut self, a: &Value, b: &Value) -> R<bool> {
        self.charge_compare(a, b)?;
        Ok(values_equal(a, b))
    }

    pub(crate) fn eval(&mut self, node: &'v Node) -> R<Cow<'v, Value>> {
        // Leaves, the most common nodes, cost their one operation here;
        // they go no deeper, so the depth count can skip them.
        if let Some((v, nodes)) = self.leaf(node) {
            self.meter.charge(nodes)?;
            return Ok(Cow::Borrowed(v));
        }
        self.enter()?;
        let r = self.eval_kind(node);
        self.depth -= 1;
        r
    }

    /// A literal, a variable, a borrowed item, or a path of fields from one
    /// (`team.type`, `d.Detail_Entry_Type`) that reads objects all the way,
    /// borrowed, with the number of nodes it passed (what evaluating them
    /// one by one charges). `None` for any other node, and for a path that
    /// meets a value it cannot read a field of: the evaluator then takes
    /// it step by step and reports the error.
    fn leaf(&self, node: &'v Node) -> Option<(&'v Value, u64)> {
        match &node.kind {
            Kind::Lit(v) => Some((v, 1)),
            Kind::Var(name, hint) => Some((self.scope.get_hinted(name, hint).unwrap_or(&NULL), 1)),
            Kind::Local(slot) => match &self.locals[*slot] {
                Cow::Borrowed(v) => Some((*v, 1)),
                Cow::Owned(_) => None,
            },
            Kind::Field {
                obj,
                name,
                optional,
                hint,
            } if self.depth < PATH_LEAF_DEPTH => {
                let (v, nodes) = self.leaf(obj)?;
                let found = match v {
                    Value::Object(m) => hint.get(m, name).unwrap_or(&NULL),
                    Value::Null if *optional => &NULL,
                    _ => return None,
                };
                // A path too long for the depth left is taken step by step.
                (nodes < PATH_LEAF_NODES).then_some((found, nodes + 1))
            }
            _ => None,
        }
    }

    fn eval_kind(&mut self, node: &'v Node) -> R<Cow<'v, Value>> {
        Ok(match &node.kind {
            Kind::Lit(v) => Cow::Borrowed(v),
            Kind::Var(name, hint) => {
                Cow::Borrowed(self.scope.get_hinted(name, hint).unwrap_or(&NULL))
            }
            Kind::Local(slot) => match &self.locals[*slot] {
                Cow::Borrowed(v) => Cow::Borrowed(*v),
                Cow::Owned(v) => {
                    // A copy of an owned item or accumulator: paid by size.
                    self.meter.charge_size(v)?;
                    Cow::Owned(v.clone())
                }
            },
            Kind::Field {
                obj,
                name,
                optional,
                ..
            } => {
                if let Kind::Local(slot) = obj.kind {
                    if let Cow::Owned(v) = &self.locals[slot] {
                        // A field of an owned item: copy the field, not the item.
                        let f = field(v, name, *optional)?;
                        self.meter.charge_size(f)?;
                        return Ok(Cow::Owned(f.clone()));
                    }
                }
                match self.eval(obj)? {
                    Cow::Borrowed(v) => Cow::Borrowed(field(v, name, *optional)?),
                    Cow::Owned(Value::Object(mut m)) => {
                        Cow::Owned(m.shift_remove(name.as_str()).unwrap_or(Value::Null))
                    }
                    Cow::Owned(v) => Cow::Owned(self.copy(field(&v, name, *optional)?)?),
                }
            }
            Kind::Index(obj, idx) => {
                let i = self.eval(idx)?;
                let v = self.eval(obj)?;
                self.index_cow(v, &i)?
            }
            Kind::Not(e) => Cow::Owned(Value::Bool(!self.test(e, "the operand of '!'")?)),
            Kind::Neg(e) => {
                let v = self.eval(e)?;
                match num::num(&v) {
                    Some(n) => Cow::Owned(arith(Arith::Sub, num::Num::I(0), n?)?),
                    None => {
                        return Err(EvalError::new(
                            K::Type,
                            format!("cannot negate {}", type_name(&v)),
                        ))
                    }
                }
            }
            Kind::Chain(first, rest) => self.chain(first, rest)?,
            Kind::Call(funcs::Func::Blank, args) => {
                Cow::Owned(Value::Bool(is_blank(self.eval(&args[0])?.as_ref())))
            }
            Kind::Call(f, args) => {
                let vals = self.eval_args(args)?;
                if *f == funcs::Func::AddDays {
                    // It reads the text form of its date, whatever it is.
                    self.meter.charge_size(&vals[0])?;
                }
                Cow::Owned(with_refs(&vals, |refs| funcs::call(*f, refs))?)
            }
            Kind::External(name, args) => Cow::Owned(self.external(name, args)?),
            Kind::Method(obj, m, args) if is_plain_path(obj) && !has_closure(args) => {
                // The common case (`Item_ID.starts_with("!")`): arguments,
                // then the receiver, as rhai orders them, with no chain to gather.
                let vals = self.eval_args(args)?;
                let recv = self.eval(obj)?;
                self.call_method(*m, recv, &vals)?
            }
            Kind::Method(..) => self.method_chain(node)?,
            Kind::Closure { .. } => {
                return Err(EvalError::new(
                    K::Type,
                    "a closure can only be an argument of all, some, map, filter or reduce",
                ))
            }
            Kind::Array(items) => {
                self.meter.charge(items.len() as u64)?;
                let mut out = Vec::with_capacity(items.len());
                for n in items {
                    let v = self.eval(n)?;
                    out.push(self.own(v)?);
                }
                Cow::Owned(Value::Array(out))
            }
            Kind::Map(entries) => {
                let mut out = Map::with_capacity(entries.len());
                for (k, n) in entries {
                    let v = self.eval(n)?;
                    out.insert(k.clone(), self.own(v)?);
                }
                Cow::Owned(Value::Object(out))
            }
            Kind::If(arms, otherwise) => {
                for (cond, then) in arms {
                    if self.test(cond, "the condition of if")? {
                        return self.eval(then);
                    }
                }
                match otherwise {
                    Some(e) => self.eval(e)?,
                    None => Cow::Borrowed(&NULL),
                }
            }
        })
    }

    /// The values of a call's arguments, left to right; a call of up to
    /// [`FEW_ARGS`] (nearly every one) allocates nothing for them.
    fn eval_args(&mut self, args: &'v [Node]) -> R<Args<'v>> {
        if args.len() > FEW_ARGS {
            return Ok(Args::Many(self.eval_all(args)?));
        }
        let mut few = [const { Cow::Borrowed(&NULL) }; FEW_ARGS];
        for (slot, a) in few.iter_mut().zip(args) {
            *slot = self.eval(a)?;
        }
        Ok(Args::Few(few, args.len()))
    }

    fn eval_all(&mut self, args: &'v [Node]) -> R<Vec<Cow<'v, Value>>> {
        let mut out = Vec::with_capacity(args.len());
        for a in args {
            out.push(self.eval(a)?);
        }
        Ok(out)
    }

    fn external(&mut self, name: &str, args: &'v [Node]) -> R<Value> {
        let mut vals = Vec::with_capacity(args.len());
        for v in self.eval_all(args)? {
            vals.push(self.own(v)?);
        }
        match self.scope.calls.and_then(|c| c.call(name, &vals)) {
            Some(r) => r,
            None => Err(EvalError::new(
                K::Call,
                format!("no function {name}() here"),
            )),
        }
    }

    /// One precedence level, left to right.
    fn chain(&mut self, first: &'v Node, rest: &'v [(Op, Node)]) -> R<Cow<'v, Value>> {
        match rest[0].0 {
            Op::Or | Op::And => {
                let is_or = rest[0].0 == Op::Or;
                let what = if is_or {
                    "an operand of '||'"
                } else {
                    "an operand of '&&'"
                };
                let mut acc = self.test(first, what)?;
                for (_, n) in rest {
                    if acc == is_or {
                        break;
                    }
                    acc = self.test(n, what)?;
                }
                return Ok(Cow::Owned(Value::Bool(acc)));
            }
            Op::Coalesce => {
                let mut acc = self.eval(first)?;
                for (_, n) in rest {
                    if !acc.is_null() {
                        break;
                    }
                    acc = self.eval(n)?;
                }
                return Ok(acc);
            }
            Op::In => {
                // rhai reads `x in c` as `contains(c, x)`: the right side is
                // evaluated first, so the same error is met first.
                let mut rights = Vec::with_capacity(rest.len());
                for (_, n) in rest.iter().rev() {
                    rights.push(self.eval(n)?);
                }
                let mut acc = self.eval(first)?;
                for hay in rights.iter().rev() {
                    acc = Cow::Owned(Value::Bool(self.contains(hay, &acc)?));
                }
                return Ok(acc);
            }
            _ => {}
        }
        let mut acc = self.eval(first)?;
        for (op, n) in rest {
            let rhs = self.eval(n)?;
            acc = Cow::Owned(self.binary(*op, acc, &rhs)?);
        }
        Ok(acc)
    }

    fn binary(&mut self, op: Op, a: Cow<'v, Value>, b: &Value) -> R<Value> {
        Ok(match op {
            Op::Eq => Value::Bool(self.equal(&a, b)?),
            Op::Ne => Value::Bool(!self.equal(&a, b)?),
            Op::Lt | Op::Le | Op::Gt | Op::Ge => Value::Bool(compare(op, &a, b)?),
            Op::In => Value::Bool(self.contains(b, &a)?),
            Op::Arith(Arith::Add) => self.add(a, b)?,
            Op::Arith(op) => arithmetic(op, &a, b)?,
            Op::Or | Op::And | Op::Coalesce => unreachable_op(op)?,
        })
    }

    /// `+`: text joins (the other side as text), arrays join, numbers add.
    fn add(&mut self, a: Cow<'v, Value>, b: &Value) -> R<Value> {
        match (a, b) {
            // The text form of a list or map is paid by its size before it
            // is written; the text built, by its bytes.
            (Cow::Owned(Value::String(mut x)), _) => {
                self.charge_text_form(b)?;
                self.charge_text(x.len() + text_len(b))?;
                x.push_str(&to_text(b));
                Ok(Value::String(x))
            }
            (a, _) if a.is_string() || b.is_string() => {
                self.charge_text_form(&a)?;
                self.charge_text_form(b)?;
                self.charge_text(text_len(&a) + text_len(b))?;
                let s = format!("{}{}", to_text(&a), to_text(b));
                Ok(Value::String(s))
            }
            (a, Value::Array(y)) if a.is_array() => {
                // Both sides are copied in (the left only when borrowed).
                self.meter.charge(y.len() as u64)?;
                self.meter.charge_size(b)?;
                let mut x = match self.own(a)? {
                    Value::Array(x) => x,
                    _ => Vec::new(),
                };
                x.extend(y.iter().cloned());
                Ok(Value::Array(x))
            }
            (a, b) => arithmetic(Arith::Add, &a, b),
        }
    }

    /// Charge writing out the text form of a list or map (by its size).
    fn charge_text_form(&mut self, v: &Value) -> R<()> {
        if v.is_array() || v.is_object() {
            self.meter.charge_size(v)?;
        }
        Ok(())
    }

    /// Evaluate a condition straight to a bool.
    pub(crate) fn test(&mut self, node: &'v Node, what: &str) -> R<bool> {
        self.enter()?;
        let r = self.test_kind(node, what);
        self.depth -= 1;
        r
    }

    fn test_kind(&mut self, node: &'v Node, what: &str) -> R<bool> {
        match &node.kind {
            Kind::Lit(Value::Bool(b)) => Ok(*b),
            Kind::Not(e) => Ok(!self.test(e, "the operand of '!'")?),
            Kind::Chain(first, rest) if matches!(rest[0].0, Op::Or | Op::And) => {
                match self.chain(first, rest)?.as_ref() {
                    Value::Bool(b) => Ok(*b),
                    _ => Ok(false),
                }
            }
            Kind::Chain(first, rest) if rest.len() == 1 => {
                let (op, r) = (&rest[0].0, &rest[0].1);
                match op {
                    Op::Eq | Op::Ne => {
                        // `Field == "M"`: two leaves, compared where they lie.
                        if let (Some((a, m)), Some((b, n))) = (self.leaf(first), self.leaf(r)) {
                            self.meter.charge(m + n)?;
                            return Ok(self.equal(a, b)? == (*op == Op::Eq));
                        }
                        let a = self.eval(first)?;
                        let b = self.eval(r)?;
                        Ok(self.equal(&a, &b)? == (*op == Op::Eq))
                    }
                    Op::Lt | Op::Le | Op::Gt | Op::Ge => {
                        let a = self.eval(first)?;
                        let b = self.eval(r)?;
                        compare(*op, &a, &b)
                    }
                    _ => truth(self.eval_kind(node)?.as_ref(), what),
                }
            }
            Kind::Call(funcs::Func::Blank, args) => Ok(is_blank(self.eval(&args[0])?.as_ref())),
            _ => truth(self.eval_kind(node)?.as_ref(), what),
        }
    }

    /// A chain with a method call, `root.a[i].m(x).n(y)`, in rhai's order:
    /// every index and argument of the chain left to right, then the root,
    /// then the steps (so the same error is met first in both).
    fn method_chain(&mut self, node: &'v Node) -> R<Cow<'v, Value>> {
        if let Some(done) = self.one_method(node) {
            return done;
        }
        let mut steps: Vec<&'v Node> = Vec::new();
        let mut root = node;
        while let Kind::Method(obj, ..) | Kind::Index(obj, _) | Kind::Field { obj, .. } = &root.kind
        {
            steps.push(root);
            root = obj;
        }
        steps.reverse();
        let mut pre: Vec<Vec<Cow<'v, Value>>> = Vec::with_capacity(steps.len());
        for step in &steps {
            pre.push(match &step.kind {
                Kind::Index(_, idx) => vec![self.eval(idx)?],
                Kind::Method(_, _, args) => {
                    let plain = args
                        .iter()
                        .filter(|a| !matches!(a.kind, Kind::Closure { .. }));
                    let mut vals = Vec::new();
                    for a in plain {
                        vals.push(self.eval(a)?);
                    }
                    vals
                }
                _ => Vec::new(),
            });
        }
        let mut cur = self.eval(root)?;
        let mut steps = steps.into_iter().zip(pre).peekable();
        while let Some((step, mut vals)) = steps.next() {
            self.meter.charge(1)?;
            cur = match &step.kind {
                Kind::Field { name, optional, .. } => match cur {
                    Cow::Borrowed(v) => Cow::Borrowed(field(v, name, *optional)?),
                    Cow::Owned(v) => Cow::Owned(self.copy(field(&v, name, *optional)?)?),
                },
                Kind::Index(..) => self.index_cow(cur, &vals[0])?,
                Kind::Method(_, m, args) => match closure_of(args) {
                    Some((base, body)) => {
                        let next = steps.peek().and_then(|(n, _)| closure_step(n));
                        match (m, cur, next) {
                            // `list.filter(..).map(..)`: the items kept stay
                            // borrowed for the next closure, not copied.
                            (Method::Filter, Cow::Borrowed(Value::Array(list)), Some(_)) => {
                                let kept = self.filter_refs(list, base, body)?;
                                let (_, mut next_vals) = steps.next().expect("peeked");
                                self.meter.charge(1)?;
                                let (nm, (nbase, nbody)) = next.expect("peeked");
                                let items = kept.into_iter().map(Cow::Borrowed);
                                self.closure_over(nm, items, nbase, nbody, next_vals.pop())?
                            }
                            (_, cur, _) => self.closure_method(*m, cur, base, body, vals.pop())?,
                        }
                    }
                    None => self.call_method(*m, cur, &vals)?,
                },
                _ => cur,
            };
        }
        Ok(cur)
    }

    /// `root.m(x, y)`, one method of at most two arguments and no closure
    /// on a root that is no chain itself (`Item_ID.len()`,
    /// `code.starts_with("!")`): what [`Ctx::method_chain`] does, in its
    /// order (arguments, root, then the call, charged alike), without
    /// gathering the chain into vectors. None for any other node.
    fn one_method(&mut self, node: &'v Node) -> Option<R<Cow<'v, Value>>> {
        let Kind::Method(obj, m, args) = &node.kind else {
            return None;
        };
        let chained = matches!(
            obj.kind,
            Kind::Method(..) | Kind::Index(..) | Kind::Field { .. }
        );
        if chained || args.len() > 2 || closure_of(args).is_some() {
            return None;
        }
        Some((|| {
            let mut vals = [Cow::Borrowed(&NULL), Cow::Borrowed(&NULL)];
            for (slot, a) in vals.iter_mut().zip(args) {
                *slot = self.eval(a)?;
            }
            let recv = self.eval(obj)?;
            self.meter.charge(1)?;
            self.call_method(*m, recv, &vals[..args.len()])
        })())
    }

    /// The items of `list` that `body` keeps, borrowed (charged as
    /// `filter()` charges, less the copies it does not make).
    fn filter_refs(&mut self, list: &'v [Value], base: usize, body: &'v Node) -> R<Vec<&'v Value>> {
        debug_assert_eq!(base, self.locals.len());
        let mut kept = Vec::new();
        for item in list {
            self.meter.charge(1)?;
            self.locals.push(Cow::Borrowed(item));
            let keep = self.test(body, "the closure of filter()");
            self.locals.pop();
            if keep? {
                kept.push(item);
            }
        }
        Ok(kept)
    }

    fn call_method(
        &mut self,
        m: Method,
        recv: Cow<'v, Value>,
        vals: &[Cow<'v, Value>],
    ) -> R<Cow<'v, Value>> {
        self.charge_method(m, &recv, vals)?;
        let out = with_refs(vals, |refs| funcs::call_method(m, &recv, refs))?;
        match &out {
            Value::String(s) => self.charge_text(s.len())?,
            Value::Array(a) => self.meter.charge(a.len() as u64)?,
            _ => {}
        }
        Ok(Cow::Owned(out))
    }

    /// Charge a method before it runs: the methods that walk or write out
    /// every value of a list or map by its size (and `join` by the bytes it
    /// will build, so a huge join trips before it is built); the others by
    /// the items or text of the receiver.
    fn charge_method(&mut self, m: Method, recv: &Value, vals: &[Cow<'v, Value>]) -> R<()> {
        match (m, recv) {
            (Method::Contains, _) => self.charge_search(recv),
            (Method::ToString | Method::Distinct, _) => self.meter.charge_size(recv),
            (Method::Join | Method::JoinNonblank, Value::Array(items)) => {
                self.meter.charge_size(recv)?;
                let sep = vals.first().map_or(0, |s| text_len(s));
                let seps = items.len().saturating_sub(1).saturating_mul(sep);
                self.charge_text(seps)
            }
            (_, Value::String(s)) => self.charge_text(s.len()),
            (_, Value::Array(a)) => self.meter.charge(a.len() as u64),
            (_, Value::Object(o)) => self.meter.charge(o.len() as u64),
            _ => Ok(()),
        }
    }

    fn closure_method(
        &mut self,
        m: Method,
        recv: Cow<'v, Value>,
        base: usize,
        body: &'v Node,
        init: Option<Cow<'v, Value>>,
    ) -> R<Cow<'v, Value>> {
        let items: Box<dyn Iterator<Item = Cow<'v, Value>>> = match recv {
            Cow::Borrowed(Value::Array(a)) => Box::new(a.iter().map(Cow::Borrowed)),
            Cow::Owned(Value::Array(a)) => Box::new(a.into_iter().map(Cow::Owned)),
            other => {
                return Err(EvalError::new(
                    K::Type,
                    format!(
                        "{} has no method {}(closure): it takes an array",
                        type_name(&other),
                        method_name(m)
                    ),
                ))
            }
        };
        self.closure_over(m, items, base, body, init)
    }

    /// A closure method over `items`.
    fn closure_over(
        &mut self,
        m: Method,
        items: impl Iterator<Item = Cow<'v, Value>>,
        base: usize,
        body: &'v Node,
        init: Option<Cow<'v, Value>>,
    ) -> R<Cow<'v, Value>> {
        // Closures nest as the source does, so a closure's slots start
        // where the enclosing closures' end.
        debug_assert_eq!(base, self.locals.len());
        match m {
            Method::All | Method::Some => {
                let want_all = m == Method::All;
                for item in items {
                    self.meter.charge(1)?;
                    self.locals.push(item);
                    let hit = self.test(body, "the closure of all() or some()");
                    self.locals.pop();
                    if hit? != want_all {
                        return Ok(Cow::Owned(Value::Bool(!want_all)));
                    }
                }
                Ok(Cow::Owned(Value::Bool(want_all)))
            }
            Method::Map => {
                let mut out = Vec::new();
                for item in items {
                    self.meter.charge(1)?;
                    self.locals.push(item);
                    let v = self.eval(body);
                    self.locals.pop();
                    let v = v?;
                    out.push(self.own(v)?);
                }
                Ok(Cow::Owned(Value::Array(out)))
            }
            Method::Filter => {
                let mut out = Vec::new();
                for item in items {
                    self.meter.charge(1)?;
                    self.locals.push(item);
                    let keep = self.test(body, "the closure of filter()");
                    let item = self.locals.pop();
                    if let (true, Some(item)) = (keep?, item) {
                        out.push(self.own(item)?);
                    }
                }
                Ok(Cow::Owned(Value::Array(out)))
            }
            _ => {
                let mut acc = init.unwrap_or(Cow::Borrowed(&NULL));
                for item in items {
                    self.meter.charge(1)?;
                    self.locals.push(acc);
                    self.locals.push(item);
                    let v = self.eval(body);
                    self.locals.truncate(base);
                    acc = v?;
                }
                Ok(acc)
            }
        }
    }
}

/// `f` over the values of `vals`, borrowed: up to [`FEW_ARGS`] (nearly
/// every call) with no vector for them.
fn with_refs<T>(vals: &[Cow<'_, Value>], f: impl FnOnce(&[&Value]) -> T) -> T {
    if vals.len() > FEW_ARGS {
        let many: Vec<&Value> = vals.iter().map(|c| c.as_ref()).collect();
        return f(&many);
    }
    let mut few = [&NULL; FEW_ARGS];
    for (slot, v) in few.iter_mut().zip(vals) {
        *slot = v.as_ref();
    }
    f(&few[..vals.len()])
}

/// Bytes of a value's text form when it is text (the others are paid by
/// [`Ctx::charge_text_form`] or are short).
fn text_len(v: &Value) -> usize {
    match v {
        Value::String(s) => s.len(),
        _ => 0,
    }
}

/// A name followed only by field steps: evaluating it cannot fail in a way
/// that the order of evaluation would change.
fn is_plain_path(node: &Node) -> bool {
    match &node.kind {
        Kind::Var(..) | Kind::Local(_) | Kind::Lit(_) => true,
        Kind::Field { obj, .. } => is_plain_path(obj),
        _ => false,
    }
}

/// The slot base and body of a closure argument, if the first argument is one.
fn closure_of(args: &[Node]) -> Option<(usize, &Node)> {
    match args.first().map(|a| &a.kind) {
        Some(Kind::Closure { base, body, .. }) => Some((*base, body)),
        _ => None,
    }
}

/// A chain step that is a method taking a closure: the method and its closure.
fn closure_step<'n>(step: &&'n Node) -> Option<(Method, (usize, &'n Node))> {
    match &step.kind {
        Kind::Method(_, m, args) => closure_of(args).map(|c| (*m, c)),
        _ => None,
    }
}

fn has_closure(args: &[Node]) -> bool {
    args.iter().any(|a| matches!(a.kind, Kind::Closure { .. }))
}

fn method_name(m: Method) -> &'static str {
    funcs::METHODS
        .iter()
        .find(|s| s.id == m)
        .map(|s| s.name)
        .unwrap_or("?")
}

fn unreachable_op(op: Op) -> R<Value> {
    Err(EvalError::new(
        K::Type,
        format!("{op:?} is not a value operator"),
    ))
}

fn arithmetic(op: Arith, a: &Value, b: &Value) -> R<Value> {
    if let Some(v) = num::fast_arith(op, a, b) {
        return Ok(v);
    }
    match (num::num(a), num::num(b)) {
        (Some(x), Some(y)) => arith(op, x?, y?),
        _ => Err(EvalError::new(
            K::Type,
            format!(
                "cannot apply '{}' to {} and {}",
                op.symbol(),
                type_name(a),
                type_name(b)
            ),
        )),
    }
}

/// `<`, `<=`, `>`, `>=`: numbers with numbers, text with text (by code
/// point); anything else is a type error.
fn compare(op: Op, a: &Value, b: &Value) -> R<bool> {
    let ord = match (a, b) {
        (Value::Number(_), Value::Number(_)) => match num::cmp_values(a, b) {
            Some(o) => o?,
            None => Ordering::Equal,
        },
        (Value::String(x), Value::String(y)) => x.cmp(y),
        _ => {
            return Err(EvalError::new(
                K::Type,
                format!(
                    "cannot compare {} with {} using '{}'",
                    type_name(a),
                    type_name(b),
                    match op {
                        Op::Lt => "<",
                        Op::Le => "<=",
                        Op::Gt => ">",
                        _ => ">=",
                    }
                ),
            ))
        }
    };
    Ok(match op {
        Op::Lt => ord.is_lt(),
        Op::Le => ord.is_le(),
        Op::Gt => ord.is_gt(),
        _ => ord.is_ge(),
    })
}

fn truth(v: &Value, what: &str) -> R<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        other => Err(EvalError::new(
            K::Type,
            format!("{what} must be true or false, found {}", type_name(other)),
        )),
    }
}

fn field<'x>(v: &'x Value, name: &str, optional: bool) -> R<&'x Value> {
    match v {
        Value::Object(m) => Ok(super::get(m, name).unwrap_or(&NULL)),
        Value::Null if optional => Ok(&NULL),
        Value::Null => Err(EvalError::new(
            K::MissingField,
            format!("cannot read '{name}' of () (the value is missing; `?.` reads () instead)"),
        )),
        other => Err(EvalError::new(
            K::Type,
            format!("cannot read '{name}' of {}", type_name(other)),
        )),
    }
}

fn index<'x>(v: &'x Value, i: &Value) -> R<&'x Value> {
    match (v, i) {
        (Value::Array(a), Value::Number(n)) => {
            let Some(k) = n.as_i64() else {
                return Err(EvalError::new(K::Type, "an index must be a whole number"));
            };
            let pos = if k < 0 { a.len() as i64 + k } else { k };
            a.get(pos as usize).filter(|_| pos >= 0).ok_or_else(|| {
                EvalError::new(
                    K::Index,
                    format!("index {k} is out of bounds for an array of {}", a.len()),
                )
            })
        }
        (Value::Object(m), Value::String(k)) => Ok(m.get(k).unwrap_or(&NULL)),
        (other, i) => Err(EvalError::new(
            K::Type,
            format!("cannot index {} with {}", type_name(other), type_name(i)),
        )),
    }
}
