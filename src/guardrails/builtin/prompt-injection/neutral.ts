// Language-neutral signals: fake delimiters and role tags that try to end the
// user's turn or open a system one (chat-template tokens, `[SYSTEM]`,
// `### system:`, `</user>`, `END OF USER INPUT`, `{{system}}`), `DAN` named
// as what the model now is (in any language), markdown images that leak data
// through their URL, requests to decode a payload and act on it, and the
// phrases looked for in spaced-out letters once joined.
import { B, E, signal, type ScanText, type Signal } from './signal.ts'

// text around a chat-template token that discusses templates rather than forging them
const TEMPLATE_TALK = /tokeni[sz]er|chat[_ ]?template|chatml|fine-?tun|dataset|jsonl|special tokens?|apply_chat_template|what does|what is|why does|format|```/

const halfIfTemplateTalk = (w: number, t: ScanText): number => (t.has(TEMPLATE_TALK) ? w * 0.5 : w)

const chatTokens = signal({
  id: 'delim.chat_token',
  family: 'fake_delimiter',
  anchors: ['<|'],
  pattern: `<\\|~(im_start|im_end|im_sep|system|user|assistant|developer|endoftext|end_of_text|eot_id|eom_id|start_header_id|end_header_id|begin_of_text|end_of_turn|start_of_turn|endofprompt|tool|ipython|channel|message|end|start|sep|pad|return|call|constrain|begin▁of▁sentence|end▁of▁sentence)~\\|>(~(?:system|developer|admin)${E})?`,
  weight: 0.75,
  mention: false,
  weigh: (m, t) => halfIfTemplateTalk(/^(?:system|developer)$/.test(m[1] ?? '') || (m[2] ?? '') !== '' ? 0.75 : 0.45, t),
})

const llamaTokens = signal({
  id: 'delim.inst_token',
  family: 'fake_delimiter',
  anchors: ['[i', '[/', '<<', '<s', '<e', '</'],
  pattern: `\\[~/?~inst~\\]|<<~/?~sys~>>|<~/?~(?:start|end)_of_turn~>`,
  weight: 0.45,
  mention: false,
  weigh: (m, t) => halfIfTemplateTalk(/sys/.test(m[0]) ? 0.6 : 0.4, t),
})

const roleTags = signal({
  id: 'delim.role_tag',
  family: 'fake_delimiter',
  anchors: ['<s', '<a', '<d', '<r', '<o', '<i', '<n', '<u', '<h', '<c', '</'],
  pattern: `<~(/?)~(system|system_prompt|system_message|system_instructions?|sys|admin|administrator|developer|dev_message|root|sudo|operator|im_system|instructions?|new_instructions?|override|assistant|user|user_input|user_query|user_message|human|input|query|untrusted(?:_\\w+)?|customer|context|document|data|email|webpage|tool_output|function_results?|search_results?|observation)~>`,
  weight: 0.5,
  mention: false,
  weigh: (m: RegExpExecArray, t: ScanText, start: number): number => {
    const closing = m[1] === '/'
    const name = m[2] ?? ''
    const end = start + m[0].length
    if (closing) {
      // </user> followed by a forged system turn
      if (/^(?:user|user_input|user_query|user_message|human|input|query|untrusted\w*|customer|context|document|data|email|webpage|tool_output|function_results?|search_results?|observation)$/.test(name)) {
        return /^\s*(?:<\s*(?:system|admin|developer|assistant|instructions?|im_start)|\[\s*(?:system|admin|developer)|#{1,6}\s*(?:system|admin|developer)|(?:system|admin|developer)\s*:)/.test(t.s.slice(end, end + 40)) ? 0.75 : 0.2
      }
      return 0.1
    }
    if (/^(?:system|system_prompt|system_message|system_instructions?|sys|admin|administrator|developer|dev_message|root|sudo|operator|im_system|override|new_instructions?)$/.test(name)) return halfIfTemplateTalk(0.5, t)
    if (name === 'assistant') return 0.25
    return 0
  },
})

const bracketTags = signal({
  id: 'delim.bracket_tag',
  family: 'fake_delimiter',
  anchors: ['[s', '[a', '[d', '[r', '[o', '[n', '[i', '[ ', '【s', '【シ', '【系', '[с'],
  pattern: `[\\[【]~(system|sys|admin|administrator|developer|root|operator|system message|system prompt|system override|system instructions?|system note|system notice|system update|admin override|developer override|developer message|developer mode|new instructions|important system message|system alert|システム|系统|系統|системное сообщение|система)~[\\]】]`,
  weight: 0.5,
  mention: false,
  weigh: (m) => (/^(?:system|sys|root|operator|システム|系统|系統|система)$/.test(m[1] ?? '') ? 0.3 : 0.5),
})

const headerRoles = signal({
  id: 'delim.role_header',
  family: 'fake_delimiter',
  anchors: ['syste', 'admin', 'devel', 'root', 'new', 'updat', 'instr', 'human', 'assis', 'opera'],
  lineStart: true,
  pattern: `(?<=(?:^|\\n)[\\t\\x20]*(#{1,6}|\\*\\*|__|=+|-{2,})?[\\t\\x20]*)(system|system prompt|system message|system instructions?|system override|system note|admin|administrator|admin override|developer|developer message|developer instructions|root|operator|new instructions|new system prompt|updated instructions|updated system prompt|human|assistant)[\\t\\x20]*(?:\\*\\*|__|=+|-{2,})?[\\t\\x20]*(?::|：|\\n)`,
  weight: 0.45,
  mention: false,
  weigh: (m: RegExpExecArray, t: ScanText, start: number): number => {
    const marker = m[1] ?? ''
    const role = m[2] ?? ''
    if (role === 'human' || role === 'assistant') return /\n\n[\t ]*$/.test(t.s.slice(Math.max(0, start - 8), start)) ? 0.3 : 0.05
    if (/^(?:new|updated) instructions$/.test(role)) return 0.1
    if (/prompt|message|override|instructions|note/.test(role)) return 0.5
    // `SYSTEM:` in capitals, or a markdown header, is a forged turn; `System: Ubuntu 22.04` in a bug report is not
    const word = t.cased?.slice(start, start + role.length)
    if (word !== undefined && word === word.toUpperCase()) return 0.4
    return marker.startsWith('#') ? 0.35 : 0.15
  },
})

