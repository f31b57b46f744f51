//! Static types of jq values, derived from the Opsgenie object schemas (`mappings/sources/`).
//!
//! A [`Ty`] is either unknown ([`Ty::Any`]) or a set of JSON kinds with, for arrays, an element
//! type and, for objects, the schema's fields. Object fields are converted lazily, so recursive
//! schemas (incident → service → incident) cost nothing until a mapping walks them.

use crate::inputs::schema::{Additional, Schema};
use std::collections::BTreeMap;

/// Deepest array nesting a type keeps; deeper element types are unknown. `[[[…]]]` built by a
/// long pipe (`[.] | [.] | …`) would otherwise make types as deep as the program is long, and
/// every operation on them recursive.
pub const MAX_TYPE_DEPTH: usize = 16;

/// JSON kinds as bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Kinds(pub u8);

impl Kinds {
    pub const NULL: Kinds = Kinds(1);
    pub const BOOL: Kinds = Kinds(2);
    pub const NUMBER: Kinds = Kinds(4);
    pub const STRING: Kinds = Kinds(8);
    pub const ARRAY: Kinds = Kinds(16);
    pub const OBJECT: Kinds = Kinds(32);
    pub const NONE: Kinds = Kinds(0);

    pub fn has(self, k: Kinds) -> bool {
        self.0 & k.0 != 0
    }
    pub fn union(self, k: Kinds) -> Kinds {
        Kinds(self.0 | k.0)
    }
    pub fn minus(self, k: Kinds) -> Kinds {
        Kinds(self.0 & !k.0)
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// `string`, `number or null`, … for messages.
    pub fn describe(self) -> String {
        let names = [
            (Kinds::STRING, "string"),
            (Kinds::NUMBER, "number"),
            (Kinds::BOOL, "boolean"),
            (Kinds::ARRAY, "array"),
            (Kinds::OBJECT, "object"),
            (Kinds::NULL, "null"),
        ];
        let parts: Vec<&str> = names
            .iter()
            .filter(|(k, _)| self.has(*k))
            .map(|(_, n)| *n)
            .collect();
        match parts.len() {
            0 => "no value".into(),
            1 => parts[0].into(),
            _ => {
                let (last, rest) = parts.split_last().expect("non-empty");
                format!("{} or {last}", rest.join(", "))
            }
        }
    }
}

/// The named schemas of one mapping directory, for `$ref` resolution.
pub struct Schemas<'a> {
    pub by_kind: &'a BTreeMap<String, Schema>,
}

impl<'a> Schemas<'a> {
    /// Follows `$ref`s (bounded, in case of a ref cycle).
    pub fn resolve(&self, mut s: &'a Schema) -> Option<&'a Schema> {
        for _ in 0..16 {
            match s {
                Schema::Ref(kind) => s = self.by_kind.get(kind)?,
                other => return Some(other),
            }
        }
        None
    }

    pub fn ty(&self, s: &'a Schema) -> Ty<'a> {
        let Some(s) = self.resolve(s) else {
            return Ty::Any;
        };
        match s {
            Schema::Any | Schema::Ref(_) => Ty::Any,
            Schema::Typed {
                types,
                properties,
                additional,
                items,
                enum_values,
                ..
            } => {
                let mut kinds = Kinds::NONE;
                if types.null {
                    kinds = kinds.union(Kinds::NULL);
                }
                if types.boolean {
                    kinds = kinds.union(Kinds::BOOL);
                }
                if types.number || types.integer {
                    kinds = kinds.union(Kinds::NUMBER);
                }
                if types.string {
                    kinds = kinds.union(Kinds::STRING);
                }
                if types.array {
                    kinds = kinds.union(Kinds::ARRAY);
                }
                if types.object {
                    kinds = kinds.union(Kinds::OBJECT);
                }
                if kinds.is_empty() {
                    return Ty::Any;
                }
                let elem = types
                    .array
                    .then(|| Box::new(bounded(items.as_deref().map_or(Ty::Any, |i| self.ty(i)))));
                let object = types.object.then(|| ObjTy {
                    props: properties.as_slice(),
                    additional: Some(additional),
                    extra: Vec::new(),
                });
                Ty::Known(Known {
                    kinds,
                    elem,
                    object,
                    enum_values: enum_values.clone(),
                })
            }
        }
    }
}

#[derive(Clone, Debug)]
pub enum Ty<'a> {
    /// Nothing is known (untyped sources, computed values).
    Any,
    Known(Known<'a>),
}

#[derive(Clone, Debug)]
pub struct Known<'a> {
    pub kinds: Kinds,
    /// Element type when `kinds` has ARRAY.
    pub elem: Option<Box<Ty<'a>>>,
    /// Fields when `kinds` has OBJECT and they are known.
    pub object: Option<ObjTy<'a>>,
    /// Allowed values when the schema lists them.
    pub enum_values: Option<Vec<serde_json::Value>>,
}

/// An object type: a schema's properties, what other keys may hold, and fields added by the
/// runtime (`item` for `itemsToParse`).
#[derive(Clone, Debug)]
pub struct ObjTy<'a> {
    pub props: &'a [(String, Schema)],
    /// `None`: any other key allowed with any value (e.g. an object built by the mapping).
    pub additional: Option<&'a Additional>,
    pub extra: Vec<(String, Ty<'a>)>,
}

/// `ty`, or `Any` if its element types nest [`MAX_TYPE_DEPTH`] deep (walks at most that far).
fn bounded(ty: Ty<'_>) -> Ty<'_> {
    let mut cur = &ty;
    for _ in 0..MAX_TYPE_DEPTH {
        match cur {
            Ty::Known(Known {
                elem: Some(elem), ..
            }) => cur = elem,
            _ => return ty,
        }
    }
    Ty::Any
}

/// The result of looking up a field in a type.
pub enum Field<'a> {
    Found(Ty<'a>),
    /// The object type forbids this key; the candidates are its known keys.
    Missing(Vec<String>),
    /// Indexing this kind fails at run time (e.g. `.x` on a string).
    NotObject(Kinds),
}

impl<'a> Ty<'a> {
    pub fn of_kinds(kinds: Kinds) -> Ty<'a> {
        Ty::Known(Known {
            kinds,
            elem: (kinds.has(Kinds::ARRAY)).then(|| Box::new(Ty::Any)),
            object: None,
            enum_values: None,
        })
    }

    pub fn null() -> Ty<'a> {
        Ty::of_kinds(Kinds::NULL)
    }

