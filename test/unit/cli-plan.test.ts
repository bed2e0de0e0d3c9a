// zkplan plan: the report, its JSON form and that form's schema.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { runZkplan } from './helpers/cli.js';

const planSchema = JSON.parse(readFileSync(new URL('../../schemas/plan.schema.json', import.meta.url), 'utf8'));

const validatePlan = new Ajv({ allErrors: true, strict: false }).compile(planSchema);

/** `plan --json` of an inventory file, checked against schemas/plan.schema.json. */
async function validPlanJson(file: string) {
  const r = await runZkplan(['plan', file, '--json']);
  assert.equal(r.code, 0, r.err);
  const plan = JSON.parse(r.out);
  assert.ok(validatePlan(plan), JSON.stringify(validatePlan.errors, null, 2));
  return plan;
}

describe('zkplan plan', () => {
  it('prints a table per ensemble with constraints, quorum and failure domains', async () => {
    const r = await runZkplan(['plan', 'inventories/example.yml']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Ensemble zk/);
    assert.match(r.out, /1\s+participant\s+zookeeper1\s+zookeeper1\s+192\.0\.2\.11\s+aliyun\.node_index=1 zone=cn-hangzhou-b\s+2181\/2888\/3888\s+constraint:aliyun\.node_index==1\s+node\.labels\.aliyun\.node_index == 1/);
    assert.match(r.out, /Quorum: majority 2 of 3 voters; tolerates 1 voter failure\./);
    assert.match(r.out, /^Failure domains: zone and hosts \(from the spread labels in use\)$/m);
    assert.match(r.out, /zone=cn-hangzhou-b, host=zookeeper1\s+zookeeper1\s+1\s+2\s+quorum survives/);
    assert.match(r.out, /Critical domains: none/);
    assert.match(r.out, /Connect string: 192\.0\.2\.11:2181,192\.0\.2\.12:2181,192\.0\.2\.13:2181/);
  });

  it('prints markdown', async () => {
    const r = await runZkplan(['plan', 'inventories/example.yml', '--format', 'markdown']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^## Ensemble `zk`/m);
    assert.match(r.out, /^\| ID \| ROLE \| NAME \|/m);
  });

  it('prints JSON that follows schemas/plan.schema.json', async () => {
    const plan = await validPlanJson('inventories/example.yml');
    assert.equal(plan.format, 'zkplan.plan/v1');
    assert.equal(plan.ensembles[0].servers[2].host.address, '192.0.2.13');
  });

  it('the JSON of the production inventory (every setting, a metrics port, data log directories) follows the schema too', async () => {
    const plan = await validPlanJson('inventories/production.yml');
    const e = plan.ensembles[0];
    assert.equal(e.settings.heapMiB, 3072);
    assert.equal(e.servers[0].ports.metrics, 7000);
    assert.equal(e.servers[0].dataLogDir, '/srv/zookeeper-txlog/zk/1');
    // a field the schema does not know is refused: the schema is strict, so it documents every field
    e.settings.surprise = true;
    assert.equal(validatePlan(plan), false);
  });

  it('the JSON of a secured ensemble follows the schema: its security and TLS port, never a secret or a reference to one', async () => {
    const plan = await validPlanJson('inventories/secured.yml');
    const e = plan.ensembles[0];
    assert.deepEqual(e.security, { quorumTls: true, clientTls: 'both', quorumSasl: true, clientSasl: false });
    assert.equal(e.servers[0].ports.secureClient, 2281);
    assert.doesNotMatch(JSON.stringify(plan), /ZK_QUORUM_PASSWORD|password/);
    const text = await runZkplan(['plan', 'inventories/secured.yml']);
    assert.match(text.out, /^  Security: quorum TLS, client TLS on port 2281 beside the plain port, quorum SASL \(DIGEST-MD5\); key material made by zkplan apply/m);
  });

  it('gives the same bytes every time', async () => {
    const a = await runZkplan(['plan', 'inventories/example.yml', '--json']);
    const b = await runZkplan(['plan', 'inventories/example.yml', '--json']);
    assert.equal(a.out, b.out);
  });
});
