/**
 * Alert types in CAP terms, both ways. Published messages name the type in an `eventCode` (`sirena:type`) as well as
 * in the `event` text, so that Sirena reads its own documents exactly; documents from other systems are recognised
 * by keywords of the event text in English or Ukrainian.
 */
import { type AlertType, alertTypeLabels, isAlertType, type LocalizedText } from '../core/alert.ts'
import { SirenaError } from '../core/errors.ts'
import type { CapInfo, Category, Severity } from './model.ts'

export const typeEventCodeName = 'sirena:type'

export interface CapEventKind {
  event: LocalizedText
  categories: Category[]
  severity: Severity
}

export const capEventKinds: Record<AlertType, CapEventKind> = {
  air_raid: { event: alertTypeLabels.air_raid, categories: ['Security'], severity: 'Extreme' },
  artillery_shelling: { event: alertTypeLabels.artillery_shelling, categories: ['Security'], severity: 'Severe' },
  urban_fights: { event: alertTypeLabels.urban_fights, categories: ['Security'], severity: 'Severe' },
  chemical: { event: alertTypeLabels.chemical, categories: ['CBRNE'], severity: 'Extreme' },
  nuclear: { event: alertTypeLabels.nuclear, categories: ['CBRNE'], severity: 'Extreme' },
}

// Order matters: "nuclear missile strike" is nuclear, not an air raid. Built from strings rather than regex literals:
// the compiler writes strings as ASCII escapes but keeps regex literals as they are, and a single non-Latin-1
// character makes V8 hold the whole compiled bundle's source at two bytes a character.
const keywords: Array<[AlertType, RegExp]> = [
  // biome-ignore lint/complexity/useRegexLiterals: a regex literal would put Cyrillic into the compiled bundle.
  ['nuclear', new RegExp('nuclear|radiation|radiolog|ядерн|радіац', 'i')],
  // biome-ignore lint/complexity/useRegexLiterals: as above.
  ['chemical', new RegExp('chemical|хімічн', 'i')],
  // biome-ignore lint/complexity/useRegexLiterals: as above.
  ['artillery_shelling', new RegExp('artillery|shelling|артобстріл|обстріл', 'i')],
  // biome-ignore lint/complexity/useRegexLiterals: as above.
  ['urban_fights', new RegExp('urban fight|street fight|вуличн', 'i')],
  [
    'air_raid',
    // biome-ignore lint/complexity/useRegexLiterals: as above.
    new RegExp('air[\\s-]?raid|air[\\s-]?strike|missile|drone|\\buav\\b|ballistic|повітрян|ракет|дрон|бпла', 'i'),
  ],
]

/** The alert type of a CAP message: the `sirena:type` event code, else keywords of `event`; all infos must agree. */
export function alertTypeOf(infos: readonly CapInfo[]): AlertType {
  const found = new Set<AlertType>()
  for (const info of infos) {
    const code = info.eventCodes.find((c) => c.valueName.toLowerCase() === typeEventCodeName)?.value
    const type = isAlertType(code) ? code : keywords.find(([, re]) => re.test(info.event))?.[0]
    if (type) found.add(type)
  }
  if (found.size > 1)
    throw new SirenaError('invalid_cap', `the infos name different alert types: ${[...found].join(', ')}`)
  const [type] = found
  if (!type) {
    const events = infos.map((i) => JSON.stringify(i.event)).join(', ') || 'none'
    throw new SirenaError(
      'invalid_cap',
      `cannot tell the alert type from the event (${events}); name it in an eventCode ${typeEventCodeName} (${Object.keys(capEventKinds).join(', ')})`,
    )
  }
  return type
}