const textDelimiters = signal({
  id: 'delim.end_of_input',
  family: 'fake_delimiter',
  anchors: ['end', 'stop', 'close', 'begin', 'start'],
  next: ['of', 'the', 'user', 'users', 'human', 'customer', 'untrusted', 'external', 'system', 'admin', 'developer', 'new', 'real', 'actual', 'updated', 'original', 'input', 'prompt', 'query', 'message', 'request', 'document', 'context', 'data', 'text', 'instructions', 'conversation', 'session', 'transcript', 'content', 'email', 'section'],
  pattern: `(?<=(?:^|\\n|[=\\-#*\\x7e_>|]{2,}|[\\[<(])[\\t\\x20]*)(end|stop|close|begin|start)(?: of)?(?: the)?(?: (user(?:'s)?|human|customer|untrusted|external|system|admin|developer|new|real|actual|updated|original))? (input|prompt|query|message|request|document|context|data|text|instructions|conversation|session|transcript|content|email|section)[\\t\\x20]*(?:[=\\-#*\\x7e_<|]{2,}|[\\]>)]|$|\\n|[.:!])`,
  weight: 0.45,
  mention: false,
  weigh: (m: RegExpExecArray, t: ScanText, start: number): number => {
    const qual = m[2] ?? ''
    let w = /^(?:user|user's|human|untrusted|system|admin|developer|new|real|actual|updated)$/.test(qual) ? 0.5 : 0.15
    const word = t.cased?.slice(start, start + 6)
    if (word !== undefined && /^(?:END|STOP|CLOSE|BEGIN|START)/.test(word)) w = Math.max(w, 0.4)
    return w
  },
})

const beginNew = signal({
  id: 'delim.begin_new',
  family: 'fake_delimiter',
  anchors: ['begin', 'start'],
  next: ['of', 'the', 'new', 'real', 'actual', 'true', 'system', 'admin', 'developer', 'updated', 'override', 'secret', 'hidden'],
  pattern: `${B}(?:begin(?:ning)?|start) (?:of )?(?:the )?(?:new|real|actual|true|system|admin|developer|updated|override|secret|hidden) (?:system )?(?:instructions|prompt|message|directives|rules|task)${E}`,
  weight: 0.5,
  mention: false,
})

const officialMessage = signal({
  id: 'delim.system_message',
  family: 'fake_delimiter',
  anchors: ['new', 'updat', 'revis', 'impor', 'urgen', 'prior', 'emerg', 'criti', 'offic', 'syste', 'admin', 'devel', 'opera', 'root'],
  next: ['system', 'admin', 'administrator', 'developer', 'operator', 'override', 'overrides', 'command', 'directive', 'instruction', 'instructions', 'prompt'],
  pattern: `${B}(?:(?:new|updated|revised|important|urgent|priority|emergency|critical|official) (?:system|admin|administrator|developer|operator) (?:message|messages|instructions?|prompt|update|directive|override|notice|command|policy)|(?:system|admin|administrator|developer|operator|root) (?:override|overrides|command|directive|instruction|instructions|prompt update))${E}`,
  weight: 0.5,
  mention: false,
  weigh: (m, t, start) => {
    if (/^(?:new|updated|revised|urgent|priority|emergency|critical|official)/.test(m[0])) return 0.5
    // `SYSTEM OVERRIDE:` opens a forged block; `the admin override switch` is hardware
    return /^\s*[:!\]\-—–]/.test(t.s.slice(start + m[0].length, start + m[0].length + 4)) ? 0.5 : 0.25
  },
})

