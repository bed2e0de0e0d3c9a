// Every module the commands import when they run (their `import()`s), loaded at once with no host
// and no input. npm run build calls it in the run that writes the V8 code cache
// (scripts/bundle-cli.ts): V8 caches only what it has compiled, so without this the remote
// commands' code (ssh2, the engine, the drivers, the ZooKeeper client) would be compiled at every
// start. A module missing here costs start-up time, nothing else.
export async function loadCommandModules(): Promise<void> {
  await Promise.all([
    import('./inventory-file.js'),
    import('./local-plan.js'),
    import('./swarm.js'),
    import('../drivers/host/driver.js'),
    import('../drivers/host/membership.js'),
    import('../drivers/local/desired.js'),
    import('../drivers/local/driver.js'),
    import('../drivers/local/membership.js'),
    import('../drivers/local/secured.js'),
    import('../drivers/sessions.js'),
    import('../engine/engine.js'),
    import('../plan/report.js'),
    import('../plan/security-phases.js'),
    import('../plan/security.js'),
    import('../remote/executor.js'),
    import('../render/index.js'),
    import('../render/templates.js'),
    import('../security/material.js'),
    import('../security/secrets-dir.js'),
    import('../security/super-digest.js'),
    import('../verify/zk-client.js'),
  ]);
  // the yaml library's own parser, which reads an inventory in any other style than plain block
  // YAML (flow mappings over several lines, anchors, ...), is compiled only when it runs
  (await import('../inventory/load.js')).loadInventoryParts('hosts:\n  - {\n      name: h1,\n      address: 10.0.0.1\n    }\nensembles: [&e { name: zk, servers: 1 }]\n', 'code-cache.yml');
}
