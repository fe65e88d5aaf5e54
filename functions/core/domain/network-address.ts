import { BlockList, isIP } from 'node:net';
import type { HostResolver } from './webhooks';

/**
 * Which addresses a webhook may never reach (server-side request forgery): a partner chooses the URL, our function
 * makes the request from inside the AWS network. Loopback, private, carrier-grade NAT, link-local (the instance
 * metadata service at 169.254.169.254 and fd00:ec2::254 among them), unique-local, multicast, documentation and
 * reserved ranges are refused, in IPv4, IPv6 and every IPv6 form that embeds an IPv4 address (IPv4-mapped,
 * IPv4-compatible, NAT64, 6to4), so that `::ffff:169.254.169.254` is refused like `169.254.169.254`.
 */
const refused = new BlockList();
const loopback = new BlockList();

for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, instance metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  refused.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['::', 96], // IPv4-compatible (deprecated): checked as IPv4 below, refused here when not
  ['64:ff9b::', 96], // NAT64 well-known prefix
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: embeds any IPv4 address
  ['fc00::', 7], // unique local (fd00:ec2::254, the metadata service over IPv6)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) {
  refused.addSubnet(network, prefix, 'ipv6');
}
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** An IPv6 address as its eight 16-bit groups (`::` expanded, a dotted IPv4 tail converted). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const dotted = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/**
 * The IPv4 address an IPv6 address stands for: IPv4-mapped (`::ffff:a.b.c.d`, what a dual-stack socket reports)
 * or IPv4-compatible (`::a.b.c.d`). Undefined for any other IPv6 address.
 */
function embeddedIpv4(address: string): string | undefined {
  const groups = ipv6Groups(address);
  const zeroHead = groups.slice(0, 5).every((group) => group === 0);
  const mapped = zeroHead && groups[5] === 0xffff;
  const compatible = zeroHead && groups[5] === 0 && (groups[6] !== 0 || (groups[7] ?? 0) > 1);
  if (!mapped && !compatible) return undefined;
  const [high = 0, low = 0] = groups.slice(6);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

export type AddressVerdict = 'allowed' | 'loopback' | 'refused' | 'not-an-address';

/** Whether a webhook may connect to this IP address; loopback is told apart, since offline runs deliver to it. */
export function classifyAddress(address: string): AddressVerdict {
  const family = isIP(address);
  if (family === 0) return 'not-an-address';
  const ipv4 = family === 4 ? address : embeddedIpv4(address);
  if (ipv4 !== undefined) {
    if (loopback.check(ipv4, 'ipv4')) return 'loopback';
    return refused.check(ipv4, 'ipv4') ? 'refused' : 'allowed';
  }
  if (loopback.check(address, 'ipv6')) return 'loopback';
  return refused.check(address, 'ipv6') ? 'refused' : 'allowed';
}

/** Whether an address may be connected to, given whether loopback is allowed (offline only). */
export function mayConnectTo(address: string, allowLoopback: boolean): boolean {
  const verdict = classifyAddress(address);
  return verdict === 'allowed' || (verdict === 'loopback' && allowLoopback);
}

/** The host of a URL as a resolver or an address check takes it (IPv6 literals without their brackets). */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}

/**
 * Why a URL may not receive webhooks, after resolving its host (an empty reason when it may), with the addresses. Every address the host
 * resolves to must be allowed (a name that resolves to one public and one private address is refused), and plain
 * http only goes to loopback where loopback is allowed (offline).
 */
export async function refusalOf(
  url: URL,
  resolve: HostResolver,
  allowLoopback: boolean,
): Promise<{ reason: string; addresses: readonly string[] }> {
  const host = hostOf(url);
  let addresses: readonly string[];
  try {
    addresses = isIP(host) ? [host] : await resolve(host);
  } catch {
    addresses = [];
  }
  if (addresses.length === 0) return { reason: 'the host does not resolve', addresses };
  if (addresses.some((address) => !mayConnectTo(address, allowLoopback))) {
    return { reason: 'the host resolves to a private, loopback, link-local or reserved address', addresses };
  }
  if (url.protocol === 'http:' && !addresses.every((address) => classifyAddress(address) === 'loopback')) {
    return { reason: 'only https URLs are accepted', addresses };
  }
  return { reason: '', addresses };
}
