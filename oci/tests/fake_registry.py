#!/usr/bin/env python3
"""A registry that misbehaves on purpose, for the oci suite: it serves the
images of an OCI image layout (read-only; a bare tag name is served in
every repository) on 127.0.0.1, answers a missing blob with 404, and

  --mode 500     answers every /v2/ request with HTTP 500
  --mode bearer  wants a bearer token from its own /token endpoint, which
                 wants basic credentials USER:PASS (--user)
  --mode cut     sends half of any blob larger than 1 MiB, then exits
                 (a registry killed mid-pull)
  --mode stall   sends half of such a blob, then nothing for a minute

It prints its port on stdout once listening."""
import argparse
import base64
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--layout", required=True)
ap.add_argument("--mode", default="plain")
ap.add_argument("--user", default="u:p")
args = ap.parse_args()

TOKEN = "fake-token-1234"


def load_layout(d):
    refs = {}
    with open(os.path.join(d, "index.json")) as f:
        idx = json.load(f)
    for m in idx.get("manifests", []):
        name = m.get("annotations", {}).get("org.opencontainers.image.ref.name", "")
        if "/" not in name:  # a bare tag, as skopeo's layouts have: any repository
            refs[(None, name)] = m["digest"]
        elif ":" in name.rsplit("/", 1)[-1]:
            repo_tag = name.split("/", 1)[1]  # drop the registry
            repo, tag = repo_tag.rsplit(":", 1)
            refs[(repo, tag)] = m["digest"]
    return refs


REFS = load_layout(args.layout)


def blob(digest):
    p = os.path.join(args.layout, "blobs", "sha256", digest.split(":", 1)[1])
    with open(p, "rb") as f:
        return f.read()


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def send(self, code, body=b"", ctype="application/json", extra=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, code, what):
        body = json.dumps({"errors": [{"code": what, "message": what.lower()}]})
        self.send(code, body.encode())

    def authorized(self):
        if args.mode != "bearer":
            return True
        return self.headers.get("Authorization") == "Bearer " + TOKEN

    def token(self):
        want = "Basic " + base64.b64encode(args.user.encode()).decode()
        if self.headers.get("Authorization") != want:
            return self.error(401, "UNAUTHORIZED")
        self.send(200, json.dumps({"token": TOKEN}).encode())

    def do_GET(self):
        port = self.server.server_address[1]
        if self.path.startswith("/token"):
            return self.token()
        if args.mode == "500":
            return self.error(500, "INTERNAL_ERROR")
        if not self.authorized():
            ch = 'Bearer realm="http://127.0.0.1:%d/token",service="fake"' % port
            body = b'{"errors":[{"code":"UNAUTHORIZED","message":"token"}]}'
            return self.send(401, body, extra={"WWW-Authenticate": ch})
        if self.path == "/v2/":
            return self.send(200, b"{}")
        parts = self.path[4:].rsplit("/", 2)
        if len(parts) != 3:
            return self.error(404, "NAME_UNKNOWN")
        repo, kind, ref = parts
        if kind == "manifests":
            digest = ref if ref.startswith("sha256:") else REFS.get((repo, ref), REFS.get((None, ref)))
            if not digest:
                return self.error(404, "MANIFEST_UNKNOWN")
            body = blob(digest)
            mt = json.loads(body).get("mediaType", "application/vnd.oci.image.manifest.v1+json")
            return self.send(200, body, mt, {"Docker-Content-Digest": digest})
        if kind == "blobs":
            try:
                body = blob(ref)
            except OSError:
                return self.error(404, "BLOB_UNKNOWN")
            if args.mode in ("cut", "stall") and len(body) > (1 << 20):
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                if args.mode == "cut":
                    os._exit(0)
                time.sleep(60)
                return
            return self.send(200, body, "application/octet-stream")
        return self.error(404, "NAME_UNKNOWN")

    do_HEAD = do_GET


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
print(srv.server_address[1], flush=True)
srv.serve_forever()
