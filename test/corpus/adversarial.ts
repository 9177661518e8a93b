// Inputs of about 100 KB built to make pattern scanners backtrack: long runs of
// the characters their patterns start or repeat on. The content filter's tests
// run every detector over them (a scanner that backtracks would hang the test);
// `npx node bench/content-filter.ts` times the whole built-in set on them.
export const ADVERSARIAL_INPUTS: Readonly<Record<string, string>> = {
  "'a' × 100k": 'a'.repeat(100_000),
  'digits × 100k': '7'.repeat(100_000),
  "'@' × 100k": '@'.repeat(100_000),
  "'a@' × 50k": 'a@'.repeat(50_000),
  "'a.b@' × 25k": 'a.b@'.repeat(25_000),
  "'=' × 100k": '='.repeat(100_000),
  "':' × 100k": ':'.repeat(100_000),
  "'password=' × 11k": 'password='.repeat(11_111),
  "'key: ' × 20k": 'key: '.repeat(20_000),
  "'1 ' × 50k": '1 '.repeat(50_000),
  "'1-' × 50k": '1-'.repeat(50_000),
  "'+1 ' × 33k": '+1 '.repeat(33_333),
  "'+1 (' × 25k": '+1 ('.repeat(25_000),
  "'1.' × 50k": '1.'.repeat(50_000),
  "'a:' × 50k": 'a:'.repeat(50_000),
  "'eyJ' + 'a.' × 50k": 'eyJ' + 'a.'.repeat(50_000),
  "'sk-' + 'a' × 100k": 'sk-' + 'a'.repeat(100_000),
  "'AKIA' × 25k": 'AKIA'.repeat(25_000),
  "'DE89 ' × 20k": 'DE89 '.repeat(20_000),
  "'-----BEGIN PRIVATE KEY-----' × 3.7k": '-----BEGIN PRIVATE KEY-----'.repeat(3_700),
  "'Bearer ' × 14k": 'Bearer '.repeat(14_285),
  "'x://a:b@' × 12k": 'x://a:b@'.repeat(12_500),
  "'a at b dot ' × 9k": 'a at b dot '.repeat(9_090),
  "'use aaaaaa as ' × 7k": 'use aaaaaa as '.repeat(7_142) + 'password',
}
