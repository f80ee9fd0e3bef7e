import { type AlertType, defaultInstructions, defaultMessages, type LocalizedText } from '../../core/alert.ts'

/** Wordings a duty officer starts from. The first per type is the default every channel falls back to. */
export interface AlertTemplate {
  id: string
  label: LocalizedText
  message: LocalizedText
  instructions: LocalizedText
}

const extra: Partial<Record<AlertType, AlertTemplate[]>> = {
  air_raid: [
    {
      id: 'air_raid.missiles',
      label: { uk: 'Ракетна загроза', en: 'Missile threat' },
      message: { uk: 'Повітряна тривога! Загроза ракетного удару.', en: 'Air raid alert! Missile strike threat.' },
      instructions: {
        uk: 'Негайно прямуйте до укриття. Залишайтеся там до відбою тривоги.',
        en: 'Go to a shelter now. Stay there until the all-clear.',
      },
    },
    {
      id: 'air_raid.ballistic',
      label: { uk: 'Балістика', en: 'Ballistic missiles' },
      message: { uk: 'Повітряна тривога! Загроза балістичних ракет.', en: 'Air raid alert! Ballistic missile threat.' },
      instructions: {
        uk: 'Час підльоту — хвилини. Негайно в укриття або за дві стіни.',
        en: 'Flight time is minutes. Shelter at once, or behind two walls.',
      },
    },
    {
      id: 'air_raid.drones',
      label: { uk: 'Ударні БпЛА', en: 'Attack drones' },
      message: { uk: 'Повітряна тривога! Загроза ударних БпЛА.', en: 'Air raid alert! Attack drone threat.' },
      instructions: {
        uk: 'Прямуйте до укриття, тримайтеся подалі від вікон.',
        en: 'Go to a shelter and keep away from windows.',
      },
    },
  ],
}

export function alertTemplates(type: AlertType): AlertTemplate[] {
  return [
    {
      id: `${type}.default`,
      label: { uk: 'Стандартний', en: 'Standard' },
      message: defaultMessages[type],
      instructions: defaultInstructions[type],
    },
    ...(extra[type] ?? []),
  ]
}

export const noticeTemplates: Array<{ id: string; label: LocalizedText; text: LocalizedText }> = [
  {
    id: 'air_defence',
    label: { uk: 'Працює ППО', en: 'Air defence operating' },
    text: {
      uk: 'Працює протиповітряна оборона! Залишайтеся в укриттях до відбою тривоги!',
      en: 'Air defence is operating! Stay in shelters until the all-clear is given!',
    },
  },
  {
    id: 'debris',
    label: { uk: 'Уламки', en: 'Debris' },
    text: {
      uk: 'Можливе падіння уламків. Не наближайтеся до них і повідомте за номером 101.',
      en: 'Debris may fall. Do not approach it; report it by calling 101.',
    },
  },
  {
    id: 'after_clear',
    label: { uk: 'Після відбою', en: 'After the all-clear' },
    text: {
      uk: 'Відбій тривоги. Будьте уважні: стежте за офіційними повідомленнями.',
      en: 'All clear. Stay alert and follow official announcements.',
    },
  },
]
