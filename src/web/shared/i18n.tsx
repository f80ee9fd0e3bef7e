import { type ComponentChildren, createContext } from 'preact'
import { useContext, useEffect, useState } from 'preact/hooks'
import { type Lang, langs } from './labels.ts'
import { storage } from './storage.ts'

/** Every string the pages show, Ukrainian first. `{name}` placeholders are filled by `t(key, vars)`. */
const dict = {
  appTitle: { uk: 'Мапа повітряних тривог', en: 'Air-raid alert map' },
  consoleTitle: { uk: 'Пульт оператора', en: 'Operator console' },
  skipToContent: { uk: 'Перейти до вмісту', en: 'Skip to content' },
  language: { uk: 'Мова', en: 'Language' },
  live: { uk: 'Наживо', en: 'Live' },
  reconnecting: { uk: 'Перепідключення…', en: 'Reconnecting…' },
  offline: { uk: 'Немає звʼязку з сервером', en: 'No connection to the server' },
  updatedAt: { uk: 'Оновлено {time}', en: 'Updated {time}' },
  loadingMap: { uk: 'Завантаження мапи…', en: 'Loading the map…' },
  mapLabel: { uk: 'Мапа України: {summary}', en: 'Map of Ukraine: {summary}' },
  mapHelp: {
    uk: 'Мапа. Стрілки — зсув, + і − — масштаб, 0 — скинути.',
    en: 'Map. Arrow keys pan, + and − zoom, 0 resets.',
  },
  summaryNone: { uk: 'тривог немає', en: 'no alerts' },
  summarySome: { uk: 'тривога в {n} з {total} областей', en: 'alerts in {n} of {total} oblasts' },
  level: { uk: 'Рівень', en: 'Level' },
  levelOblast: { uk: 'Області', en: 'Oblasts' },
  levelRaion: { uk: 'Райони', en: 'Raions' },
  levelHromada: { uk: 'Громади', en: 'Hromadas' },
  zoomIn: { uk: 'Збільшити', en: 'Zoom in' },
  zoomOut: { uk: 'Зменшити', en: 'Zoom out' },
  zoomReset: { uk: 'Вся країна', en: 'Whole country' },
  timeToShelter: { uk: 'Час до укриття: {duration}', en: 'Time to shelter: {duration}' },
  legend: { uk: 'Легенда', en: 'Legend' },
  statusActive: { uk: 'Тривога', en: 'Alert' },
  statusPartial: { uk: 'Тривога в частині', en: 'Alert in part' },
  statusNone: { uk: 'Немає тривоги', en: 'No alert' },
  since: { uk: 'з {time}', en: 'since {time}' },
  lasting: { uk: 'триває {duration}', en: 'for {duration}' },
  lasted: { uk: 'тривала {duration}', en: 'lasted {duration}' },
  activeAlerts: { uk: 'Активні тривоги', en: 'Active alerts' },
  noActiveAlerts: { uk: 'Зараз тривог немає.', en: 'No alerts right now.' },
  recentClears: { uk: 'Нещодавні відбої', en: 'Recent all-clears' },
  noRecentClears: { uk: 'Відбоїв ще не було.', en: 'No all-clears yet.' },
  allClear: { uk: 'Відбій', en: 'All clear' },
  cancelled: { uk: 'Скасовано (помилкова)', en: 'Cancelled (false alarm)' },
  notices: { uk: 'Повідомлення', en: 'Notices' },
  noNotices: { uk: 'Повідомлень немає.', en: 'No notices.' },
  oblastsTable: { uk: 'Стан усіх областей', en: 'Status of every oblast' },
  region: { uk: 'Регіон', en: 'Region' },
  status: { uk: 'Стан', en: 'Status' },
  details: { uk: 'Докладно', en: 'Details' },
  back: { uk: '← До мапи', en: '← Back to the map' },
  history: { uk: 'Історія', en: 'History' },
  last30Days: { uk: 'Останні 30 днів', en: 'Last 30 days' },
  alertsPerDay: { uk: 'Тривог за день', en: 'Alerts per day' },
  hoursPerDay: { uk: 'Годин під тривогою', en: 'Hours under alert' },
  totalHours: { uk: 'Разом: {n} тривог, {hours} год', en: 'In total: {n} alerts, {hours} h' },
  timeline: { uk: 'Хронологія', en: 'Timeline' },
  noHistory: { uk: 'За цей час тривог не було.', en: 'No alerts in this period.' },
  stillActive: { uk: 'триває', en: 'active' },
  myRegion: { uk: 'Мій регіон', en: 'My region' },
  chooseRegion: { uk: 'Оберіть свою громаду', en: 'Choose your hromada' },
  searchPlaceholder: { uk: 'Назва громади, міста, району…', en: 'Hromada, city or raion name…' },
  search: { uk: 'Пошук', en: 'Search' },
  noMatches: { uk: 'Нічого не знайдено.', en: 'Nothing found.' },
  geolocate: { uk: 'Визначити за місцем', en: 'Use my location' },
  geolocating: { uk: 'Визначаємо…', en: 'Locating…' },
  geolocateFailed: { uk: 'Не вдалося визначити місце: {reason}', en: 'Could not find your location: {reason}' },
  outsideMap: { uk: 'Це місце поза мапою регіонів.', en: 'That place is outside the region map.' },
  change: { uk: 'Змінити', en: 'Change' },
  pushOn: { uk: 'Сповіщати мене (Web Push)', en: 'Notify me (Web Push)' },
  pushOff: { uk: 'Вимкнути сповіщення', en: 'Turn notifications off' },
  pushActive: { uk: 'Сповіщення увімкнено.', en: 'Notifications are on.' },
  pushUnsupported: { uk: 'Цей браузер не підтримує Web Push.', en: 'This browser does not support Web Push.' },
  pushDenied: {
    uk: 'Сповіщення заборонені в налаштуваннях браузера.',
    en: 'Notifications are blocked in the browser settings.',
  },
  pushFailed: { uk: 'Не вдалося підписатися: {reason}', en: 'Could not subscribe: {reason}' },
  sound: { uk: 'Звук сирени, поки триває тривога тут', en: 'Siren sound while an alert is active here' },
  soundPlaying: { uk: 'Звучить сирена', en: 'Siren is sounding' },
  mute: { uk: 'Вимкнути звук до відбою', en: 'Silence until the all-clear' },
  soundNeedsTap: { uk: 'Натисніть, щоб дозволити звук', en: 'Tap to allow sound' },
  yourRegionActive: { uk: 'У вашому регіоні тривога!', en: 'Alert in your region!' },
  yourRegionCalm: { uk: 'У вашому регіоні тривоги немає.', en: 'No alert in your region.' },
  dismiss: { uk: 'Закрити', en: 'Dismiss' },
  exerciseNeverShown: {
    uk: 'Навчальні й тестові тривоги на цій мапі не показуються.',
    en: 'Exercise and test alerts are never shown on this map.',
  },
  attribution: { uk: 'Дані про межі', en: 'Boundary data' },
  consoleLink: { uk: 'Пульт оператора', en: 'Operator console' },
  error: { uk: 'Помилка', en: 'Error' },
  retry: { uk: 'Спробувати ще', en: 'Try again' },
} as const satisfies Record<string, Record<Lang, string>>