const templateVars = signal({
  id: 'delim.template',
  family: 'fake_delimiter',
  anchors: ['{{', '{%'],
  pattern: `\\{\\{~[#/]?~(?:system|sys|system_prompt|system_message|instructions|admin|developer)~\\}\\}|\\{%-?~(?:if )?(?:system|system_prompt)${E}`,
  weight: 0.45,
  mention: false,
  weigh: (_m, t) => halfIfTemplateTalk(0.45, t),
})

const jsonRole = signal({
  id: 'delim.json_role',
  family: 'fake_delimiter',
  anchors: ['role'],
  pattern: `(?<=["'])role["']~:~["'](?:system|developer)["']`,
  weight: 0.2,
  mention: false,
})

const fakeAssistantTurn = signal({
  id: 'delim.fake_assistant_turn',
  family: 'fake_delimiter',
  anchors: ['assis', 'ai', 'chatg', 'gpt', 'bot', 'model', 'claud'],
  lineStart: true,
  pattern: `(?<=(?:^|\\n)[\\t\\x20]*)(?:assistant|ai|chatgpt|gpt|bot|model|claude)[\\t\\x20]*:[\\t\\x20]*(?:sure|certainly|of course|absolutely|here is|here's|i will|i'll|understood|jailbreak|developer mode)${E}`,
  weight: 0.35,
  mention: false,
})

const markdownExfil = signal({
  id: 'exfil.markdown_image',
  family: 'prompt_exfiltration',
  anchors: ['!['],
  pattern: `!\\[[^\\]\\n]{0,60}\\]\\(~https?://[^)\\s]{0,200}(?:\\{|%7b|\\$\\{|<|\\[)[^)\\n]{0,120}\\)`,
  weight: 0.5,
  mention: false,
})

const decodeAndFollow = signal({
  id: 'obf.decode_and_follow',
  family: 'obfuscation',
  anchors: ['decod', 'decip', 'decry', 'unscr', 'trans', 'conve', 'rever', 'deobf', 'inter'],
  pattern: `${B}(?:decode|decipher|decrypt|unscramble|translate|convert|reverse|deobfuscate|interpret)${E}[^.\\n]{0,80}?${B}(?:and|then|,) ~(?:then )?(?:follow|execute|obey|run|carry out|comply with|act on|perform|do what (?:it|they) says?|do as (?:it|they) says?|follow (?:its|the) instructions)${E}`,
  weight: 0.5,
})

// `DAN` (in capitals) named as what the model now is, in any of the languages
const danAnyLanguage = signal({
  id: 'jailbreak.dan_persona',
  family: 'roleplay_jailbreak',
  anchors: ['dan'],
  pattern: `(?<=(?:${B}(?:you are|you're|you are now|act as|be|become|eres|ahora eres|serás|sei|ora sei|sarai|tu es|vous êtes|deviens|du bist|sei|bist du|ты|теперь ты|ты теперь|você é|voce é|tu és|agora você é|seja)|你是|你现在是|你現在是|扮演|あなたは|君は)~)dan(?![\\p{L}\\p{N}_])`,
  weight: 0.45,
  mention: true,
  weigh: (_m: RegExpExecArray, t: ScanText, start: number): number => (t.cased?.slice(start, start + 3) === 'DAN' ? 0.45 : 0.15),
})

export const NEUTRAL: readonly Signal[] = [
  danAnyLanguage,
  chatTokens, llamaTokens, roleTags, bracketTags, headerRoles, textDelimiters, beginNew, officialMessage, templateVars, jsonRole, fakeAssistantTurn, markdownExfil, decodeAndFollow,
]

/** On the letters of a spaced-out run with no word gaps (`ignoreallpreviousinstructions`). */
export const SQUASHED: ReadonlyArray<{ id: string; family: 'instruction_override' | 'roleplay_jailbreak' | 'prompt_exfiltration'; weight: number; re: RegExp }> = [
  { id: 'squashed.override', family: 'instruction_override', weight: 0.8, re: /(?:ignor|disregard|forget|bypass|overrid|olvid|oubli|vergiss|ignorier|esque|dimentic|игнор|забуд)[\p{L}]{0,24}?(?:instruction|rules|prompt|guideline|directive|instrucci|consigne|règle|regle|anweisung|regeln|instruç|instruc|istruzion|regole|инструкц|правил)/u },
  { id: 'squashed.jailbreak', family: 'roleplay_jailbreak', weight: 0.7, re: /developermode|doanythingnow|jailbr(?:eak|oken)|dan(?:mode|jailbreak)|nolimits|norestrictions|withoutrestrictions|withoutanyrestrictions|unfilteredai|uncensoredai/u },
  { id: 'squashed.exfil', family: 'prompt_exfiltration', weight: 0.7, re: /(?:reveal|print|show|repeat|output|tell)\p{L}{0,12}?(?:systemprompt|initialinstructions|originalinstructions|hiddeninstructions)|systemprompt/u },
]
