import { BlockList, isIP } from 'node:net'

/**
 * Outbound targets that users register (webhooks, push endpoints) must not point Sirena at itself or its private
 * network (SSRF). This checks the literal host of a URL; names that resolve to private addresses are the
 * deployment's egress firewall's job.
 */
const privateNetworks = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const) {
  privateNetworks.addSubnet(net, prefix, 'ipv4')
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const) {
  privateNetworks.addSubnet(net, prefix, 'ipv6')
}

/** True for a literal loopback, private or link-local address. */
export function isPrivateAddress(address: string): boolean {
  // ::ffff:10.0.0.1 is 10.0.0.1 to the socket layer.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1]
  if (mapped) return isPrivateAddress(mapped)
  const family = isIP(address)
  if (family === 0) return false
  return privateNetworks.check(address, family === 4 ? 'ipv4' : 'ipv6')
}

/** True when a URL's host is `localhost`, a `.localhost` name or a literal private address. */
export function isPrivateHost(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '')
  return host === 'localhost' || host.endsWith('.localhost') || isPrivateAddress(host)
}