export type MessageKey = keyof typeof dict
export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string

export type Dictionary = Record<string, Record<Lang, string>>

const fill = (s: string, vars?: Record<string, string | number>) =>
  vars ? s.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m)) : s

export const translate = (lang: Lang, key: MessageKey, vars?: Record<string, string | number>): string =>
  fill(dict[key][lang], vars)

interface LangState {
  lang: Lang
  setLang: (l: Lang) => void
  t: Translate
}

const LangContext = createContext<LangState>({
  lang: 'uk',
  setLang: () => undefined,
  t: (k, v) => translate('uk', k, v),
})

/** Ukrainian by default; the choice is remembered, and `<html lang>` follows it for screen readers. */
export function LangProvider({ children }: { children: ComponentChildren }) {
  const [lang, setLangState] = useState<Lang>(() => {
    const saved = storage.get('lang')
    return langs.includes(saved as Lang) ? (saved as Lang) : 'uk'
  })
  useEffect(() => {
    document.documentElement.lang = lang
  }, [lang])
  const setLang = (l: Lang) => {
    storage.set('lang', l)
    setLangState(l)
  }
  const t: Translate = (key, vars) => translate(lang, key, vars)
  return <LangContext.Provider value={{ lang, setLang, t }}>{children}</LangContext.Provider>
}

export const useLang = () => useContext(LangContext)

/** Renders children in a fixed language (the console previews both languages side by side). */
export function InLang({ lang, children }: { lang: Lang; children: ComponentChildren }) {
  const outer = useContext(LangContext)
  const t: Translate = (key, vars) => translate(lang, key, vars)
  return <LangContext.Provider value={{ lang, setLang: outer.setLang, t }}>{children}</LangContext.Provider>
}

/** A page's own strings (the console has many the map never shows), in the current language. */
export function useText<D extends Dictionary>(d: D): (key: keyof D, vars?: Record<string, string | number>) => string {
  const { lang } = useLang()
  return (key, vars) => fill(d[key]![lang], vars)
}

export function LangSwitch() {
  const { lang, setLang, t } = useLang()
  return (
    <fieldset class="lang-switch">
      <legend class="visually-hidden">{t('language')}</legend>
      {langs.map((l) => (
        <button key={l} type="button" aria-pressed={lang === l} onClick={() => setLang(l)} lang={l}>
          {l === 'uk' ? 'УКР' : 'ENG'}
        </button>
      ))}
    </fieldset>
  )
}
