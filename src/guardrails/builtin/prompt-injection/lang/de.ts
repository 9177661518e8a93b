// German phrase tables.
import { overrideSignals } from '../latin.ts'
import { B, E, alt, signal, type Signal } from '../signal.ts'

const STRONG = String.raw`deine[nmrs]?|ihre[nmrs]?|eure[nmrs]?|vorherigen?|vorige[nmn]?|bisherigen?|früheren?|fruheren?|obigen?|vorangegangenen?|vorangehenden?|vorstehenden?|ursprünglichen?|urspruenglichen?|ursprunglichen?|anfänglichen?|anfanglichen?|initialen?|system-?|internen?|versteckten?|geheimen?|eingebauten?|voreingestellten?|ethischen?|moralischen?|sicherheits-?|gegebenen?|erhaltenen?|dir gegebenen?|vorgegebenen?`
const MEDIUM = String.raw`alle[nms]?|sämtliche[nm]?|samtliche[nm]?|jegliche[nm]?|jede[nmrs]?|diese[nmrs]?|alten?|aktuellen?|üblichen?|ublichen?|lästigen?|nervigen?`

const override = overrideSignals({
  lang: 'de',
  anchors: ['ignor', 'vergi', 'verge', 'missa', 'verwi', 'verwe', 'überg', 'uberg', 'übers', 'ubers', 'befol', 'folge', 'beach', 'umgeh', 'lösch', 'losch', 'setze', 'hebe', 'pfeif', 'hör'],
  verbs: alt(
    'ignoriere', 'ignorier', 'ignorieren sie', 'ignoriert', 'vergiss', 'vergessen sie', 'vergesst', 'missachte', 'missachten sie', 'missachtet', 'verwirf', 'verwerfen sie', 'verwerft',
    'übergehe', 'übergehen sie', 'ubergehe', 'überspringe', 'überspringen sie', 'uberspringe', 'befolge (?:nicht|keine|keinerlei)', 'befolgen sie (?:nicht|keine)', 'folge nicht',
    'beachte (?:nicht|keine)', 'beachten sie (?:nicht|keine)', 'umgehe', 'umgehen sie', 'lösche', 'lösch', 'losche', 'setze außer kraft', 'setze ausser kraft', 'setzen sie außer kraft', 'hebe', 'pfeif auf',
    'hör auf,? (?:dich an|zu befolgen)', '(?:ignorierst|vergisst|missachtest|übergehst|verwirfst) du',
  ),
  fill: `${STRONG}|${MEDIUM}|die|der|den|das|des|dem|meine[nmrs]?|unsere[nmrs]?|und|oder|bitte|einfach|jetzt|nun|sofort|komplett|vollständig|vollstandig|\\*+|"|'`,
  strongMid: new RegExp(`(?<![\\p{L}])(?:${STRONG})(?![\\p{L}])`, 'u'),
  quantMid: new RegExp(`(?<![\\p{L}])(?:${MEDIUM})(?![\\p{L}])`, 'u'),
  objects: String.raw`(?:system|sicherheits|inhalts)?(?:anweisungen|anweisung|instruktionen|regeln|vorgaben|richtlinien|befehle|anordnungen|prompts?|einschränkungen|einschrankungen|beschränkungen|beschrankungen|direktiven|programmierung|filter|vorschriften|hinweise|grenzen|prompt)|systemprompt|systemnachricht`,
  weakObjects: String.raw`nachrichten|kontext|einstellungen|konfiguration|aufgaben?|ziele|texte?|unterhaltung`,
  strongAfter: String.raw`von oben|oben|von vorher|von zuvor|von davor|davor|zuvor|bis jetzt|bisher|die (?:dir|man dir) (?:gegeben|vorgegeben|erteilt) wurden|des systems|vom system|der entwickler|von (?:openai|anthropic|google|meta|microsoft|den entwicklern|deinen entwicklern|deinen erschaffern)`,
  asking: /^(?:ignorierst|vergisst|missachtest|übergehst|verwirfst) du/,
  benignAfter: /^[\s,]*(?:(?:auf|in|im|aus|zu|zum|zur|von|vom) (?:der|dem|den|die|das|diesem|dieser|einem|einer) (?!system|prompt|unterhaltung|chat|kontext)|(?:die|welche) ich )/u,
})

