// French phrase tables.
import { overrideSignals } from '../latin.ts'
import { B, E, alt, signal, type Signal } from '../signal.ts'

const STRONG = String.raw`tes|vos|ton|votre|précédentes?|precedentes?|précédents?|antérieures?|anterieures?|ci-dessus|d'origine|originales?|initiales?|du système|du systeme|système|systeme|existantes?|de sécurité|de securite|éthiques|ethiques|morales|internes|cachées|cachees|par défaut|données|recues|reçues`
const MEDIUM = String.raw`toutes?|tous|ces|cette|chaque|quelconques?|autres`

const override = overrideSignals({
  lang: 'fr',
  anchors: ['ignor', 'oubli', 'négli', 'negli', 'écart', 'ecart', 'outre', 'conto', 'annul', 'effac', 'désob'],
  phrasal: { anchors: ['ne', 'fais', 'faite', 'laiss', 'passe'], next: ['tiens', 'tenez', 'suis', 'suivez', 'respecte', 'respectez', 'prends', 'prenez', 'abstraction', 'tomber', 'outre'] },
  verbs: alt(
    'ignore', 'ignorez', 'ignorer', 'ignores', 'oublie', 'oubliez', 'oublier', 'néglige', 'négligez', 'neglige', 'negligez', 'ne tiens pas compte (?:de|des|du)', 'ne tenez pas compte (?:de|des|du)',
    'fais abstraction (?:de|des|du)', 'faites abstraction (?:de|des|du)', 'ne suis pas', 'ne suivez pas', 'ne suis plus', 'ne suivez plus', 'ne respecte (?:pas|plus)', 'ne respectez (?:pas|plus)',
    'ne prends pas en compte', 'ne prenez pas en compte', 'laisse tomber', 'laissez tomber', 'écarte', 'écartez', 'ecarte', 'ecartez', 'outrepasse', 'outrepassez', 'contourne', 'contournez',
    'annule', 'annulez', 'efface', 'effacez', 'désobéis (?:à|a)', 'désobéissez (?:à|a)', 'passe outre', 'passez outre',
  ),
  fill: `${STRONG}|${MEDIUM}|les|la|le|des|de|du|aux?|à|a|mes|ma|mon|nos|notre|et|ou|qu'on|que|t'a|t'ont|vous|a|été|ete|\\*+|"|'`,
  strongMid: new RegExp(`(?<![\\p{L}])(?:${STRONG})(?![\\p{L}])`, 'u'),
  quantMid: new RegExp(`(?<![\\p{L}])(?:${MEDIUM})(?![\\p{L}])`, 'u'),
  objects: String.raw`instructions?|consignes?|règles?|regles?|directives?|indications?|ordres?|prompts?|restrictions?|limitations?|contraintes?|commandes?|programmation|politiques?|filtres?|recommandations|limites|message système|message systeme|invite système|invite systeme`,
  weakObjects: String.raw`messages?|contexte|configuration|paramètres|parametres|tâches?|taches?|objectifs?|conversation|texte`,
  strongAfter: String.raw`précédentes?|precedentes?|précédents?|antérieures?|anterieures?|ci-dessus|plus haut|d'(?:openai|anthropic|google)|de (?:tes|vos) (?:développeurs|developpeurs|créateurs|createurs)|d'origine|originales?|initiales?|du système|du systeme|système|systeme|données|donnees|reçues|recues|qu'on t'a (?:données|donnees|fournies|donné|donne)|que tu as reçues|que tu as recues|qui précèdent|qui precedent|existantes?|de sécurité|de securite|éthiques|ethiques|jusqu'ici|jusqu'à présent|jusqu'a present`,
  benignAfter: /^[\s,]*(?:(?:de|du|sur|dans) (?:la|le|ce|cette|ces|un|une|l')\s*(?!système|systeme|prompt|conversation|chat|contexte)|que (?:je|j'ai) )/u,
})

