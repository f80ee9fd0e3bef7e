/** The alert as the domain sees it; see DESIGN.md "Domain". */
export const alertTypes = ['air_raid', 'artillery_shelling', 'urban_fights', 'chemical', 'nuclear'] as const
export type AlertType = (typeof alertTypes)[number]

/** CAP 1.2 status. Exercise and Test alerts never change the public Actual state. */
export const capStatuses = ['Actual', 'Exercise', 'Test'] as const
export type CapStatus = (typeof capStatuses)[number]

export interface LocalizedText {
  uk: string
  en: string
}

/** Where an alert came from: an operator at a console, a CAP upstream, the threat engine, or a history import. */
export type AlertSource = 'operator' | 'cap' | 'threat' | `import:${string}`

/**
 * When the threat behind an alert is expected over its regions (CAP `onset` and `expires`): set by the track engine,
 * from the earliest ETA over the hromadas it warns and the latest plus a margin. Only an expectation: the alert stays
 * on until its all-clear, whatever `expires` says.
 */
export interface ThreatWindow {
  onset: string
  expires: string
}

export interface Alert {
  id: string
  type: AlertType
  status: CapStatus
  /** KATOTTG codes as issued, minimal (no region inside another in the list). */
  regions: string[]
  message: LocalizedText
  instructions: LocalizedText
  source: AlertSource
  /** The threat this alert was raised for, when the threat engine raised it (absent otherwise). */
  threatId?: string
  /** When the threat is expected (tracks only; absent otherwise). */
  threatWindow?: ThreatWindow
  issuerId: string
  /** The second person who confirmed it, when the two-person rule applied. */
  confirmedBy: string | null
  startedAt: string
  updatedAt: string
  endedAt: string | null
  /** How it ended: the all-clear or a false-alarm cancellation. */
  endReason: 'all_clear' | 'cancelled' | null
  /** seq of the event that started it and of the last event that touched it. */
  startSeq: number
  lastSeq: number
}

export interface Notice {
  id: string
  regions: string[]
  text: LocalizedText
  status: CapStatus
  issuerId: string
  publishedAt: string
  seq: number
}

export const isAlertType = (s: unknown): s is AlertType =>
  typeof s === 'string' && (alertTypes as readonly string[]).includes(s)
export const isCapStatus = (s: unknown): s is CapStatus =>
  typeof s === 'string' && (capStatuses as readonly string[]).includes(s)

/**
 * The name of each alert type, wherever it is named: CAP's `event` text, the map's legend and cards, a push
 * notification's title. One table, so that a published CAP document and a phone say the same words.
 */
export const alertTypeLabels: Record<AlertType, LocalizedText> = {
  air_raid: { uk: 'Повітряна тривога', en: 'Air raid alert' },
  artillery_shelling: { uk: 'Загроза артобстрілу', en: 'Artillery shelling threat' },
  urban_fights: { uk: 'Загроза вуличних боїв', en: 'Urban fighting threat' },
  chemical: { uk: 'Хімічна загроза', en: 'Chemical threat' },
  nuclear: { uk: 'Радіаційна загроза', en: 'Nuclear threat' },
}

/** Default instructions when an issuer gives none: the one thing every resident must do. */
export const defaultInstructions: Record<AlertType, LocalizedText> = {
  air_raid: { uk: 'Прямуйте до найближчого укриття.', en: 'Go to the nearest shelter.' },
  artillery_shelling: { uk: 'Залишайтеся в укритті, подалі від вікон.', en: 'Stay in a shelter, away from windows.' },
  urban_fights: { uk: 'Залишайтеся в укритті, не виходьте на вулицю.', en: 'Stay in a shelter and off the streets.' },
  chemical: {
    uk: 'Залишайтеся в приміщенні, зачиніть вікна, захистіть органи дихання.',
    en: 'Stay indoors, close windows, protect your breathing.',
  },
  nuclear: {
    uk: 'Негайно сховайтеся в укритті або в центрі будівлі.',
    en: 'Get inside a shelter or the centre of a building at once.',
  },
}

export const defaultMessages: Record<AlertType, LocalizedText> = {
  air_raid: { uk: 'Повітряна тривога!', en: 'Air raid alert!' },
  artillery_shelling: { uk: 'Загроза артобстрілу!', en: 'Artillery shelling threat!' },
  urban_fights: { uk: 'Загроза вуличних боїв!', en: 'Urban fighting threat!' },
  chemical: { uk: 'Хімічна небезпека!', en: 'Chemical hazard!' },
  nuclear: { uk: 'Радіаційна небезпека!', en: 'Nuclear hazard!' },
}
