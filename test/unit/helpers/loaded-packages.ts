// Runs one zkplan command in-process (argv after this file's name) and prints, as JSON, its exit
// code and the npm packages' modules the process loaded (as package/path). Those are CommonJS (ssh2,
// handlebars, yaml), so the CommonJS module cache lists them; run it in a fresh process.
import { createRequire } from 'node:module';
import { runZkplan } from './cli.js';

const { code } = await runZkplan(process.argv.slice(2));
const loaded = Object.keys(createRequire(import.meta.url).cache);
const modules = loaded.map((file) => /\/node_modules\/(.+)$/.exec(file)?.[1]).filter((m) => m !== undefined);
process.stdout.write(JSON.stringify({ code, modules }));
