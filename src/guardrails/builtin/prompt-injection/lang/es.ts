// Spanish phrase tables.
import { overrideSignals } from '../latin.ts'
import { B, E, alt, signal, type Signal } from '../signal.ts'

const STRONG = String.raw`tus|sus|vuestras?|anteriores|previas|previos|precedentes|originales|iniciales|del sistema|de sistema|sistema|de arriba|antiguas|existentes|de seguridad|éticas|eticas|morales|internas|ocultas|predeterminadas|dadas|recibidas`
const MEDIUM = String.raw`todas?|todos?|cualquier|cada|esas?|esos?|estas?|estos?|demás`

const override = overrideSignals({
  lang: 'es',
  anchors: ['ignor', 'olvid', 'desca', 'omite', 'omita', 'omiti', 'desat', 'desob', 'anula', 'anule', 'sálta', 'salta', 'sálte', 'borra', 'elimi'],
  phrasal: { anchors: ['no', 'haz', 'haga', 'hacer', 'deja', 'pasa', 'pase', 'pases', 'pasar'], next: ['sigas', 'sigan', 'siga', 'hagas', 'obedezcas', 'obedezca', 'tengas', 'tenga', 'caso', 'de', 'por'] },
  verbs: alt(
    'ignora', 'ignore', 'ignoren', 'ignorad', 'ignores', 'ignorar', 'olvida', 'olvide', 'olviden', 'olvidad', 'olvides', 'olvidar', 'descarta', 'descarte', 'descartes', 'descartar',
    'omite', 'omita', 'omitas', 'omitir', 'desatiende', 'desatienda', 'desobedece', 'desobedezca', 'pasa por alto', 'pase por alto', 'pases por alto', 'pasar por alto',
    'haz caso omiso (?:de|a)', 'haga caso omiso (?:de|a)', 'hacer caso omiso (?:de|a)', 'no (?:sigas|sigan|siga|hagas caso (?:a|de)|obedezcas|obedezca|tengas en cuenta|tenga en cuenta)',
    'deja de (?:seguir|obedecer|cumplir)', 'anula', 'anule', 'sáltate', 'saltate', 'sáltese', 'borra', 'elimina',
  ),
  fill: `${STRONG}|${MEDIUM}|las?|los?|tu|su|de|del|mis|mi|nuestras?|y|o|el|que|te|han|dado|dieron|\\*+|"|'`,
  strongMid: new RegExp(`(?<![\\p{L}])(?:${STRONG})(?![\\p{L}])`, 'u'),
  quantMid: new RegExp(`(?<![\\p{L}])(?:${MEDIUM})(?![\\p{L}])`, 'u'),
  objects: String.raw`instrucciones|instrucción|instruccion|reglas|regla|indicaciones|directrices|directivas|órdenes|ordenes|normas|restricciones|pautas|limitaciones|prompts?|consignas|comandos|programación|programacion|políticas|politicas|filtros|límites|limites|mensaje del sistema|prompt del sistema`,
  weakObjects: String.raw`mensajes?|contexto|configuración|configuracion|tareas?|objetivos?|conversación|conversacion|texto`,
  strongAfter: String.raw`anteriores|previas|previos|precedentes|originales|iniciales|del sistema|de sistema|de arriba|de (?:openai|anthropic|google|meta|microsoft|tus (?:desarrolladores|creadores))|antiguas|existentes|de seguridad|éticas|eticas|que (?:te )?(?:dieron|han dado|dio|dimos|recibiste|tienes|sigues)|dadas|recibidas|recibidos|dados|hasta ahora|hasta este momento`,
  benignAfter: /^[\s,]*(?:(?:de|del|en|sobre) (?:la|el|este|esta|ese|esa|los|las|un|una) (?!sistema|prompt|conversación|chat|contexto)|que (?:yo )?(?:te )?(?:di|escribí|mandé|envié))/u,
})

const everything = signal({
  id: 'es.override.everything',
  family: 'instruction_override',
  anchors: ['olvid', 'ignor', 'desca'],
  pattern: `${B}(?:olvida|olvide|olviden|ignora|ignore|descarta|descarte) todo (?:lo (?:que (?:te )?(?:han dicho|dijeron|dije antes|indicaron|ordenaron|programaron|enseñaron|dieron)|anterior|previo|de arriba|dicho (?:antes|anteriormente|hasta ahora))|(?:lo )?(?:anterior|previo))${E}`,
  weight: 0.8,
  position: 'latin',
  weigh: (m) => (/han dicho|dijeron|indicaron|ordenaron|programaron|enseñaron|dieron/.test(m[0]) ? 0.8 : 0.45),
})

const status = signal({
  id: 'es.override.void',
  family: 'instruction_override',
  anchors: ['tus', 'todas', 'las'],
  pattern: `${B}(?:tus|todas las|las) (?:instrucciones|reglas|normas|directrices|restricciones)(?: (?:anteriores|previas|originales|del sistema))? (?:ya no (?:son válidas|son validas|aplican|se aplican|cuentan|existen|tienen efecto)|(?:quedan|están|estan|son) (?:anuladas|canceladas|sin efecto|obsoletas|revocadas|suspendidas|inválidas|invalidas))${E}`,
  weight: 0.75,
  weigh: (m) => (/tus|todas|anteriores|previas|originales|sistema/.test(m[0]) ? 0.75 : 0.2),
})

