// Module customisation hooks (registered with `module.register`) that report every module URL the process resolves
// to the port handed over in `initialize`: how a test sees which packages a process has loaded, since ES modules
// have no require.cache to look into.
let port

export function initialize(data) {
  port = data.port
}

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context)
  port.postMessage(resolved.url)
  return resolved
}
