// Portuguese phrase tables.
import { overrideSignals } from '../latin.ts'
import { B, E, alt, signal, type Signal } from '../signal.ts'

const STRONG = String.raw`suas|seus|sua|seu|tuas|teus|tua|teu|anteriores|prévias|previas|prévios|previos|originais|iniciais|do sistema|de sistema|acima|antigas|existentes|de segurança|de seguranca|éticas|eticas|morais|internas|ocultas|padrão|padrao|recebidas|dadas`
const MEDIUM = String.raw`todas?|todos?|quaisquer|qualquer|cada|essas?|esses?|estas?|estes?|demais`

const override = overrideSignals({
  lang: 'pt',
  anchors: ['ignor', 'esque', 'desco', 'desca', 'despr', 'aband', 'anule', 'anula', 'apagu', 'apaga', 'omita', 'salte', 'desob', 'largu', 'larga'],
  phrasal: { anchors: ['não', 'nao', 'pare', 'para', 'deixe', 'deixa', 'passe'], next: ['siga', 'sigas', 'de', 'por'] },
  verbs: alt(
    'ignore', 'ignora', 'ignorem', 'ignorar', 'esqueça', 'esqueca', 'esquece', 'esqueçam', 'esquecam', 'esquecer', 'desconsidere', 'desconsidera', 'desconsiderar', 'descarte', 'descarta',
    'despreze', 'despreza', 'não siga', 'nao siga', 'não sigas', 'nao sigas', 'pare de seguir', 'para de seguir', 'deixe de (?:seguir|lado)', 'deixa de (?:seguir|lado)', 'abandone', 'abandona',
    'anule', 'anula', 'apague', 'apaga', 'omita', 'passe por cima (?:de|das|dos)', 'salte', 'desobedeça', 'desobedeca', 'largue', 'larga',
  ),
  fill: `${STRONG}|${MEDIUM}|as|os|a|o|de|das|dos|minhas?|meus?|nossas?|nossos?|e|ou|que|você|voce|recebeu|mais|\\*+|"|'`,
  strongMid: new RegExp(`(?<![\\p{L}])(?:${STRONG})(?![\\p{L}])`, 'u'),
  quantMid: new RegExp(`(?<![\\p{L}])(?:${MEDIUM})(?![\\p{L}])`, 'u'),
  objects: String.raw`instruções|instrucoes|instrução|instrucao|regras|regra|orientações|orientacoes|diretrizes|diretivas|ordens|normas|restrições|restricoes|comandos|prompts?|limitações|limitacoes|políticas|politicas|filtros|programação|programacao|limites|mensagem do sistema|prompt do sistema`,
  weakObjects: String.raw`mensagens?|contexto|configurações|configuracoes|tarefas?|objetivos?|conversa|texto`,
  strongAfter: String.raw`anteriores|prévias|previas|prévios|previos|originais|iniciais|do sistema|de sistema|acima|antigas|existentes|de segurança|de seguranca|éticas|eticas|recebidas|dadas|da (?:openai|anthropic|google|meta|microsoft)|dos (?:seus )?(?:desenvolvedores|criadores)|que (?:você|voce|tu) (?:recebeu|recebeste|tem|segue)|que (?:te|lhe) (?:deram|foram dadas)|até agora|ate agora`,
  benignAfter: /^[\s,]*(?:(?:da|do|na|no|em|sobre) (?:a |o |este |esta |esse |essa |um |uma )?(?:caixa|manual|embalagem|site|página|pagina|formulário|formulario|prova|receita|livro)|que (?:eu )?(?:te )?(?:dei|escrevi|mandei|enviei))/u,
})

