import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { refusalOf } from '../domain/network-address';
import {
  deliveryTimeoutMs,
  excerptOf,
  responseExcerptLength,
  type HostResolver,
  type SendResult,
  type WebhookSender,
} from '../domain/webhooks';

/** Every address of a host (A and AAAA), as the operating system's resolver answers. */
export const systemResolver: HostResolver = async (host) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((entry) => entry.address);

/**
 * Sends webhooks over HTTP(S) without following redirects, within `deliveryTimeoutMs` for the whole exchange. The
 * host is resolved here, every address checked, and the connection made to the address that was checked (the
 * socket's lookup is pinned to it): a DNS answer that changes between the check and the connection (rebinding)
 * cannot lead the request to an internal address. TLS still verifies the certificate against the host name.
 */
export function httpWebhookSender(
  options: { resolve?: HostResolver; allowLoopback?: boolean; timeoutMs?: number } = {},
): WebhookSender {
  const { resolve = systemResolver, allowLoopback = false, timeoutMs = deliveryTimeoutMs } = options;
  return async ({ url: target, headers, body }): Promise<SendResult> => {
    const url = new URL(target);
    const { reason, addresses } = await refusalOf(url, resolve, allowLoopback);
    if (reason) return { kind: 'no-answer', reason: `refused: ${reason}` };
    const address = addresses[0]!;
    const family = isIP(address);
    const pinned: LookupFunction = (_host, lookupOptions, callback) => {
      if ((lookupOptions as { all?: boolean }).all) callback(null, [{ address, family }]);
      else callback(null, address, family);
    };
    const requestOptions: RequestOptions = {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup: pinned,
      signal: AbortSignal.timeout(timeoutMs),
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<SendResult>((settle) => {
      const request = send(url, requestOptions, (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let length = 0;
        response.on('data', (chunk: Buffer) => {
          // Only the excerpt is kept: stop reading a large answer once it is in hand.
          chunks.push(chunk);
          length += chunk.length;
          if (length >= responseExcerptLength * 4) response.destroy();
        });
        const done = () =>
          settle({
            kind: 'answered',
            status: response.statusCode ?? 0,
            excerpt: excerptOf(Buffer.concat(chunks).toString('utf8')),
          });
        response.on('end', done);
        response.on('close', done);
        response.on('error', done);
      });
      request.on('error', (error: Error) =>
        settle({
          kind: 'no-answer',
          reason: error.name === 'AbortError' || error.name === 'TimeoutError' ? 'timed out' : error.message,
        }),
      );
      request.end(body);
    });
  };
}
