// Check digits that separate real identifiers from look-alikes: Luhn for
// payment cards, ISO 13616 mod-97 (with the registry's per-country lengths)
// for IBANs.

/** Luhn over a string of ASCII digits (no separators). */
export function luhn(digits: string): boolean {
  let sum = 0
  let double = false
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48
    if (d < 0 || d > 9) return false
    if (double) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
    double = !double
  }
  return digits.length > 0 && sum % 10 === 0
}

/** IBAN length by country (SWIFT IBAN registry). */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28,
  CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18,
  FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22,
  IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20,
  LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28, NL: 18,
  NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24, SC: 31,
  SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29,
  VA: 22, VG: 24, XK: 20, YE: 30,
}

/**
 * ISO 7064 mod 97-10 over a compact, upper-case IBAN: the first four
 * characters move to the end, letters become 10..35, the number mod 97 is 1.
 */
export function ibanChecksumOk(iban: string): boolean {
  if (iban.length < 5) return false
  const rearranged = iban.slice(4) + iban.slice(0, 4)
  let rem = 0
  for (let i = 0; i < rearranged.length; i++) {
    const c = rearranged.charCodeAt(i)
    if (c >= 48 && c <= 57) rem = (rem * 10 + (c - 48)) % 97
    else if (c >= 65 && c <= 90) rem = (rem * 100 + (c - 55)) % 97
    else return false
  }
  return rem === 1
}

/** A compact IBAN with a known country, its registry length and a valid checksum. */
export function ibanValid(iban: string): boolean {
  const len = IBAN_LENGTHS[iban.slice(0, 2)]
  return len !== undefined && iban.length === len && ibanChecksumOk(iban)
}
