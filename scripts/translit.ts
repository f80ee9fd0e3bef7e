/**
 * Ukrainian → Latin by the official national transliteration (Cabinet of Ministers resolution No. 55 of 27.01.2010).
 * Used by the region build for names that have no English form in the boundary data. Build-time only.
 */

// Letters whose Latin form differs at the start of a word (є ї й ю я) are in `initial`.
const table: Record<string, string> = {
  а: 'a',
  б: 'b',
  в: 'v',
  г: 'h',
  ґ: 'g',
  д: 'd',
  е: 'e',
  є: 'ie',
  ж: 'zh',
  з: 'z',
  и: 'y',
  і: 'i',
  ї: 'i',
  й: 'i',
  к: 'k',
  л: 'l',
  м: 'm',
  н: 'n',
  о: 'o',
  п: 'p',
  р: 'r',
  с: 's',
  т: 't',
  у: 'u',
  ф: 'f',
  х: 'kh',
  ц: 'ts',
  ч: 'ch',
  ш: 'sh',
  щ: 'shch',
  ь: '',
  ю: 'iu',
  я: 'ia',
  // Not Ukrainian letters, but OSM names occasionally carry Russian spellings; map them rather than leak Cyrillic.
  ы: 'y',
  э: 'e',
  ё: 'io',
  ъ: '',
}

const initial: Record<string, string> = { є: 'ye', ї: 'yi', й: 'y', ю: 'yu', я: 'ya' }

// The resolution drops the apostrophe and the soft sign; these are the apostrophe look-alikes found in the sources.
const apostrophes = new Set(['’', "'", 'ʼ', '`', '´', '‘'])

const isCyrillicLetter = (ch: string | undefined): boolean => ch !== undefined && /\p{Script=Cyrillic}/u.test(ch)
const isLetter = (ch: string | undefined): boolean => ch !== undefined && /\p{L}/u.test(ch)

export function transliterate(text: string): string {
  const chars = [...text.normalize('NFC')]
  let out = ''
  let wordStart = true
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!
    if (apostrophes.has(ch) && isLetter(chars[i - 1]) && isLetter(chars[i + 1])) continue
    const lower = ch.toLowerCase()
    if (!isCyrillicLetter(ch) || !(lower in table)) {
      out += ch
      wordStart = !isLetter(ch)
      continue
    }
    let latin = wordStart ? (initial[lower] ?? table[lower]!) : table[lower]!
    // «зг» is written zgh so that it is not read as the digraph «ж» (Zghurivka, Rozghon).
    if (lower === 'г' && chars[i - 1]?.toLowerCase() === 'з') latin = 'gh'
    if (ch !== lower && latin) {
      const nextUpper = isCyrillicLetter(chars[i + 1]) && chars[i + 1] !== chars[i + 1]!.toLowerCase()
      latin = nextUpper ? latin.toUpperCase() : latin[0]!.toUpperCase() + latin.slice(1)
    }
    out += latin
    wordStart = false
  }
  return out
}
