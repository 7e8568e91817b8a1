import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { lookup as dnsLookup } from 'node:dns';
import { Webhook } from 'standardwebhooks';
import type { WebhookRequest, WebhookSender } from '../../core/ports.ts';
import type { SendResult } from '../../core/webhooks.ts';
import { DELIVERY_TIMEOUT_MS } from '../../core/webhooks.ts';

export interface HttpWebhookSenderOptions {
  /** Allow http:// URLs (locally); on AWS only https is sent to. */
  allowHttp: boolean;
  /** Allow private, loopback and link-local addresses (locally; on AWS only if the stack says so). */
  allowPrivateAddresses: boolean;
  timeoutMs?: number;
}

/** Addresses a webhook must not reach from inside the cloud: the VPC, the host, the metadata service. */
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv6');

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  // An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is checked as the IPv4 address it is.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return PRIVATE.check(mapped, 'ipv4');
  return PRIVATE.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * POSTs webhooks signed per Standard Webhooks (the `standardwebhooks` library signs), following no
 * redirects. The address check runs on the address actually connected to (in the DNS lookup the
 * socket uses), so a name that resolves to a private address later than it was checked still fails.
 */
export class HttpWebhookSender implements WebhookSender {
  constructor(private readonly options: HttpWebhookSenderOptions) {}

  async send(req: WebhookRequest): Promise<SendResult> {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return { error: 'the URL is not valid', permanent: true };
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.options.allowHttp))
      return { error: `${url.protocol} URLs are not allowed here: use https`, permanent: true };
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (!this.options.allowPrivateAddresses && isPrivateAddress(host))
      return { error: `${host} is a private, loopback or link-local address`, permanent: true };

    const signature = new Webhook(req.secret).sign(req.id, req.timestamp, req.payload);
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'runlater-webhooks',
      'webhook-id': req.id,
      'webhook-timestamp': String(Math.floor(req.timestamp.getTime() / 1000)),
      'webhook-signature': signature,
    };
    const options: RequestOptions = {
      method: 'POST',
      headers,
      timeout: this.options.timeoutMs ?? DELIVERY_TIMEOUT_MS,
      ...(this.options.allowPrivateAddresses ? {} : { lookup: this.guardedLookup }),
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<SendResult>((resolve) => {
      const request = send(url, options, (res) => {
        res.resume(); // the body is not read: only the status counts
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
        res.on('error', () => resolve({ status: res.statusCode ?? 0 }));
      });
      request.on('timeout', () => request.destroy(new Error(`no answer within ${options.timeout} ms`)));
      request.on('error', (err: NodeJS.ErrnoException) =>
        resolve({ error: err.message, ...(err.code === 'EPRIVATEADDRESS' ? { permanent: true } : {}) }),
      );
      request.end(req.payload);
    });
  }

  private readonly guardedLookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as unknown as { address: string; family: number }[];
      const bad = list.find((a) => isPrivateAddress(a.address));
      if (bad) {
        const refused: NodeJS.ErrnoException = new Error(
          `${hostname} resolves to ${bad.address}, a private, loopback or link-local address`,
        );
        refused.code = 'EPRIVATEADDRESS';
        return callback(refused, '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: typeof list) => void)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
}
