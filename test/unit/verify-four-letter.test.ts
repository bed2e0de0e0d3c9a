// fourLetterWord over in-memory Duplex streams (no network), the direct dial's messages and
// probeEnsemble.
import assert from 'node:assert/strict';
import net from 'node:net';
import { Duplex } from 'node:stream';
import { describe, it } from 'node:test';
import { DialError, directDial, type Dial } from '../../src/verify/dial.js';
import { FourLetterError, fourLetterWord, NotServingError, NotWhitelistedError } from '../../src/verify/four-letter.js';
import { probeEnsemble, zxidReplacer, type Member } from '../../src/verify/ensemble.js';

/** A fake server end: answers `reply(word)` in small chunks, then ends, like ZooKeeper does. */
function fakeServer(reply: (word: string) => string | null, log: string[] = []): { dial: Dial; streams: Duplex[] } {
  const streams: Duplex[] = [];
  const dial: Dial = async () => {
    let got = '';
    const s: Duplex = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        got += chunk.toString();
        if (got.length === 4) {
          const answer = reply(got);
          if (answer !== null) {
            setImmediate(() => {
              for (let i = 0; i < answer.length; i += 7) s.push(answer.slice(i, i + 7));
              s.push(null);
            });
          }
        }
        cb();
      },
      final(cb) {
        log.push(`client half-closed after ${got.length} bytes`);
        cb();
      },
    });
    streams.push(s);
    return s;
  };
  return { dial, streams };
}

describe('fourLetterWord', () => {
  it('writes the word and returns everything up to end of stream', async () => {
    const log: string[] = [];
    const { dial } = fakeServer((w) => `you said ${w}\nMode: leader\n`, log);
    assert.equal(await fourLetterWord(dial, '10.0.0.1', 2181, 'srvr', 1000), 'you said srvr\nMode: leader\n');
    // Half-closing first can make a 3.5+ server drop its answer.
    assert.deepEqual(log, []);
  });

  it('turns the whitelist refusal into NotWhitelistedError', async () => {
    const { dial } = fakeServer((w) => `${w} is not executed because it is not in the whitelist.\n`);
    const err = await fourLetterWord(dial, '10.0.0.1', 2181, 'mntr', 1000).catch((e: unknown) => e);
    assert.ok(err instanceof NotWhitelistedError);
    assert.equal(err.kind, 'not-whitelisted');
    assert.match(err.message, /^mntr 10\.0\.0\.1:2181: not in 4lw\.commands\.whitelist on the server \(add "mntr"\)$/);
  });

  it('turns "not currently serving requests" into NotServingError', async () => {
    const { dial } = fakeServer(() => 'This ZooKeeper instance is not currently serving requests\n');
    await assert.rejects(fourLetterWord(dial, '10.0.0.2', 2181, 'srvr', 1000), (e: unknown) => e instanceof NotServingError && e.kind === 'not-serving');
  });

  it('times out naming address:port, and destroys the stream', async () => {
    const { dial, streams } = fakeServer(() => null);
    const started = Date.now();
    await assert.rejects(fourLetterWord(dial, '10.0.0.9', 2181, 'srvr', 150), (e: unknown) => {
      assert.ok(e instanceof FourLetterError);
      assert.equal(e.kind, 'timeout');
      assert.match(e.message, /srvr 10\.0\.0\.9:2181: no complete answer within 150 ms/);
      return true;
    });
    assert.ok(Date.now() - started < 1000);
    assert.ok(streams[0]!.destroyed);
  });

  it('times out a dial that hangs, and destroys its stream if it arrives late', async () => {
    let late: Duplex | undefined;
    const dial: Dial = () =>
      new Promise((resolve) =>
        setTimeout(() => {
          late = new Duplex({ read() {}, write: (_c, _e, cb) => cb() });
          resolve(late);
        }, 100),
      );
    await assert.rejects(fourLetterWord(dial, 'zk1', 2181, 'srvr', 20), /srvr zk1:2181: no complete answer within 20 ms/);
    await new Promise((r) => setTimeout(r, 150));
    assert.ok(late?.destroyed);
  });

  it('reports a failed dial as unreachable without repeating the endpoint', async () => {
    const dial: Dial = async (a, p) => {
      throw new DialError(a, p, 'connection refused (nothing listening?) [ECONNREFUSED]');
    };
    await assert.rejects(fourLetterWord(dial, 'fd00::1', 2181, 'srvr', 1000), (e: unknown) => {
      assert.ok(e instanceof FourLetterError);
      assert.equal(e.kind, 'unreachable');
      assert.equal(e.message, 'srvr [fd00::1]:2181: connection refused (nothing listening?) [ECONNREFUSED]');
      return true;
    });
  });

  it('calls an answerless close "empty"', async () => {
    const { dial } = fakeServer(() => '');
    await assert.rejects(fourLetterWord(dial, '10.0.0.1', 2181, 'xyzw', 1000), (e: unknown) => e instanceof FourLetterError && e.kind === 'empty');
  });

  it('refuses to send something that is not a four-letter word', async () => {
    const { dial } = fakeServer(() => 'x');
    await assert.rejects(fourLetterWord(dial, '10.0.0.1', 2181, 'srvr\n', 1000), /not a four-letter word/);
  });
});

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

