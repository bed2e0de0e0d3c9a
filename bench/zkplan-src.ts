// Runs the zkplan CLI from the TypeScript sources (node --import tsx bench/zkplan-src.ts <args>),
// the way bin/zkplan.js runs the built dist: src/cli/main.ts only exports main().
import { main } from '../src/cli/main.js';

await main();
