#!/usr/bin/env node
// The bundled CLI (npm run build); its source maps make ZKPLAN_DEBUG's stack traces name src/.
if (process.env.ZKPLAN_DEBUG) process.setSourceMapsEnabled(true);
const { main } = await import('../dist/bundle/main.js');

await main();
