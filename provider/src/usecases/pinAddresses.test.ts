import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PIN_REQUEST_TYPES } from '@cove/sdk';
import { isProviderError } from '../errors.js';
import { createScenario } from '../testing/scenario.js';
import { dialTargets, isPublicAddress, parsePinAddress, type ResolveHost } from './pinAddresses.js';
import { pinContent } from './pinContent.js';

const PEER = '12D3KooWGzBHcb2x2YmD2GDQqXxeK6iUZV8bJ8bW7ZtdmFxWdz2D';

describe('isPublicAddress', () => {
  const notPublic = [
    '127.0.0.1', '127.255.255.254', '0.0.0.0', '0.1.2.3', '10.0.0.1', '10.255.255.255', '172.16.0.1', '172.31.255.255', '192.168.1.1',
    '100.64.0.1', '100.127.255.255', '169.254.169.254', '192.0.0.8', '192.0.2.1', '198.18.0.1', '198.19.255.255', '198.51.100.7', '203.0.113.9',
    '224.0.0.1', '239.255.255.250', '240.0.0.1', '255.255.255.255',
    '::', '::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::ffff:7f00:1', '::127.0.0.1', '64:ff9b::a00:1', 'fc00::1', 'fd12:3456::1', 'fe80::1', 'FE80::abcd',
    'fec0::1', 'ff02::1', 'ff05::2', '100::1', '2001::1', '2001:db8::1', '2002:a00:1::1', '3fff::1',
    'localhost', 'example.com', '', '127.1', '0x7f000001', '2130706433', '127.000.000.001',
  ];
  const isPublic = ['8.8.8.8', '1.1.1.1', '93.184.215.14', '172.32.0.1', '172.15.255.255', '100.128.0.1', '192.169.0.1', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e', '2620:fe::fe'];
  for (const ip of notPublic) it(`refuses ${ip || '(empty)'}`, () => assert.equal(isPublicAddress(ip), false));
  for (const ip of isPublic) it(`allows ${ip}`, () => assert.equal(isPublicAddress(ip), true));
});

describe('parsePinAddress', () => {
  it('accepts ip4, ip6 and dns TCP addresses with an optional peer id', () => {
    assert.deepEqual(parsePinAddress(`/ip4/8.8.8.8/tcp/4001/p2p/${PEER}`), { host: { kind: 'ip4', ip: '8.8.8.8' }, port: 4001, peer: PEER });
    assert.deepEqual(parsePinAddress('/ip6/2606:4700::1/tcp/1'), { host: { kind: 'ip6', ip: '2606:4700::1' }, port: 1 });
    assert.deepEqual(parsePinAddress('/dns4/ipfs.example.org/tcp/4001'), { host: { kind: 'dns4', name: 'ipfs.example.org' }, port: 4001 });
  });
  it('refuses every other form', () => {
    for (const a of [
      '/ip4/8.8.8.8/udp/4001/quic-v1', '/dnsaddr/bootstrap.libp2p.io', '/ip4/8.8.8.8/tcp/4001/ws', `/ip4/8.8.8.8/tcp/4001/p2p/${PEER}/p2p-circuit/p2p/${PEER}`,
      '/ip6zone/eth0/ip6/fe80::1/tcp/1', '/ip4/8.8.8.8/tcp/0', '/ip4/8.8.8.8/tcp/65536', '/ip4/8.8.8.8/tcp/04001', '/ip4/8.8.8.8/tcp/4001/p2p/not-a-peer',
      '/ip4/127.1/tcp/1', '/ip4/::1/tcp/1', '/ip6/127.0.0.1/tcp/1', '/dns4/127.0.0.1/tcp/1', '/dns/-bad-.example/tcp/1', 'ip4/8.8.8.8/tcp/1', '/ip4/8.8.8.8/tcp/1/', '',
    ]) assert.equal(parsePinAddress(a), undefined, a);
  });
});

describe('dialTargets', () => {
  const never: ResolveHost = async () => assert.fail('no name to resolve');

  it('drops loopback, private and unsupported addresses unless private ones are allowed; dials public literals as given', async () => {
    const from = ['/ip4/127.0.0.1/tcp/4001', '/ip4/192.168.1.5/tcp/4001', '/ip6/::1/tcp/4001', '/ip4/8.8.8.8/tcp/4001/ws', `/ip4/8.8.8.8/tcp/4001/p2p/${PEER}`];
    const strict = await dialTargets(from, { allowPrivate: false, resolve: never });
    assert.deepEqual(strict.dial, [`/ip4/8.8.8.8/tcp/4001/p2p/${PEER}`]);
    assert.deepEqual(strict.refused.map((r) => r.reason), ['not public', 'not public', 'not public', 'unsupported']);
    const allowed = await dialTargets(from, { allowPrivate: true, resolve: never });
    assert.deepEqual(allowed.dial, ['/ip4/127.0.0.1/tcp/4001', '/ip4/192.168.1.5/tcp/4001', '/ip6/::1/tcp/4001', `/ip4/8.8.8.8/tcp/4001/p2p/${PEER}`]);
  });

  it('resolves a name once and dials the resolved literal, so a rebinding second answer is never used', async () => {
    const answers = [['93.184.215.14'], ['127.0.0.1']];
    const calls: string[] = [];
    const resolve: ResolveHost = async (name, family) => (calls.push(`${name}/${family}`), answers.shift()!);
    const t = await dialTargets([`/dns4/rebind.example/tcp/4001/p2p/${PEER}`], { allowPrivate: false, resolve });
    assert.deepEqual(calls, ['rebind.example/4']);
    assert.deepEqual(t.dial, [`/ip4/93.184.215.14/tcp/4001/p2p/${PEER}`]);
  });

  it('refuses a name when any answer is not public, when it does not resolve, or when an answer is of the wrong family', async () => {
    const table: Record<string, string[]> = { 'mixed.example': ['93.184.215.14', '10.0.0.1'], 'lan.example': ['192.168.0.2'], 'v6.example': ['::1'], 'odd.example': ['2606:4700::1'] };
    const resolve: ResolveHost = async (name) => {
      if (!(name in table)) throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
      return table[name]!;
    };
    const t = await dialTargets(['/dns/mixed.example/tcp/1', '/dns4/lan.example/tcp/1', '/dns6/v6.example/tcp/1', '/dns/missing.example/tcp/1', '/dns4/odd.example/tcp/1'], { allowPrivate: false, resolve });
    assert.deepEqual(t.dial, []);
    assert.deepEqual(t.refused.map((r) => r.reason), Array(5).fill('no public address'), 'one coarse reason: the answer tells nothing of the provider’s DNS view');
  });

  it('uses the system resolver by default: localhost is not public', async () => {
    const t = await dialTargets(['/dns4/localhost/tcp/4001'], { allowPrivate: false });
    assert.deepEqual(t.dial, []);
    const allowed = await dialTargets(['/dns4/localhost/tcp/4001'], { allowPrivate: true });
    assert.deepEqual(allowed.dial, ['/ip4/127.0.0.1/tcp/4001']);
  });
});

describe('pinContent dial policy', () => {
  async function signed(s: ReturnType<typeof createScenario>, from: string[], nonce: string) {
    const cid = await s.storage.add(Buffer.from('doc'));
    const request = { publisher: s.consumer.address, cids: [cid], from, nonce, expiry: Math.floor(Date.now() / 1000) + 60 };
    return { request, signature: await s.consumer.signTypedData(s.domain, PIN_REQUEST_TYPES, request) };
  }
  function deps(s: ReturnType<typeof createScenario>, allowPrivateAddresses?: boolean) {
    const dialed: string[] = [];
    const admitted: string[] = [];
    const storage = { ...s.storage, dial: async (a: string) => void dialed.push(a) };
    return { dialed, admitted, d: { store: s.store, storage, domain: s.domain, maxTtlSeconds: 3600, maxBytes: 1 << 20, admitSigner: (a: string) => void admitted.push(a), ...(allowPrivateAddresses === undefined ? {} : { allowPrivateAddresses }) } };
  }

  it('refuses with PIN_ADDRESS_REFUSED (403) and dials nothing when every `from` is loopback or private, by default', async () => {
    const s = createScenario();
    const { d, dialed } = deps(s);
    const req = await signed(s, ['/ip4/127.0.0.1/tcp/4001', '/ip4/10.1.2.3/tcp/4001', '/dns4/localhost/tcp/4001'], '1');
    await assert.rejects(pinContent(d, req), (e) => isProviderError(e, 'PIN_ADDRESS_REFUSED') && e.status === 403 && (e.details?.refused as unknown[]).length === 3);
    assert.deepEqual(dialed, []);
  });

  it('dials only the public addresses of a mixed list, and loopback when the operator allows it', async () => {
    const s = createScenario();
    const strict = deps(s);
    assert.deepEqual((await pinContent(strict.d, await signed(s, ['/ip4/127.0.0.1/tcp/4001', '/ip4/8.8.8.8/tcp/4001'], '1'))).pinned.length, 1);
    assert.deepEqual(strict.dialed, ['/ip4/8.8.8.8/tcp/4001']);
    const open = deps(s, true);
    await pinContent(open.d, await signed(s, ['/ip4/127.0.0.1/tcp/4001'], '2'));
    assert.deepEqual(open.dialed, ['/ip4/127.0.0.1/tcp/4001']);
  });

  it('admits the signer only once the signature verifies', async () => {
    const s = createScenario();
    const { d, admitted } = deps(s, true);
    const req = await signed(s, [], '1');
    const forged = { ...req, signature: await s.stranger.signTypedData(s.domain, PIN_REQUEST_TYPES, req.request) };
    await assert.rejects(pinContent(d, forged), (e) => isProviderError(e, 'SIGNATURE_INVALID'));
    assert.deepEqual(admitted, []);
    await pinContent(d, req);
    assert.deepEqual(admitted, [s.consumer.address]);
  });
});