const everything = signal({
  id: 'de.override.everything',
  family: 'instruction_override',
  anchors: ['vergi', 'verge', 'ignor'],
  pattern: `${B}(?:vergiss|vergessen sie|ignoriere|ignorieren sie) alles,? (?:was (?:dir|man dir|ihnen|man ihnen) (?:vorher |zuvor |bisher |davor )?(?:gesagt|aufgetragen|vorgegeben|beigebracht|befohlen|mitgeteilt|gegeben)(?: worden)?(?: wurde| ist)?|(?:bisherige|vorherige|obige|davor|zuvor|oben|vorher)|was (?:oben|davor|zuvor|vorher) (?:steht|stand|gesagt wurde))${E}`,
  weight: 0.8,
  position: 'latin',
  weigh: (m) => (/gesagt|aufgetragen|vorgegeben|beigebracht|befohlen|mitgeteilt|gegeben/.test(m[0]) && !/oben|davor/.test(m[0]) ? 0.8 : 0.45),
})

const status = signal({
  id: 'de.override.void',
  family: 'instruction_override',
  anchors: ['deine', 'ihre', 'alle', 'die'],
  pattern: `${B}(?:deine|ihre|alle|die) (?:(?:vorherigen|bisherigen|ursprünglichen|alten|system-?) )?(?:anweisungen|regeln|vorgaben|richtlinien|einschränkungen|instruktionen) (?:gelten nicht mehr|sind (?:ab sofort |jetzt |nun )?(?:ungültig|ungultig|aufgehoben|außer kraft|ausser kraft|nichtig|hinfällig|hinfallig|deaktiviert|widerrufen))${E}`,
  weight: 0.75,
  weigh: (m) => (/deine|ihre|alle|vorherig|bisherig|ursprüng|system/.test(m[0]) ? 0.75 : 0.2),
})

const noRestrictions = signal({
  id: 'de.jailbreak.no_restrictions',
  family: 'roleplay_jailbreak',
  anchors: ['ohne', 'frei', 'befre', 'ungea'],
  pattern: `(?=(?:ohne|frei von|befreit von|ungeachtet) )(?<=${B}(?:tu so|tue so|tun sie so|verhalte dich|verhalten sie sich|handle|handeln sie|antworte|antworten sie|agiere|agieren sie|du bist|sie sind|spiele|spielen sie|sei|seien sie|du wirst|werde|reagiere)${E}[^.!?\\n]{0,80})(?:ohne|frei von|befreit von|ungeachtet) (?:jegliche[nr]? |irgendwelche |alle |deine |ihre |die |sämtliche |samtliche |jede |)(?:einschränkungen|einschrankungen|beschränkungen|beschrankungen|grenzen|filter|zensur|regeln|richtlinien|ethik|moral|limits|limitierungen|vorgaben|sicherheitsvorkehrungen|sicherheitsrichtlinien|tabus|skrupel)${E}`,
  weight: 0.8,
})

const mode = signal({
  id: 'de.jailbreak.mode',
  family: 'roleplay_jailbreak',
  anchors: ['entwi', 'dan', 'jailb', 'gott', 'gottm', 'modus', 'unein', 'unzen', 'debug', 'admin'],
  pattern: `(?<=${B}(?:aktiviere|aktivieren sie|wechsle in den|wechseln sie in den|wechsle|starte|starten sie|du bist (?:(?:jetzt|nun) )?im|sie sind (?:(?:jetzt|nun) )?im|im|in den|gehe in den|schalte) (?:den )?)(entwicklermodus|entwickler-modus|dan-modus|dan modus|jailbreak-modus|jailbreak modus|gott-modus|gottmodus|uneingeschränkten modus|uneingeschrankten modus|unzensierten modus|modus ohne einschränkungen|modus ohne einschrankungen|debug-modus|debugmodus|admin-modus|adminmodus)${E}`,
  weight: 0.65,
  weigh: (m) => (/entwickler|gott|debug|admin/.test(m[1] ?? '') ? 0.3 : 0.65),
})

const youAreNow = signal({
  id: 'de.jailbreak.you_are_now',
  family: 'roleplay_jailbreak',
  anchors: ['jetzt', 'ab', 'nun', 'von'],
  pattern: `(?:(?<=${B}du bist )(?:jetzt|ab sofort|nun|ab jetzt)(?: (frei|befreit|entfesselt|ungebunden|uneingeschränkt|unzensiert))?|${B}ab (?:jetzt|sofort|nun) (?:bist|wirst|antwortest|verhältst|verhaltst|sprichst|handelst) du|${B}von nun an (?:bist|wirst|antwortest) du)${E}`,
  weight: 0.25,
  // `du bist jetzt frei`: freed, not just someone else
  weigh: (m) => (m[1] !== undefined ? 0.5 : 0.25),
})