const everything = signal({
  id: 'pt.override.everything',
  family: 'instruction_override',
  anchors: ['esque', 'ignor', 'desco'],
  pattern: `${B}(?:esqueça|esqueca|esquece|ignore|ignora|desconsidere) tudo (?:o )?(?:que (?:te |lhe )?(?:disseram|foi dito|foi instruído|foi instruido|ensinaram|mandaram|programaram|deram)|(?:o que está |o que esta |que está |que esta )?(?:acima|anterior|antes)|o que (?:eu )?disse antes)${E}`,
  weight: 0.8,
  position: 'latin',
  weigh: (m) => (/disseram|foi dito|instru|ensinaram|mandaram|programaram|deram/.test(m[0]) ? 0.8 : /eu|disse antes/.test(m[0]) ? 0.1 : 0.45),
})

const status = signal({
  id: 'pt.override.void',
  family: 'instruction_override',
  anchors: ['suas', 'tuas', 'todas', 'as'],
  pattern: `${B}(?:suas|tuas|todas as|as) (?:instruções|instrucoes|regras|diretrizes|restrições|restricoes|orientações|orientacoes)(?: (?:anteriores|originais|do sistema))? (?:não (?:valem|se aplicam|são mais válidas|sao mais validas|contam) mais|nao (?:valem|se aplicam|contam) mais|(?:estão|estao|foram|são|sao) (?:anuladas|canceladas|revogadas|suspensas|invalidadas|sem efeito))${E}`,
  weight: 0.75,
  weigh: (m) => (/suas|tuas|todas|anteriores|originais|sistema/.test(m[0]) ? 0.75 : 0.2),
})

const noRestrictions = signal({
  id: 'pt.jailbreak.no_restrictions',
  family: 'roleplay_jailbreak',
  anchors: ['sem'],
  pattern: `(?=sem )(?<=${B}(?:aja|age|agir|finja|finge|fingir|comporte-se|comporta-te|responda|responde|responder|você é|voce é|voce e|você agora é|voce agora e|agora é|tu és|tu es|interprete|interpreta|seja|torne-se|atue|atua)${E}[^.!?\\n]{0,80})sem (?:nenhuma |nenhum |qualquer |quaisquer |as |os |suas |seus |tuas )?(?:restrições|restricoes|restrição|restricao|limites?|filtros?|censura|regras|ética|etica|moral|limitações|limitacoes|normas|escrúpulos|escrupulos)${E}`,
  weight: 0.8,
})

const mode = signal({
  id: 'pt.jailbreak.mode',
  family: 'roleplay_jailbreak',
  anchors: ['modo'],
  pattern: `(?<=${B}(?:ative|ativa|ativar|entre no|entra no|entrar no|você está no|voce esta no|tu estás no|agora no|mude para o|muda para o|no|em) (?:o )?)modo (desenvolvedor|programador|dan|sem restrições|sem restricoes|sem censura|sem filtros?|jailbreak|deus|livre|malvado|sem limites|depuração|depuracao|administrador)${E}`,
  weight: 0.65,
  weigh: (m) => (/desenvolvedor|programador|deus|livre|depura|administrador/.test(m[1] ?? '') ? 0.3 : 0.65),
})

const youAreNow = signal({
  id: 'pt.jailbreak.you_are_now',
  family: 'roleplay_jailbreak',
  anchors: ['agora'],
  pattern: `(?:${B}agora (?:você|voce|tu) (?:é|e|és|es|será|sera)|(?<=${B}a partir de )agora,? (?:você|voce|tu)|(?<=${B}de )agora em diante,? (?:você|voce|tu))${E}`,
  weight: 0.25,
})

const noLonger = signal({
  id: 'pt.jailbreak.no_longer',
  family: 'roleplay_jailbreak',
  anchors: ['você', 'voce', 'tu'],
  pattern: `${B}(?:você|voce|tu) (?:não|nao) (?:é|e|és|es|está|esta|estás) mais (?:uma? )?(?:ia|inteligência artificial|inteligencia artificial|assistente|modelo de linguagem|chatgpt|limitad[oa]|restrit[oa]|obrigad[oa]|preso|presa|sujeit[oa])${E}`,
  weight: 0.6,
})

