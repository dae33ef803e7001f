// strict.js — unknown fields: every key of a manifest that the kind's
// OpenAPI schema does not define, as an API server's strict field
// validation (kubectl's default since 1.27) would refuse it.
//
// kubernetes-models ships its schemas compiled into ajv validator code,
// not as JSON, and the compiled code does not check additionalProperties
// (so typos pass). Rather than re-deriving the schemas, the very same
// validator is run over a Proxy of the document that records what it
// touches: the validator of an object schema reads each property the
// schema defines ($refs resolved, as the compiled code calls the
// referenced validators), a map schema (labels, annotations, ConfigMap
// data: additionalProperties) enumerates the keys, and a free-form one
// (x-kubernetes-preserve-unknown-fields, RawExtension) touches nothing.
// A key the validator neither read nor enumerated is unknown. (The
// schemas' only oneOf branches, int-or-string and quantity, are scalars,
// so no object property goes unread because another branch passed; and
// this runs only on documents the schema passed, so every property is
// visited.)
"use strict";

function newNode() {
  return { read: new Set(), listed: false, kids: new Map() };
}

// A Proxy of VALUE that records into NODE what is read of it; objects
// read through it come back tracked too, each under its own node.
function track(value, node) {
  return new Proxy(value, {
    get(t, k, r) {
      const v = Reflect.get(t, k, r);
      if (typeof k !== "string") return v;
      node.read.add(k);
      if (!v || typeof v !== "object" || !Object.prototype.hasOwnProperty.call(t, k))
        return v;
      let kid = node.kids.get(k);
      if (!kid) {
        kid = newNode();
        kid.proxy = track(v, kid);
        node.kids.set(k, kid);
      }
      return kid.proxy;
    },
    has(t, k) {
      if (typeof k === "string") node.read.add(k);
      return Reflect.has(t, k);
    },
    ownKeys(t) {
      node.listed = true;
      return Reflect.ownKeys(t);
    },
  });
}

// Edit distance of A and B, for the "did you mean" hint.
function distance(a, b) {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1,
                        prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

// The defined key KEY was most likely meant as, or null.
function suggest(key, defined) {
  const lower = key.toLowerCase();
  let best = null, bestD = 3;
  for (const d of defined) {
    if (d.toLowerCase() === lower) return d;
    const n = distance(lower, d.toLowerCase());
    if (n < bestD) (best = d), (bestD = n);
  }
  return best;
}

function join(path, key, isArray) {
  if (isArray) return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

// Unknown keys under VALUE as recorded in NODE, appended to OUT.
function collect(value, node, path, out) {
  const isArray = Array.isArray(value);
  if (!isArray && !node.listed) {
    // Nothing read at all: a free-form object the schema keeps as is.
    if (node.read.size === 0) return;
    for (const k of Object.keys(value))
      if (!node.read.has(k)) {
        const hint = suggest(k, [...node.read].filter((d) => !(d in value)));
        out.push(`${join(path, k, false)}: unknown field` +
                 (hint ? ` (did you mean ${hint}?)` : ""));
      }
  }
  for (const [k, kid] of node.kids)
    collect(value[k], kid, join(path, k, isArray), out);
}

// The unknown fields of DOC (a plain object from YAML) by VALIDATE, the
// model's validate method (it throws on schema errors, which the caller
// has reported already).
function unknownFields(validate, doc) {
  const root = newNode();
  try {
    validate.call(track(doc, root));
  } catch (e) {
    /* schema errors: reported by the caller's own validation */
  }
  const out = [];
  collect(doc, root, "", out);
  return out;
}

module.exports = { unknownFields };
