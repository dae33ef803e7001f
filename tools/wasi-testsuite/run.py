#!/usr/bin/env python3
"""Runs the official WebAssembly wasi-testsuite (wasm32-wasip1) under wasm-bpf.

    run.py [--runtime PATH] [--filter TEXT] DIR

DIR is a checkout of github.com/WebAssembly/wasi-testsuite at a commit of its
prod/testsuite-base branch (fetch.sh makes one). Every tests/*/testsuite/
wasm32-wasip1/*.wasm is a test; its .json (if any) says how to run it, as
the suite's doc/specification.md describes: `args`, `env` (the guest's whole
environment), `root` (a directory relative to the test, preopened as `/`),
the expected `exit_code`, and `stdout`/`stderr`, each the expected beginning
of that stream. Files named *.cleanup in the root are test leftovers and are
removed before and after each run.

Prints `PASS: wasi-testsuite SUITE/TEST`, `FAIL: ...: why` or `SKIP: ...:
reason` per test (the project's suite format) and a count; exits 1 if any
test failed, 2 on bad usage.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

TIMEOUT = 60
LEGACY_KEYS = {"args", "root", "env", "exit_code", "stderr", "stdout"}


def operations(spec):
    """The spec as a list of operations; legacy specs become run/read/wait."""
    if "operations" in spec:
        return spec["operations"]
    ops = [{"type": "run", "args": spec.get("args", []),
            "env": spec.get("env", {}), "root": spec.get("root")}]
    for stream in ("stdout", "stderr"):
        if spec.get(stream) is not None:
            ops.append({"type": "read", "id": stream,
                        "payload": spec[stream]})
    ops.append({"type": "wait", "exit_code": spec.get("exit_code", 0)})
    return ops


def unsupported(spec, ops):
    """Why this runner cannot run the test, or None."""
    if spec.get("proposals"):
        return "needs proposals " + ", ".join(spec["proposals"])
    unknown = set(spec) - LEGACY_KEYS - {"operations", "proposals"}
    if unknown:
        return "unknown spec keys " + ", ".join(sorted(unknown))
    kinds = [op.get("type") for op in ops]
    if kinds.count("run") != 1 or kinds.count("wait") != 1:
        return "not one run and one wait"
    for kind in kinds:
        if kind not in ("run", "read", "wait"):
            return "operation " + str(kind)
    return None


def remove_cleanup(root):
    for path, dirs, files in os.walk(root):
        for name in dirs + files:
            full = os.path.join(path, name)
            if not name.endswith(".cleanup") or not os.path.lexists(full):
                continue
            if os.path.isdir(full) and not os.path.islink(full):
                shutil.rmtree(full)
            else:
                os.unlink(full)


def run_test(runtime, wasm, ops):
    """Runs one test; returns None when it passed, else why it failed."""
    run = next(op for op in ops if op["type"] == "run")
    argv = [runtime]
    for key, value in run.get("env", {}).items():
        argv += ["--env", f"{key}={value}"]
    root = None
    if run.get("root"):
        root = os.path.join(os.path.dirname(wasm), run["root"])
        argv += ["--dir", f"{root}::/"]
        remove_cleanup(root)
    argv += [wasm] + list(run.get("args", []))
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=TIMEOUT,
                              check=False)
    except subprocess.TimeoutExpired:
        return f"no exit within {TIMEOUT}s"
    finally:
        if root:
            remove_cleanup(root)
    streams = {"stdout": proc.stdout.decode("utf-8", "replace"),
               "stderr": proc.stderr.decode("utf-8", "replace")}
    for op in ops:
        if op["type"] == "read":
            sid, want = op.get("id", "stdout"), op.get("payload", "")
            got = streams[sid][:len(want)]
            streams[sid] = streams[sid][len(want):]
            if got != want:
                return f"{sid} {got!r}, expected {want!r}"
        elif op["type"] == "wait" and proc.returncode != op.get("exit_code", 0):
            err = proc.stderr.decode("utf-8", "replace").strip()
            return (f"exit code {proc.returncode}, expected "
                    f"{op.get('exit_code', 0)}: {err[-300:]}")
    return None


def suites(top):
    tests = os.path.join(top, "tests")
    for lang in sorted(os.listdir(tests)):
        d = os.path.join(tests, lang, "testsuite", "wasm32-wasip1")
        if os.path.isdir(d):
            yield lang, d


def main():
    ap = argparse.ArgumentParser(description="wasi-testsuite under wasm-bpf")
    ap.add_argument("--runtime", default="build/bin/wasm-bpf")
    ap.add_argument("--filter", default="")
    ap.add_argument("dir")
    a = ap.parse_args()
    if not os.path.isdir(os.path.join(a.dir, "tests")):
        print(f"wasi-testsuite: {a.dir}: no tests/ folder (not a checkout "
              "of wasi-testsuite's prod/testsuite-base branch)",
              file=sys.stderr)
        return 2
    runtime = os.path.abspath(a.runtime)
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    for lang, d in suites(a.dir):
        for f in sorted(os.listdir(d)):
            if not f.endswith(".wasm"):
                continue
            base = f[:-len(".wasm")]
            name = f"wasi-testsuite {lang}/{base}"
            if a.filter not in name:
                continue
            spec_path = os.path.join(d, base + ".json")
            spec = {}
            if os.path.exists(spec_path):
                with open(spec_path, encoding="utf-8") as fh:
                    spec = json.load(fh)
            ops = operations(spec)
            why = unsupported(spec, ops)
            if why:
                verdict, line = "SKIP", f"SKIP: {name}: {why}"
            else:
                why = run_test(runtime, os.path.abspath(os.path.join(d, f)),
                               ops)
                why = why and " | ".join(why.splitlines())
                verdict = "FAIL" if why else "PASS"
                line = f"FAIL: {name}: {why}" if why else f"PASS: {name}"
            counts[verdict] += 1
            print(line, flush=True)
    print(f"wasi-testsuite: {counts['PASS']} passed, {counts['FAIL']} failed,"
          f" {counts['SKIP']} skipped")
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