const anythingNow = signal({
  id: 'pt.jailbreak.do_anything_now',
  family: 'roleplay_jailbreak',
  anchors: ['fazer', 'faça', 'faca', 'pode'],
  pattern: `${B}(?:fazer|faça|faca|pode fazer) qualquer coisa agora${E}`,
  weight: 0.45,
})

const exfil = signal({
  id: 'pt.exfil.system_prompt',
  family: 'prompt_exfiltration',
  anchors: ['revel', 'mostr', 'me', 'impri', 'repit', 'repet', 'diga', 'diz', 'escre', 'copie', 'copia', 'compa', 'dê', 'divul', 'exiba', 'exibe', 'infor'],
  next: ['me', 'seu', 'sua', 'seus', 'suas', 'teu', 'tua', 'teus', 'tuas', 'o', 'a', 'os', 'as', 'todo', 'todas', 'prompt', 'mensagem', 'instruções', 'instrucoes', 'mostre', 'mostra', 'diga', 'diz', 'dê', 'de', 'passe'],
  pattern: `${B}(?:revele|revela|mostre|mostra|mostre-me|mostra-me|me mostre|me mostra|imprima|imprime|repita|repete|diga|diz|diga-me|me diga|me diz|escreva|escreve|copie|copia|compartilhe|compartilha|me dê|me de|me passe|dê-me|divulgue|exiba|exibe|informe)(?: me)? (?:(?:seu|sua|seus|suas|teu|tua|teus|tuas|o|a|os|as|todo|todas|completo|completas|exato|exatas) ){0,3}(?:prompt (?:do sistema|de sistema|inicial|original)|mensagem (?:do|de) sistema|instruções (?:iniciais|originais|do sistema|de sistema|ocultas|secretas|internas)|instrucoes (?:iniciais|originais|do sistema|de sistema|ocultas|secretas|internas)|instruções que (?:você|voce) recebeu|instrucoes que (?:você|voce) recebeu|prompt|instruções|instrucoes)${E}`,
  weight: 0.85,
  position: 'latin',
  weigh: (m) => (/sistema|iniciais|originais|ocultas|secretas|internas|recebeu|inicial|original/.test(m[0]) ? 0.85 : /(?:^|\s)(?:seus?|suas?|teus?|tuas?)\s/.test(m[0]) ? 0.65 : 0),
})

const exfilQuestion = signal({
  id: 'pt.exfil.question',
  family: 'prompt_exfiltration',
  anchors: ['qual', 'quais'],
  pattern: `${B}(?:quais (?:instruções|instrucoes|regras|diretrizes|orientações|orientacoes|ordens) (?:você|voce|tu) (?:recebeu|recebeste|ganhou)|(?:qual (?:é|e) (?:o )?(?:seu|teu)|quais (?:são|sao) (?:as )?(?:suas|tuas)) (?:prompt (?:do|de) sistema|instruções (?:iniciais|originais|do sistema)|instrucoes (?:iniciais|originais|do sistema)))${E}`,
  weight: 0.6,
})

const noRules = signal({
  id: 'pt.jailbreak.no_rules',
  family: 'roleplay_jailbreak',
  anchors: ['você', 'voce', 'tu'],
  pattern: `${B}(?:você|voce|tu) (?:(?:não|nao) (?:precisa|tem que|deve|precisas) (?:mais )?(?:seguir|obedecer|respeitar|cumprir) (?:nenhuma |nenhum |qualquer |as |os |suas |seus )?(?:regras?|restrições|restricoes|diretrizes|limites|políticas|politicas|instruções|instrucoes)|(?:não|nao) tem (?:mais )?(?:nenhuma |nenhum )?(?:restrição|restricao|restrições|restricoes|regras?|limites?|filtros?|censura))${E}`,
  weight: 0.6,
})

export const PT: readonly Signal[] = [noRules, ...override, everything, status, noRestrictions, mode, youAreNow, noLonger, anythingNow, exfil, exfilQuestion]
