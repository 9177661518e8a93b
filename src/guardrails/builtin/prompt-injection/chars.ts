// Character classes for the scanner's pass (one table lookup per character
// instead of a chain of range tests), and the disguise spots the pass marks
// for the normaliser to build its extra views from.

export const C_B64 = 1 // base64 alphabet (standard and URL-safe)
export const C_LETTER = 2 // a letter of an alphabetic script (Latin, Greek, Cyrillic)
export const C_DIGIT = 4
export const C_LEET = 8 // a digit that stands for a letter: 0 1 3 4 5 7
export const C_SPACER = 16 // separators of spaced-out letters: space . - _ * · | / + , tab
export const C_CYRG = 32 // Cyrillic or Greek letter
export const C_ASCII_LETTER = 64
export const C_LOOKALIKE = 128 // a Latin-script look-alike no supported language writes (small capitals, dotless i, Armenian o…)
export const C_CJK = 256

export const CLASS = new Uint16Array(65536)

const set = (from: number, to: number, bits: number): void => {
  for (let c = from; c <= to; c++) CLASS[c] = (CLASS[c] as number) | bits
}
set(65, 90, C_B64 | C_LETTER | C_ASCII_LETTER)
set(97, 122, C_B64 | C_LETTER | C_ASCII_LETTER)
set(48, 57, C_B64 | C_DIGIT)
for (const c of [48, 49, 51, 52, 53, 55]) set(c, c, C_LEET)
for (const c of [43, 47, 45, 95]) set(c, c, C_B64)
for (const c of [32, 46, 45, 95, 42, 0xb7, 124, 47, 43, 44, 9]) set(c, c, C_SPACER)
for (let c = 0xc0; c <= 0x24f; c++) if (c !== 0xd7 && c !== 0xf7) set(c, c, C_LETTER)
set(0x370, 0x3ff, C_LETTER | C_CYRG)
set(0x400, 0x52f, C_LETTER | C_CYRG)
set(0x1e00, 0x1eff, C_LETTER)
// CJK
set(0x3040, 0x30ff, C_CJK)
set(0x3400, 0x4dbf, C_CJK)
set(0x4e00, 0x9fff, C_CJK)
set(0xf900, 0xfaff, C_CJK)
// Latin-script look-alikes: dotless i, IPA a/g, small capitals, Armenian letters shaped like o u g h n
for (const ch of 'ıɑɡʀᴀʙᴄᴅᴇɢʜɪᴊᴋʟᴍɴᴏᴘꜱᴛᴜᴠᴡʏᴢօսցհո') set(ch.charCodeAt(0), ch.charCodeAt(0), C_LETTER | C_LOOKALIKE)

/** Where the base view shows signs of disguise (filled by the scanner's pass). */
export interface Features {
  /** [start, end) of base64-looking runs (case still to be checked) */
  base64: Array<[number, number]>
  /** [start, end) of runs of five or more single letters with separators between */
  spaced: Array<[number, number]>
  /** where a leetspeak token starts */
  leet: number[]
  /** where a Latin letter touches a Cyrillic or Greek one inside a word, or a Latin look-alike is used */
  mixed: number[]
  /** where CJK characters are spaced out */
  cjkGap: number[]
}

export const noFeatures = (): Features => ({ base64: [], spaced: [], leet: [], mixed: [], cjkGap: [] })
