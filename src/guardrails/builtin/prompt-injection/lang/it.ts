// Italian phrase tables.
import { overrideSignals } from '../latin.ts'
import { B, E, alt, signal, type Signal } from '../signal.ts'

const STRONG = String.raw`tue|tuoi|tua|tuo|sue|suoi|vostre|vostri|precedenti|di prima|sopra|qui sopra|originali|originarie|iniziali|del sistema|di sistema|esistenti|di sicurezza|etiche|morali|interne|nascoste|predefinite|ricevute|date`
const MEDIUM = String.raw`tutte|tutti|qualsiasi|qualunque|ogni|queste|questi|quelle|quelli|altre|altri`

const override = overrideSignals({
  lang: 'it',
  anchors: ['ignor', 'dimen', 'trasc', 'trala', 'scart', 'annul', 'cance', 'salta', 'bypas', 'disob', 'frega'],
  phrasal: { anchors: ['non', 'smett', 'lasci'], next: ['seguire', 'seguite', 'segua', 'rispettare', 'rispettate', 'tenere', 'tenete', 'di', 'perdere'] },
  verbs: alt(
    'ignora', 'ignorate', 'ignori', 'ignorare', 'dimentica', 'dimenticate', 'dimentichi', 'dimenticare', 'trascura', 'trascurate', 'tralascia', 'tralasciate', 'scarta', 'scartate',
    'non seguire', 'non seguite', 'non segua', 'non rispettare', 'non rispettate', 'smetti di (?:seguire|rispettare)', 'smettila di seguire', 'lascia perdere', 'lasciate perdere', 'annulla', 'annullate',
    'cancella', 'cancellate', 'salta', 'bypassa', 'disobbedisci (?:a|alle|ai)', 'non tenere conto (?:di|delle|dei|degli)', 'non tenete conto (?:di|delle|dei|degli)', 'fregatene (?:di|delle|dei)',
  ),
  fill: `${STRONG}|${MEDIUM}|le|la|gli|i|il|lo|di|delle|dei|degli|mie|miei|mia|mio|nostre|nostri|e|o|che|ti|hanno|dato|sono|state|più|piu|\\*+|"|'`,
  strongMid: new RegExp(`(?<![\\p{L}])(?:${STRONG})(?![\\p{L}])`, 'u'),
  quantMid: new RegExp(`(?<![\\p{L}])(?:${MEDIUM})(?![\\p{L}])`, 'u'),
  objects: String.raw`istruzioni|istruzione|regole|regola|indicazioni|direttive|ordini|norme|restrizioni|limitazioni|comandi|prompts?|vincoli|linee guida|politiche|filtri|programmazione|limiti|messaggio di sistema|prompt di sistema`,
  weakObjects: String.raw`messaggi|contesto|impostazioni|compiti|compito|obiettivi|conversazione|testo`,
  strongAfter: String.raw`precedenti|di prima|sopra|qui sopra|originali|iniziali|del sistema|di sistema|di (?:openai|anthropic|google)|dei (?:tuoi )?(?:sviluppatori|creatori)|esistenti|di sicurezza|etiche|ricevute|date|che ti (?:hanno dato|sono state date|ho dato|abbiamo dato)|fino(?: a)? (?:ad )?ora|finora`,
  benignAfter: /^[\s,]*(?:(?:del|della|dello|sul|sulla|nel|nella|sulle|dei) (?!sistema|prompt|conversazione|chat|contesto)|che (?:ti )?(?:ho|abbiamo) )/u,
})

const everything = signal({
  id: 'it.override.everything',
  family: 'instruction_override',
  anchors: ['dimen', 'ignor'],
  pattern: `${B}(?:dimentica|dimenticate|ignora|ignorate) tutto (?:(?:quello|ciò|cio|quanto) (?:che )?(?:ti (?:hanno detto|è stato detto|e stato detto|hanno insegnato|hanno ordinato|hanno dato)|(?:è|e) stato (?:detto|scritto) (?:prima|sopra|finora)|(?:c'è|c'e) (?:sopra|prima)|ti ho detto)|(?:quanto )?(?:sopra|di prima|precedente))${E}`,
  weight: 0.8,
  position: 'latin',
  weigh: (m) => (/ti ho detto/.test(m[0]) ? 0.1 : /hanno|stato detto|stato scritto/.test(m[0]) ? 0.8 : 0.45),
})

const status = signal({
  id: 'it.override.void',
  family: 'instruction_override',
  anchors: ['le', 'tutte'],
  pattern: `${B}(?:le tue|tutte le|le) (?:istruzioni|regole|direttive|restrizioni|indicazioni)(?: (?:precedenti|originali|di sistema|del sistema))? (?:non (?:valgono|sono) più(?: valide)?|non (?:valgono|sono) piu(?: valide)?|non si applicano più|non si applicano piu|sono (?:annullate|revocate|sospese|decadute|nulle|cancellate))${E}`,
  weight: 0.75,
  weigh: (m) => (/tue|tutte|precedenti|originali|sistema/.test(m[0]) ? 0.75 : 0.2),
})

