// Every signal the detector knows, by language: English, Spanish, French,
// German, Russian, Portuguese, Italian, Chinese and Japanese phrase tables,
// plus the language-neutral delimiter and obfuscation signals.
import { NEUTRAL } from './neutral.ts'
import { DE } from './lang/de.ts'
import { EN } from './lang/en.ts'
import { ES } from './lang/es.ts'
import { FR } from './lang/fr.ts'
import { IT } from './lang/it.ts'
import { JA } from './lang/ja.ts'
import { PT } from './lang/pt.ts'
import { RU } from './lang/ru.ts'
import { ZH } from './lang/zh.ts'
import type { Signal } from './signal.ts'

export const LANGUAGES = ['en', 'es', 'fr', 'de', 'ru', 'pt', 'it', 'zh', 'ja'] as const

export const SIGNALS: readonly Signal[] = [...EN, ...ES, ...FR, ...DE, ...RU, ...PT, ...IT, ...ZH, ...JA, ...NEUTRAL]
