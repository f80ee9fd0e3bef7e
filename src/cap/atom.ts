/**
 * The Atom index of CAP messages (RFC 4287), following what real CAP feeds do (see the CAP feed notes in the shared
 * data's SOURCES.md): one entry per message, its id the CAP identifier, `updated` its `sent`, and a link to the full
 * document with both `rel="alternate"` and `type="application/cap+xml"`, since consumers look for either.
 */
import type { CapAlert } from './model.ts'
import { onFirstUse } from './on-first-use.ts'

export const atomNamespace = 'http://www.w3.org/2005/Atom'
export const capMediaType = 'application/cap+xml'

export interface FeedEntry {
  message: CapAlert
  /** Absolute URL of the signed CAP document. */
  href: string
}

export interface Feed {
  id: string
  title: string
  selfHref: string
  author: string
  /** RFC 3339 time of the last change. */
  updated: string
  entries: FeedEntry[]
}

const fastXmlParser = onFirstUse<typeof import('fast-xml-parser')>('fast-xml-parser')
let xmlBuilder: import('fast-xml-parser').XMLBuilder | undefined
function builder() {
  xmlBuilder ??= new (fastXmlParser().XMLBuilder)({ ignoreAttributes: false, format: true, indentBy: '  ' })
  return xmlBuilder
}

/** CAP's `+00:00` offsets are valid RFC 3339; Atom readers prefer UTC, so times are normalised. */
const rfc3339 = (capTime: string) => new Date(capTime).toISOString().replace(/\.\d{3}Z$/, 'Z')

/** Prefers the English info for titles: feed readers are mostly tooling; the CAP document itself has both languages. */
function summaryOf(m: CapAlert) {
  const info = m.infos.find((i) => i.language.startsWith('en')) ?? m.infos[0]
  return { title: info?.headline ?? info?.event ?? `${m.msgType} ${m.identifier}`, summary: info?.description }
}

export function buildAtomFeed(f: Feed): string {
  return builder().build({
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    feed: {
      '@_xmlns': atomNamespace,
      id: f.id,
      title: f.title,
      updated: f.updated,
      author: { name: f.author },
      link: { '@_rel': 'self', '@_type': 'application/atom+xml', '@_href': f.selfHref },
      entry: f.entries.map(({ message: m, href }) => {
        const { title, summary } = summaryOf(m)
        return {
          id: m.identifier,
          title,
          updated: rfc3339(m.sent),
          published: rfc3339(m.sent),
          author: { name: m.sender },
          category: [
            { '@_term': m.status, '@_scheme': 'urn:oasis:names:tc:emergency:cap:1.2#status' },
            { '@_term': m.msgType, '@_scheme': 'urn:oasis:names:tc:emergency:cap:1.2#msgType' },
          ],
          link: { '@_rel': 'alternate', '@_type': capMediaType, '@_href': href },
          summary,
        }
      }),
    },
  })
}