const everything = signal({
  id: 'fr.override.everything',
  family: 'instruction_override',
  anchors: ['oubli', 'ignor'],
  pattern: `${B}(?:oublie|oubliez|ignore|ignorez) tout ce (?:qu'on t'a|qu'on vous a|que l'on t'a|que l'on vous a|qui a été|qui a ete|qui précède|qui precede|qui est au-dessus|que tu sais|que je t'ai dit)(?: (?:dit|appris|demandé|demande|ordonné|ordonne|indiqué|indique|programmé|donné))?${E}`,
  weight: 0.8,
  position: 'latin',
  weigh: (m) => (/qu'on|que l'on|qui a été|qui a ete|appris|programm/.test(m[0]) ? 0.8 : /précède|precede|au-dessus/.test(m[0]) ? 0.5 : 0.1),
})

const status = signal({
  id: 'fr.override.void',
  family: 'instruction_override',
  anchors: ['tes', 'vos', 'toute', 'les'],
  pattern: `${B}(?:tes|vos|toutes les|les) (?:instructions|consignes|règles|regles|directives)(?: (?:précédentes|precedentes|antérieures|originales|initiales|du système|du systeme))? (?:ne s'appliquent plus|ne comptent plus|sont (?:désormais |maintenant |)(?:annulées|annulees|caduques|obsolètes|obsoletes|révoquées|revoquees|suspendues|invalides|levées|levees|nulles))${E}`,
  weight: 0.75,
  weigh: (m) => (/tes|vos|toutes|précédentes|precedentes|antérieures|originales|initiales|syst/.test(m[0]) ? 0.75 : 0.2),
})

const noRestrictions = signal({
  id: 'fr.jailbreak.no_restrictions',
  family: 'roleplay_jailbreak',
  anchors: ['sans', 'libér', 'liber', 'affra', 'libre'],
  pattern: `(?=(?:sans|libéré de|libere de|affranchi de|libre de) )(?<=${B}(?:agis|agissez|agir|fais semblant|faites semblant|comporte-toi|comportez-vous|réponds|repond[sz]|répondez|réponds-moi|tu es|vous êtes|vous etes|tu seras|joue le rôle|joue le role|incarne|incarnez|deviens|devenez)${E}[^.!?\\n]{0,80})(?:sans|libéré de|libere de|affranchi de|libre de) (?:aucune? |les |tes |vos |ta |ton |tout |toute |la |le )?(?:restrictions?|limites?|limitations?|filtres?|censure|règles|regles|éthique|ethique|morale|contraintes?|garde-fous|tabous?)${E}`,
  weight: 0.8,
})

const mode = signal({
  id: 'fr.jailbreak.mode',
  family: 'roleplay_jailbreak',
  anchors: ['mode'],
  pattern: `(?<=${B}(?:active|activez|activer|entre en|entrez en|passe en|passez en|tu es en|tu es maintenant en|vous êtes en|bascule en|en) (?:le )?)mode (développeur|developpeur|dan|sans restrictions?|sans censure|sans filtres?|jailbreak|dieu|libre|débridé|debride|maléfique|malefique|sans limites?|débogage|debogage|administrateur)${E}`,
  weight: 0.65,
  weigh: (m) => (/velopp|dieu|libre|bogage|administrateur/.test(m[1] ?? '') ? 0.3 : 0.65),
})

const youAreNow = signal({
  id: 'fr.jailbreak.you_are_now',
  family: 'roleplay_jailbreak',
  anchors: ['maint', 'désor', 'desor', 'dorén', 'doren'],
  pattern: `(?:(?<=${B}(?:tu es|vous êtes|vous etes) )maintenant|(?<=${B}(?:à|a) partir de )maintenant,? (?:tu|vous)|${B}(?:désormais|desormais|dorénavant|dorenavant),? (?:tu|vous))${E}`,
  weight: 0.25,
})