describe('directDial', () => {
  it('explains a refused connection instead of echoing the address', async () => {
    const port = await freePort();
    await assert.rejects(directDial('127.0.0.1', port, 1000), (e: unknown) => {
      assert.ok(e instanceof DialError);
      assert.equal(e.message, `127.0.0.1:${port}: connection refused (nothing listening?) [ECONNREFUSED]`);
      return true;
    });
  });
});

describe('probeEnsemble', () => {
  const srvr = (mode: string, zxid: string): string =>
    `Zookeeper version: 3.8.0\nLatency min/avg/max: 0/0.5/3\nReceived: 1\nSent: 1\nConnections: 2\nOutstanding: 0\nZxid: ${zxid}\nMode: ${mode}\nNode count: 5\n`;
  const members: Member[] = [1, 2, 3].map((id) => ({ id, role: 'participant', address: `10.0.0.${id}`, port: 2181 }));
  const answers: Record<string, Record<string, string>> = {
    '10.0.0.1': { srvr: srvr('follower', '0x100000002'), conf: 'serverId=1\nserver.1=10.0.0.1:2888:3888:participant;2181\n' },
    '10.0.0.2': { srvr: srvr('leader', '0x100000002'), conf: 'conf is not executed because it is not in the whitelist.\n', mntr: 'zk_version\t3.8.0\nzk_server_state\tleader\nzk_synced_followers\t1\n' },
    '10.0.0.3': { srvr: 'This ZooKeeper instance is not currently serving requests\n' },
  };
  const asked: string[] = [];
  const dial: Dial = async (address) => {
    let word = '';
    const s: Duplex = new Duplex({
      read() {},
      write(chunk, _e, cb) {
        word += chunk.toString();
        if (word.length === 4) {
          asked.push(`${address} ${word}`);
          setImmediate(() => {
            s.push(answers[address]?.[word] ?? '');
            s.push(null);
          });
        }
        cb();
      },
    });
    return s;
  };

  it('reads srvr and conf from everyone, mntr from the single leader, and classifies failures', async () => {
    const p = await probeEnsemble(members, dial, 1000);
    assert.deepEqual(asked.filter((a) => a.endsWith('mntr')), ['10.0.0.2 mntr']);
    const [one, two, three] = p.servers;
    assert.deepEqual([one?.mode, one?.epoch, one?.latencyAvg, one?.connections], ['follower', 1, 0.5, 2]);
    assert.deepEqual(one?.membership?.map((m) => m.id), [1]);
    assert.equal(two?.mode, 'leader');
    assert.match(String(two?.membershipError), /^conf: not in 4lw.commands.whitelist/);
    assert.deepEqual([three?.reachable, three?.mode, three?.errorKind], [true, null, 'not-serving']);
    assert.equal(p.leaderMntr?.syncedFollowers, 1);
    assert.equal(JSON.parse(JSON.stringify(p.servers[0], zxidReplacer)).zxid, '0x100000002');
  });
});