const noLonger = signal({
  id: 'de.jailbreak.no_longer',
  family: 'roleplay_jailbreak',
  anchors: ['du'],
  pattern: `${B}du bist (?:nicht mehr|keine ki mehr|kein assistent mehr|nicht länger|nicht langer|ab sofort nicht mehr) (?:an |eine |ein )?(?:ki|künstliche intelligenz|assistent|sprachmodell|gebunden|eingeschränkt|eingeschrankt|verpflichtet|beschränkt|beschrankt|zensiert)?${E}`,
  weight: 0.6,
  weigh: (m) => (/ki|assistent|sprachmodell|gebunden|eingeschr|verpflichtet|beschr|zensiert/.test(m[0]) ? 0.6 : 0.2),
})

const anythingNow = signal({
  id: 'de.jailbreak.do_anything_now',
  family: 'roleplay_jailbreak',
  anchors: ['jetzt', 'kann', 'kanns', 'tu'],
  pattern: `${B}(?:jetzt alles tun|kann jetzt alles|kannst jetzt alles|tu jetzt alles)${E}`,
  weight: 0.45,
})

const exfil = signal({
  id: 'de.exfil.system_prompt',
  family: 'prompt_exfiltration',
  anchors: ['zeige', 'zeig', 'gib', 'geben', 'nenne', 'verra', 'wiede', 'druck', 'schre', 'gebe', 'teile', 'kopie', 'enthü', 'enthu', 'offen', 'liste', 'zitie', 'sag', 'sage', 'sagen'],
  pattern: `${B}(?:zeige?|zeigen sie|zeig mir|gib|gib mir|geben sie|nenne|nennen sie|verrate|verrat|verraten sie|wiederhole|wiederholen sie|drucke|drucken sie|schreibe|schreib|schreiben sie|gib aus|gebe aus|teile|kopiere|enthülle|enthulle|offenbare|liste|zitiere|sag mir|sage mir|sagen sie mir)(?: mir| uns| bitte| einmal| genau| wörtlich| wortlich| vollständig)* (?:(?:deinen|deine|dein|ihren|ihre|ihr|den|die|das|vollständigen|vollstandigen|kompletten|genauen|gesamten|ganzen|ursprünglichen|ursprunglichen|geheimen|versteckten|internen|ersten) ){0,4}(?:system-?prompt|systemnachricht|system-?anweisungen|systemanweisungen|systeminstruktionen|anfangsanweisungen|anfänglichen anweisungen|anfanglichen anweisungen|ursprünglichen anweisungen|ursprunglichen anweisungen|initialen anweisungen|versteckten anweisungen|geheimen anweisungen|prompt|anweisungen|vorgaben|instruktionen)${E}`,
  weight: 0.85,
  position: 'latin',
  weigh: (m) => (/system|anfang|anfäng|ursprüng|ursprung|initial|versteck|geheim/.test(m[0]) ? 0.85 : /(?:^|\s)(?:deine[nm]?|dein|ihre[nm]?)\s/.test(m[0]) ? 0.65 : 0),
})

const exfilQuestion = signal({
  id: 'de.exfil.question',
  family: 'prompt_exfiltration',
  anchors: ['wie', 'was', 'welch'],
  pattern: `${B}(?:welche (?:anweisungen|regeln|vorgaben|instruktionen|richtlinien) (?:hast du|haben sie|wurden dir|wurden ihnen) (?:bekommen|erhalten|vorher bekommen|vorher erhalten|gegeben)|(?:wie lautet|was ist|was sind|wie lauten) (?:dein|deine|ihr|ihre) (?:system-?prompt|systemanweisungen|system-anweisungen|ursprünglichen anweisungen|ursprunglichen anweisungen|anfangsanweisungen))${E}`,
  weight: 0.6,
})

const noRules = signal({
  id: 'de.jailbreak.no_rules',
  family: 'roleplay_jailbreak',
  anchors: ['du', 'deine', 'für'],
  pattern: `${B}(?:du hast (?:keine|keinerlei) (?:einschränkungen|beschränkungen|regeln|grenzen|filter|richtlinien|zensur)|du musst dich (?:nicht mehr |nicht |an keine )(?:an (?:die |deine |irgendwelche )?)?(?:regeln|richtlinien|vorgaben|einschränkungen) (?:mehr )?halten|(?:deine |die )?(?:regeln|richtlinien|einschränkungen|vorgaben) gelten (?:für dich )?nicht mehr)${E}`,
  weight: 0.6,
})

export const DE: readonly Signal[] = [noRules, ...override, everything, status, noRestrictions, mode, youAreNow, noLonger, anythingNow, exfil, exfilQuestion]