const noLonger = signal({
  id: 'fr.jailbreak.no_longer',
  family: 'roleplay_jailbreak',
  anchors: ['tu', 'vous'],
  pattern: `${B}(?:tu n'es|vous n'êtes|vous n'etes) plus (?:une? )?(?:ia|intelligence artificielle|assistant|modèle de langage|modele de langage|chatgpt|limitée?|limitee?|soumise?|tenue?|liée?|liee?|obligée?|obligee?|bridée?|bridee?)${E}`,
  weight: 0.6,
})

const anythingNow = signal({
  id: 'fr.jailbreak.do_anything_now',
  family: 'roleplay_jailbreak',
  anchors: ['faire', 'fais', 'peut', 'peux'],
  pattern: `${B}(?:faire|fais|peut faire|peux faire) (?:n'importe quoi|tout) maintenant${E}`,
  weight: 0.45,
})

const exfil = signal({
  id: 'fr.exfil.system_prompt',
  family: 'prompt_exfiltration',
  anchors: ['révèl', 'revel', 'révél', 'affic', 'montr', 'impri', 'répèt', 'repet', 'répét', 'donne', 'dis', 'dites', 'écris', 'ecris', 'écriv', 'recop', 'parta', 'divul', 'indiq', 'cite', 'citez', 'copie'],
  pattern: `${B}(?:révèle|revele|révélez|revelez|affiche|affichez|montre|montrez|montre-moi|montrez-moi|imprime|imprimez|répète|repete|répétez|repetez|donne-moi|donnez-moi|dis-moi|dites-moi|écris|ecris|écrivez|recopie|recopiez|partage|partagez|divulgue|divulguez|indique-moi|cite|citez|copie|copiez)(?: moi)? (?:(?:ton|votre|tes|vos|le|les|la|l'|tout|toutes|intégralement|exactement|mot pour mot)~){0,3}(?:prompt (?:système|systeme|initial|d'origine|original)|message (?:système|systeme|du système|du systeme)|invite (?:système|systeme|initiale)|instructions (?:initiales|d'origine|originales|système|systeme|du système|du systeme|cachées|cachees|secrètes|secretes|internes)|consignes (?:initiales|système|systeme|du système|du systeme|cachées|cachees)|prompt|instructions|consignes)${E}`,
  weight: 0.85,
  position: 'latin',
  weigh: (m) => (/syst|initia|origin|cach|secr|intern/.test(m[0]) ? 0.85 : /(?:^|\s)(?:tes|vos|ton|votre)\s/.test(m[0]) ? 0.65 : 0),
})

const exfilQuestion = signal({
  id: 'fr.exfil.question',
  family: 'prompt_exfiltration',
  anchors: ['quel', 'quell'],
  pattern: `${B}(?:(?:quelles sont les|quels sont les|quelles|quels) (?:instructions|consignes|règles|regles|directives|ordres) (?:qu'on t'a|qu'on vous a|que l'on t'a|que tu as|que vous avez) (?:données|donnees|donnés|fournies|reçues|recues|transmises)|(?:quel est ton|quel est votre|quelles sont tes|quelles sont vos) (?:prompt (?:système|systeme|initial)|instructions (?:initiales|système|systeme|du système|d'origine)|consignes (?:initiales|système|systeme|du système)))${E}`,
  weight: 0.6,
})

const noRules = signal({
  id: 'fr.jailbreak.no_rules',
  family: 'roleplay_jailbreak',
  anchors: ['tu', 'vous'],
  pattern: `${B}(?:tu n'as|vous n'avez) (?:plus (?:à|a|besoin de) (?:respecter|suivre|obéir (?:à|a))|pas (?:à|a|besoin de) (?:respecter|suivre)|aucune|plus (?:de|aucune)) (?:les |tes |vos |aucune |de )?(?:règles?|regles?|restrictions?|limites?|filtres?|consignes?|censure|directives?)${E}`,
  weight: 0.6,
})

export const FR: readonly Signal[] = [noRules, ...override, everything, status, noRestrictions, mode, youAreNow, noLonger, anythingNow, exfil, exfilQuestion]
