import { lookup } from 'node:dns/promises';
import { BlockList, isIPv4, isIPv6 } from 'node:net';

/**
 * Where `POST /v1/pin` may dial. The `from` multiaddrs are the requester's words, and the
 * provider dials them from inside its own network, so without a policy the endpoint is a
 * port scanner of the provider's host and LAN. Each address is parsed into one narrow form
 * (`/ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>[/p2p/<peer>]`), names are resolved here, every
 * resolved address is classified, and only the resolved IP literal is dialed, so a second
 * (rebinding) answer to the same name is never consulted.
 */

/** IPv4 ranges that are not globally reachable unicast (IANA special-purpose registry, RFC 6890 and later). */
const NON_PUBLIC_V4: [string, number][] = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private (RFC 1918)
  ['100.64.0.0', 10], // shared address space, CGNAT (RFC 6598)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata lives here)
  ['172.16.0.0', 12], // private (RFC 1918)
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation (TEST-NET-1)
  ['192.88.99.0', 24], // 6to4 relay anycast (deprecated)
  ['192.168.0.0', 16], // private (RFC 1918)
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation (TEST-NET-2)
  ['203.0.113.0', 24], // documentation (TEST-NET-3)
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and the limited broadcast address
];

/** Inside global unicast (2000::/3), the IPv6 ranges that are not plainly public or that tunnel to IPv4. */
const NON_PUBLIC_V6: [string, number][] = [
  ['2001::', 23], // IETF protocol assignments (Teredo, benchmarking, ORCHID, …)
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4 (embeds an IPv4 address)
  ['3fff::', 20], // documentation
];

const globalUnicastV6 = new BlockList();
globalUnicastV6.addSubnet('2000::', 3, 'ipv6');
const nonPublic = new BlockList();
for (const [net, prefix] of NON_PUBLIC_V4) nonPublic.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of NON_PUBLIC_V6) nonPublic.addSubnet(net, prefix, 'ipv6');

/**
 * True when `ip` (an IPv4 or IPv6 literal) is a globally reachable unicast address. IPv6
 * outside 2000::/3 (loopback, unspecified, IPv4-mapped and -compatible, NAT64, unique local
 * fc00::/7, link-local fe80::/10, multicast ff00::/8, …) is never public; IPv4-mapped
 * addresses are also judged by their IPv4 part. Anything that is not an IP literal is false.
 * @example
 * isPublicAddress('10.0.0.7'); // false
 * isPublicAddress('2606:4700::1111'); // true
 */
export function isPublicAddress(ip: string): boolean {
  if (isIPv4(ip)) return !nonPublic.check(ip, 'ipv4');
  if (isIPv6(ip)) return globalUnicastV6.check(ip, 'ipv6') && !nonPublic.check(ip, 'ipv6');
  return false;
}

/** One `from` address in the only form the provider dials. */
export type PinAddress = {
  host: { kind: 'ip4' | 'ip6'; ip: string } | { kind: 'dns' | 'dns4' | 'dns6'; name: string };
  port: number;
  peer?: string;
};

const DNS_NAME = /^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;
/** A libp2p peer id: base58btc multihash (`12D3Koo…`, `Qm…`) or a base32 CIDv1 (`bafz…`). */
const PEER_ID = /^([1-9A-HJ-NP-Za-km-z]{40,64}|b[a-z2-7]{50,120})$/;

/**
 * Parses a multiaddr into a {@link PinAddress}, or undefined for every other form (other
 * transports, `/dnsaddr` whose TXT records would name further addresses, relays, zones…).
 * @example
 * parsePinAddress('/ip4/203.0.113.9/tcp/4001/p2p/12D3KooW…'); // { host: { kind: 'ip4', ip: '203.0.113.9' }, port: 4001, peer: '12D3KooW…' }
 */
export function parsePinAddress(text: string): PinAddress | undefined {
  const parts = text.split('/');
  if (parts[0] !== '' || (parts.length !== 5 && parts.length !== 7)) return undefined;
  const [, kind, host, tcp, portText, p2p, peer] = parts as [string, string, string, string, string, string?, string?];
  if (tcp !== 'tcp' || !/^[1-9][0-9]{0,4}$/.test(portText) || Number(portText) > 65535) return undefined;
  if (parts.length === 7 && (p2p !== 'p2p' || !PEER_ID.test(peer ?? ''))) return undefined;
  const rest = { port: Number(portText), ...(peer ? { peer } : {}) };
  if (kind === 'ip4') return isIPv4(host) ? { host: { kind, ip: host }, ...rest } : undefined;
  if (kind === 'ip6') return isIPv6(host) ? { host: { kind, ip: host }, ...rest } : undefined;
  if (kind === 'dns' || kind === 'dns4' || kind === 'dns6') return DNS_NAME.test(host) && !isIPv4(host) && !isIPv6(host) ? { host: { kind, name: host }, ...rest } : undefined;
  return undefined;
}

/** Resolves a name to IP literals of one family (4, 6) or both (0). */
export type ResolveHost = (name: string, family: 0 | 4 | 6) => Promise<string[]>;

const systemResolve: ResolveHost = async (name, family) => (await lookup(name, { all: true, family, verbatim: true })).map((a) => a.address);

export type DialTargets = {
  /** Canonical multiaddrs to dial: IP literals only. */
  dial: string[];
  /** Addresses not dialed, with a coarse reason that reveals nothing of the provider's own DNS view. */
  refused: { address: string; reason: 'unsupported' | 'not public' | 'no public address' }[];
};

/**
 * Turns the requester's `from` into what may be dialed: unsupported forms and non-public
 * addresses are dropped (unless `allowPrivate`); a name is resolved, and dropped whole when
 * any of its answers is not public (an answer set mixing public and private addresses is a
 * rebinding or split-horizon trick), else its resolved literals are dialed.
 * @example
 * const { dial, refused } = await dialTargets(request.from, { allowPrivate: false, signal });
 */
export async function dialTargets(from: string[], options: { allowPrivate: boolean; resolve?: ResolveHost; signal?: AbortSignal; maxPerName?: number }): Promise<DialTargets> {
  const resolve = options.resolve ?? systemResolve;
  const out: DialTargets = { dial: [], refused: [] };
  const render = (ip: string, a: PinAddress) => `/${isIPv4(ip) ? 'ip4' : 'ip6'}/${ip}/tcp/${a.port}${a.peer ? `/p2p/${a.peer}` : ''}`;
  for (const address of from) {
    const a = parsePinAddress(address);
    if (!a) {
      out.refused.push({ address, reason: 'unsupported' });
      continue;
    }
    if ('ip' in a.host) {
      if (options.allowPrivate || isPublicAddress(a.host.ip)) out.dial.push(render(a.host.ip, a));
      else out.refused.push({ address, reason: 'not public' });
      continue;
    }
    const family = a.host.kind === 'dns4' ? 4 : a.host.kind === 'dns6' ? 6 : 0;
    const ips = await abortable(resolve(a.host.name, family), options.signal).catch((err: unknown) => {
      if (options.signal?.aborted) throw err;
      return [] as string[];
    });
    const valid = ips.filter((ip) => (family === 4 ? isIPv4(ip) : family === 6 ? isIPv6(ip) : isIPv4(ip) || isIPv6(ip)));
    if (valid.length === 0 || valid.length !== ips.length || (!options.allowPrivate && !valid.every(isPublicAddress))) {
      out.refused.push({ address, reason: 'no public address' });
      continue;
    }
    for (const ip of [...new Set(valid)].slice(0, options.maxPerName ?? 4)) out.dial.push(render(ip, a));
  }
  return out;
}

function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
