// bench/engine/node-wasi.mjs — runs a wasm32-wasi command module in
// Node.js's V8 through node:wasi, for the Part A peer column:
//   node bench/engine/node-wasi.mjs MODULE.wasm [ARGS...]
// Exits with the guest's exit code.
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import process from 'node:process';

const [file, ...args] = process.argv.slice(2);
const wasi = new WASI({
	version: 'preview1',
	args: [file, ...args],
	env: {},
	returnOnExit: true,
});
const mod = await WebAssembly.compile(await readFile(file));
const inst = await WebAssembly.instantiate(mod, wasi.getImportObject());
process.exitCode = wasi.start(inst);