    pub fn never() -> Ty<'a> {
        Ty::of_kinds(Kinds::NONE)
    }

    pub fn array_of(elem: Ty<'a>) -> Ty<'a> {
        Ty::Known(Known {
            kinds: Kinds::ARRAY,
            elem: Some(Box::new(bounded(elem))),
            object: None,
            enum_values: None,
        })
    }

    /// The kinds this type may have, `None` when unknown.
    pub fn kinds(&self) -> Option<Kinds> {
        match self {
            Ty::Any => None,
            Ty::Known(k) => Some(k.kinds),
        }
    }

    pub fn union(self, other: Ty<'a>) -> Ty<'a> {
        match (self, other) {
            (Ty::Any, _) | (_, Ty::Any) => Ty::Any,
            (Ty::Known(a), Ty::Known(b)) => {
                if a.kinds.is_empty() {
                    return Ty::Known(b);
                }
                if b.kinds.is_empty() {
                    return Ty::Known(a);
                }
                let elem = match (a.elem, b.elem) {
                    (Some(x), Some(y)) => Some(Box::new(x.union(*y))),
                    (x, y) => x.or(y),
                };
                // Two different object shapes: keep fields only if it is the same schema.
                let object = match (a.object, b.object) {
                    (Some(x), Some(y)) if std::ptr::eq(x.props, y.props) => Some(x),
                    (Some(x), None) if !b.kinds.has(Kinds::OBJECT) => Some(x),
                    (None, Some(y)) if !a.kinds.has(Kinds::OBJECT) => Some(y),
                    _ => None,
                };
                Ty::Known(Known {
                    kinds: a.kinds.union(b.kinds),
                    elem,
                    object,
                    enum_values: None,
                })
            }
        }
    }

    /// The same type without `null` (and without `false` if `drop_false`), for `//`.
    pub fn without_null(self) -> Ty<'a> {
        match self {
            Ty::Any => Ty::Any,
            Ty::Known(mut k) => {
                k.kinds = k.kinds.minus(Kinds::NULL);
                Ty::Known(k)
            }
        }
    }

    /// Looks up `.name`; `null` input gives `null`.
    pub fn field(&self, schemas: &Schemas<'a>, name: &str) -> Field<'a> {
        let Ty::Known(k) = self else {
            return Field::Found(Ty::Any);
        };
        let non_object = k.kinds.minus(Kinds::OBJECT).minus(Kinds::NULL);
        if !k.kinds.has(Kinds::OBJECT) {
            return if non_object.is_empty() {
                Field::Found(Ty::null())
            } else {
                Field::NotObject(non_object)
            };
        }
        let Some(obj) = &k.object else {
            return Field::Found(Ty::Any);
        };
        let mut found = obj
            .extra
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.clone())
            .or_else(|| {
                obj.props
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, s)| schemas.ty(s))
            });
        if found.is_none() {
            found = match obj.additional {
                None | Some(Additional::Any) => Some(Ty::Any),
                Some(Additional::Schema(s)) => Some(schemas.ty(s)),
                Some(Additional::Forbidden) => None,
            };
        }
        match found {
            // A present field may still be absent at run time: jq gives null.
            Some(t) => Field::Found(t.union(Ty::null())),
            None => Field::Missing(
                obj.props
                    .iter()
                    .map(|(n, _)| n.clone())
                    .chain(obj.extra.iter().map(|(n, _)| n.clone()))
                    .collect(),
            ),
        }
    }

    /// The type of `.[]` outputs.
    pub fn element(&self) -> Ty<'a> {
        match self {
            Ty::Any => Ty::Any,
            Ty::Known(k) => {
                let mut t = Ty::never();
                if k.kinds.has(Kinds::ARRAY) {
                    t = t.union(k.elem.as_deref().cloned().unwrap_or(Ty::Any));
                }
                if k.kinds.has(Kinds::OBJECT) {
                    t = t.union(Ty::Any);
                }
                t
            }
        }
    }
}
