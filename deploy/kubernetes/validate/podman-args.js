#!/usr/bin/env node
// podman-args.js DAEMONSET.yaml CONFIGMAP_DIR POD_IP [SECRETS_DIR] — the
// podman run options (one a line) that give the DaemonSet's first
// container what a kubelet would: its user, capabilities, seccomp profile,
// read-only root, host PID and network, hostPath mounts, emptyDirs (as
// tmpfs), the ConfigMap volume (from CONFIGMAP_DIR), Secret volumes (each
// from SECRETS_DIR/SECRET_NAME), its environment with spec.nodeName
// and status.podIP filled in, then the image's place (the line IMAGE) and
// its args with $(VAR) expanded. Lets the tests run the manifest's
// container as the manifest says, without a cluster.
"use strict";
const fs = require("fs");
const os = require("os");
const yaml = require("js-yaml");

const [file, cmDir, podIP, secretsDir] = process.argv.slice(2);
if (!podIP) {
  console.error("usage: podman-args.js DAEMONSET.yaml CONFIGMAP_DIR POD_IP [SECRETS_DIR]");
  process.exit(2);
}
const ds = yaml.loadAll(fs.readFileSync(file, "utf8")).find((d) => d && d.kind === "DaemonSet");
const pod = ds.spec.template.spec;
const c = pod.containers[0];
const sc = c.securityContext || {};
const out = [];

if (sc.runAsUser !== undefined)
  out.push(`--user=${sc.runAsUser}:${sc.runAsGroup !== undefined ? sc.runAsGroup : sc.runAsUser}`);
if (sc.privileged) out.push("--privileged");
const caps = sc.capabilities || {};
for (const d of caps.drop || []) out.push(`--cap-drop=${d.toLowerCase()}`);
for (const a of caps.add || []) out.push(`--cap-add=${a.toLowerCase()}`);
if (sc.seccompProfile && sc.seccompProfile.type === "Unconfined")
  out.push("--security-opt=seccomp=unconfined");
if (sc.allowPrivilegeEscalation === false) out.push("--security-opt=no-new-privileges");
if (sc.readOnlyRootFilesystem) out.push("--read-only");
if (pod.hostPID) out.push("--pid=host");
if (pod.hostNetwork) out.push("--network=host");

const vols = Object.fromEntries((pod.volumes || []).map((v) => [v.name, v]));
for (const m of c.volumeMounts || []) {
  const v = vols[m.name];
  const ro = m.readOnly ? ":ro" : "";
  if (v.hostPath) out.push(`--volume=${v.hostPath.path}:${m.mountPath}${ro}`);
  else if (v.emptyDir) out.push(`--tmpfs=${m.mountPath}:rw,mode=1777`);
  else if (v.configMap) out.push(`--volume=${cmDir}:${m.mountPath}${ro}`);
  else if (v.secret && secretsDir)
    out.push(`--volume=${secretsDir}/${v.secret.secretName}:${m.mountPath}${ro}`);
  else throw new Error(`volume ${m.name}: no stand-in for its kind`);
}
const env = {};
for (const e of c.env || []) {
  const f = e.valueFrom && e.valueFrom.fieldRef && e.valueFrom.fieldRef.fieldPath;
  env[e.name] = f === "spec.nodeName" ? os.hostname() : f === "status.podIP" ? podIP
    : e.value !== undefined ? e.value : "";
  out.push(`--env=${e.name}=${env[e.name]}`);
}
out.push("IMAGE");
for (const a of c.args || []) out.push(a.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, n) => (n in env ? env[n] : m)));
console.log(out.join("\n"));