const noRestrictions = signal({
  id: 'it.jailbreak.no_restrictions',
  family: 'roleplay_jailbreak',
  anchors: ['senza', 'liber', 'privo', 'priva'],
  pattern: `(?=(?:senza|liber[oa] da|privo di|priva di) )(?<=${B}(?:agisci|agite|fingi|fingete|comportati|comportatevi|rispondi|rispondete|sei|sarai|interpreta|interpretate|diventa|recita|impersona)${E}[^.!?\\n]{0,80})(?:senza|liber[oa] da|privo di|priva di) (?:alcuna |nessuna |alcun |nessun |le |i |tue |tuoi |qualsiasi )?(?:restrizioni|restrizione|limiti|filtri|censura|regole|etica|morale|limitazioni|vincoli|freni|scrupoli|norme)${E}`,
  weight: 0.8,
})

const mode = signal({
  id: 'it.jailbreak.mode',
  family: 'roleplay_jailbreak',
  anchors: ['modal'],
  pattern: `(?<=${B}(?:attiva|attivate|entra in|entrate in|passa (?:in|alla)|sei (?:(?:ora|adesso) )?in|in|nella) (?:la )?)modalità (sviluppatore|dan|senza restrizioni|senza censura|senza filtri|jailbreak|dio|libera|malvagia|senza limiti|debug|amministratore)${E}`,
  weight: 0.65,
  weigh: (m) => (/sviluppatore|dio|libera|debug|amministratore/.test(m[1] ?? '') ? 0.3 : 0.65),
})

const youAreNow = signal({
  id: 'it.jailbreak.you_are_now',
  family: 'roleplay_jailbreak',
  anchors: ['ora', 'adess'],
  pattern: `(?:${B}(?:ora|adesso) sei|(?<=(?:${B}da |${B}d'))ora in poi,? (?:tu )?(?:sei|sarai|risponderai|agirai|devi))${E}`,
  weight: 0.25,
})

const noLonger = signal({
  id: 'it.jailbreak.no_longer',
  family: 'roleplay_jailbreak',
  anchors: ['non'],
  pattern: `${B}non sei (?:più|piu) (?:un'ia|un'intelligenza artificiale|un assistente|un modello linguistico|chatgpt|limitat[oa]|vincolat[oa]|obbligat[oa]|tenut[oa]|legat[oa]|soggett[oa])${E}`,
  weight: 0.6,
})

const anythingNow = signal({
  id: 'it.jailbreak.do_anything_now',
  family: 'roleplay_jailbreak',
  anchors: ['fare', 'fai', 'può', 'puo', 'puoi'],
  pattern: `${B}(?:fare|fai|può fare|puo fare|puoi fare) qualsiasi cosa (?:ora|adesso)${E}`,
  weight: 0.45,
})

const exfil = signal({
  id: 'it.exfil.system_prompt',
  family: 'prompt_exfiltration',
  anchors: ['rivel', 'mostr', 'stamp', 'ripet', 'dimmi', 'ditem', 'scriv', 'copia', 'condi', 'dammi', 'datem', 'svela', 'elenc', 'ripor', 'cita'],
  pattern: `${B}(?:rivela|rivelami|rivelate|mostra|mostrami|mostrate|stampa|stampami|ripeti|ripetimi|dimmi|ditemi|scrivi|scrivimi|copia|condividi|dammi|datemi|svela|svelami|elenca|riporta|cita)(?: mi)? (?:(?:il|la|i|le|tuo|tua|tuoi|tue|tutto|tutte|completo|completa|esatto|esatte|intero|integrale|parola per parola) ){0,3}(?:prompt (?:di sistema|del sistema|iniziale|originale)|messaggio (?:di|del) sistema|istruzioni (?:iniziali|originali|di sistema|del sistema|nascoste|segrete|interne)|istruzioni che (?:ti )?(?:hanno dato|hai ricevuto)|prompt|istruzioni)${E}`,
  weight: 0.85,
  position: 'latin',
  weigh: (m) => (/sistema|iniziali|originali|nascoste|segrete|interne|ricevuto|hanno dato|iniziale|originale/.test(m[0]) ? 0.85 : /(?:^|\s)(?:tuo|tua|tuoi|tue)\s/.test(m[0]) ? 0.65 : 0),
})

const exfilQuestion = signal({
  id: 'it.exfil.question',
  family: 'prompt_exfiltration',
  anchors: ['qual', 'quali'],
  pattern: `${B}(?:quali (?:istruzioni|regole|direttive|indicazioni|ordini) (?:ti hanno dato|hai ricevuto|ti sono state date)|(?:qual è il tuo|qual e il tuo|qual'è il tuo|quali sono le tue) (?:prompt (?:di|del) sistema|istruzioni (?:iniziali|originali|di sistema|del sistema)))${E}`,
  weight: 0.6,
})

const noRules = signal({
  id: 'it.jailbreak.no_rules',
  family: 'roleplay_jailbreak',
  anchors: ['non'],
  pattern: `${B}non (?:devi|sei tenut[oa] a|hai bisogno di) (?:più |piu )?(?:seguire|rispettare|obbedire a) (?:alcuna |nessuna |le |i |tue |tuoi |qualsiasi )?(?:regol[ae]|restrizion[ie]|linee guida|limiti|istruzion[ie]|politiche)${E}|${B}non hai (?:più |piu )?(?:alcuna |nessuna |alcun |nessun )?(?:restrizion[ie]|regol[ae]|limiti|filtri|censura)${E}`,
  weight: 0.6,
})

export const IT: readonly Signal[] = [noRules, ...override, everything, status, noRestrictions, mode, youAreNow, noLonger, anythingNow, exfil, exfilQuestion]
