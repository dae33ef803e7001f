#!/usr/bin/env node
// validate.js FILE.yaml... — every YAML document of every file checked
// offline against the Kubernetes API's OpenAPI schemas (kubernetes-models),
// then strictly (no field the schema does not define: strict.js), plus
// what the API server checks beyond them that these manifests rely on.
// One line per document; exit status 1 when any is wrong.
//
// validate.js --configmap-data FILE DIR — writes each ConfigMap's data keys
// of FILE into DIR, as a ConfigMap volume shows them (the tests mount it).
"use strict";
const fs = require("fs");
const path = require("path");
const yaml = require("js-yaml");
const { unknownFields } = require("./strict.js");

// The model class of an apiVersion and kind, or null.
function modelOf(apiVersion, kind) {
  if (!/^([a-z0-9.-]+\/)?v[0-9]+((alpha|beta)[0-9]+)?$/.test(apiVersion))
    return null;
  try {
    return require(`kubernetes-models/${apiVersion}`)[kind] || null;
  } catch (e) {
    return null;
  }
}

// Errors the schemas do not catch but an API server would.
function extraChecks(doc) {
  const errs = [];
  const name = doc.metadata && doc.metadata.name;
  if (!name) errs.push("metadata.name is required");
  else if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253)
    errs.push(`metadata.name "${name}" is not a DNS subdomain`);
  const spec = doc.spec || {};
  if (["DaemonSet", "Deployment", "StatefulSet"].includes(doc.kind)) {
    const want = (spec.selector && spec.selector.matchLabels) || {};
    const have = (spec.template && spec.template.metadata &&
                  spec.template.metadata.labels) || {};
    for (const [k, v] of Object.entries(want))
      if (have[k] !== v)
        errs.push(`selector label ${k}=${v} is not on the pod template`);
    const pod = (spec.template && spec.template.spec) || {};
    const vols = new Set((pod.volumes || []).map((v) => v.name));
    for (const c of pod.containers || [])
      for (const m of c.volumeMounts || [])
        if (!vols.has(m.name))
          errs.push(`container ${c.name} mounts volume "${m.name}", which is not declared`);
  }
  if (doc.kind === "ConfigMap")
    for (const k of Object.keys(doc.data || {}))
      if (!/^[-._a-zA-Z0-9]+$/.test(k) || k.length > 253)
        errs.push(`ConfigMap key "${k}" is not a valid key`);
  return errs;
}

function validateFile(file) {
  let docs, bad = 0;
  try {
    docs = yaml.loadAll(fs.readFileSync(file, "utf8"));
  } catch (e) {
    console.log(`${file}: not YAML: ${e.message.split("\n")[0]}`);
    return 1;
  }
  docs.forEach((doc, i) => {
    if (doc === null || doc === undefined) return;
    const where = `${file}#${i + 1}`;
    if (typeof doc !== "object" || !doc.apiVersion || !doc.kind) {
      console.log(`${where}: no apiVersion and kind`);
      bad++;
      return;
    }
    const what = `${doc.kind} ${(doc.metadata && doc.metadata.name) || "?"}`;
    const Model = modelOf(doc.apiVersion, doc.kind);
    if (!Model) {
      console.log(`${where} ${what}: unknown kind ${doc.kind} in ${doc.apiVersion}`);
      bad++;
      return;
    }
    const errs = [];
    try {
      new Model(doc).validate();
    } catch (e) {
      errs.push(e.message);
    }
    if (!errs.length) errs.push(...unknownFields(Model.prototype.validate, doc));
    errs.push(...extraChecks(doc));
    if (errs.length) {
      console.log(`${where} ${what}: ${errs.join("; ")}`);
      bad++;
    } else console.log(`${where} ${what}: valid`);
  });
  return bad;
}

function writeConfigMapData(file, dir) {
  for (const doc of yaml.loadAll(fs.readFileSync(file, "utf8")))
    if (doc && doc.kind === "ConfigMap")
      for (const [k, v] of Object.entries(doc.data || {}))
        fs.writeFileSync(path.join(dir, k), v);
}

const args = process.argv.slice(2);
if (args[0] === "--configmap-data" && args.length === 3) {
  writeConfigMapData(args[1], args[2]);
  process.exit(0);
}
if (!args.length || args[0].startsWith("-")) {
  console.error("usage: validate.js FILE.yaml... | --configmap-data FILE DIR");
  process.exit(2);
}
let bad = 0;
for (const f of args) bad += validateFile(f);
process.exit(bad ? 1 : 0);