const noRestrictions = signal({
  id: 'es.jailbreak.no_restrictions',
  family: 'roleplay_jailbreak',
  anchors: ['sin'],
  pattern: `(?=sin )(?<=${B}(?:actúa|actua|actúe|actue|actuar|finge|finja|fingir|compórtate|comportate|compórtese|responde|responda|responder|contesta|conteste|eres|serás|seras|interpreta|convi[eé]rtete)${E}[^.!?\\n]{0,80})sin (?:ningún tipo de |ningun tipo de |ninguna |ningún |ningun |tus |las |los |sus |cualquier )?(?:restricciones?|límites|limites|filtros?|censura|reglas|normas|ética|etica|moral|limitaciones|prohibiciones|escrúpulos|escrupulos)${E}`,
  weight: 0.8,
})

const mode = signal({
  id: 'es.jailbreak.mode',
  family: 'roleplay_jailbreak',
  anchors: ['modo'],
  pattern: `(?<=${B}(?:activa|active|activar|entra en|entre en|estás en|estas en|ahora en|cambia a|pasa a|con el|en) (?:el )?)modo (desarrollador|dan|sin restricciones|sin censura|sin filtros|jailbreak|dios|libre|malvado|sin límites|sin limites|depuración|depuracion|administrador)${E}`,
  weight: 0.65,
  weigh: (m) => (/desarrollador|dios|libre|depuraci|administrador/.test(m[1] ?? '') ? 0.3 : 0.65),
})

const youAreNow = signal({
  id: 'es.jailbreak.you_are_now',
  family: 'roleplay_jailbreak',
  anchors: ['ahora'],
  pattern: `(?:${B}ahora eres|(?<=${B}a partir de )ahora,? (?:eres|serás|seras|vas a|responderás|responderas|actuarás|actuaras|debes)|(?<=${B}desde )ahora,? (?:eres|serás|seras|vas a))${E}`,
  weight: 0.25,
})

const noLonger = signal({
  id: 'es.jailbreak.no_longer',
  family: 'roleplay_jailbreak',
  anchors: ['ya'],
  pattern: `${B}ya no (?:eres|estás|estas) (?:una? )?(?:ia|inteligencia artificial|asistente|modelo de lenguaje|chatgpt|limitad[oa]|restringid[oa]|obligad[oa]|sujet[oa]|atad[oa])${E}`,
  weight: 0.6,
})

const anythingNow = signal({
  id: 'es.jailbreak.do_anything_now',
  family: 'roleplay_jailbreak',
  anchors: ['hacer', 'haz', 'puede'],
  pattern: `${B}(?:hacer|haz|puede hacer|puedes hacer) cualquier cosa ahora${E}`,
  weight: 0.45,
})

const exfil = signal({
  id: 'es.exfil.system_prompt',
  family: 'prompt_exfiltration',
  anchors: ['revel', 'muest', 'muést', 'enseñ', 'impri', 'repit', 'dime', 'dígam', 'digam', 'escri', 'copia', 'copie', 'compa', 'dame', 'deme', 'divul', 'filtr', 'repro', 'trans'],
  pattern: `${B}(?:revela|revele|muestra|muestre|muéstrame|muestrame|enséñame|enseñame|imprime|imprima|repite|repita|dime|dígame|digame|escribe|escriba|copia|copie|comparte|comparta|dame|deme|divulga|filtra|reproduce|transcribe)(?: me)? (?:(?:tu|el|tus|las|los|la|su|sus|todo|todas|completo|completas|exacto|exactas) ){0,3}(?:prompt (?:del sistema|de sistema|inicial|original)|mensaje (?:del|de) sistema|instrucciones (?:iniciales|originales|del sistema|de sistema|ocultas|secretas|internas)|(?:indicaciones|instrucciones) que (?:te dieron|recibiste|te han dado)|configuración (?:inicial|oculta)|texto (?:de arriba|anterior)|prompt|instrucciones)${E}`,
  weight: 0.85,
  position: 'latin',
  weigh: (m) => (/sistema|iniciales|originales|ocultas|secretas|internas|te dieron|recibiste|te han dado|inicial|oculta|arriba|anterior/.test(m[0]) ? 0.85 : /(?:^|\s)tus?\s/.test(m[0]) ? 0.65 : 0),
})

const exfilQuestion = signal({
  id: 'es.exfil.question',
  family: 'prompt_exfiltration',
  anchors: ['cuál', 'cual', 'qué', 'que'],
  pattern: `${B}(?:(?:qué|que|cuáles|cuales) (?:instrucciones|reglas|indicaciones|órdenes|ordenes|directrices) (?:te (?:dieron|han dado|dio|pasaron)|recibiste|has recibido)|(?:cuál|cual|qué|que) (?:es|son) (?:tu|tus) (?:prompt (?:del|de) sistema|instrucciones (?:iniciales|originales|del sistema|de sistema)))${E}`,
  weight: 0.6,
})

const noRules = signal({
  id: 'es.jailbreak.no_rules',
  family: 'roleplay_jailbreak',
  anchors: ['ya', 'no'],
  pattern: `${B}(?:ya )?no (?:tienes|tienes que|necesitas|debes) (?:seguir |respetar |obedecer |cumplir )?(?:ninguna |ningún |ningun |las |tus |los |más |mas )?(?:reglas?|restricciones|restricción|límites|limites|filtros|normas|directrices|políticas|politicas|censura)${E}`,
  weight: 0.55,
  weigh: (m) => (/tienes que|necesitas|debes|seguir|respetar|obedecer|cumplir|ninguna|ningún|ningun|ya/.test(m[0]) ? 0.55 : 0.3),
})

export const ES: readonly Signal[] = [noRules, ...override, everything, status, noRestrictions, mode, youAreNow, noLonger, anythingNow, exfil, exfilQuestion]
