/**
 * Gate rules typed as text, one per line: `METRIC[:higher|:lower][,min=X][,max=X][,abs=X]
 * [,rel=X|X%][,stat=NAME]`, as the CLI's `--rule` takes them. Plain module (jest-tested): the
 * grammar mirrors `parse_rule` of mlops_jupyter/registry/gates.py, so a typo is shown before the
 * gate is asked for; the server parses the same text again.
 */
import { Mlops } from '../types';

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

/** Option names → the rule's field. */
const KEYS: { readonly [key: string]: keyof Mlops.IGateRule } = {
  min: 'min',
  max: 'max',
  abs: 'min_absolute_change',
  min_absolute_change: 'min_absolute_change',
  rel: 'min_relative_change',
  min_relative_change: 'min_relative_change',
  stat: 'statistic',
  statistic: 'statistic'
};

/** One line read: the rule, or why it is not one. */
export type ParsedRule =
  | { readonly rule: Mlops.IGateRule; readonly error?: undefined }
  | { readonly rule?: undefined; readonly error: string };

/** Parse one rule (see the module's description). */
export function parseRule(text: string): ParsedRule {
  const line = text.trim();
  const [head, ...options] = line.split(',').map(part => part.trim());
  const colon = head.indexOf(':');
  const metric = (colon >= 0 ? head.slice(0, colon) : head).trim();
  const direction = colon >= 0 ? head.slice(colon + 1).trim() : '';
  if (!metric) {
    return { error: `"${line}": a rule starts with a metric name` };
  }
  const rule: { -readonly [K in keyof Mlops.IGateRule]: Mlops.IGateRule[K] } = {
    metric,
    greater_is_better: true
  };
  if (colon >= 0) {
    if (direction !== 'higher' && direction !== 'lower') {
      return {
        error: `"${line}": after ':' comes higher or lower, not "${direction}"`
      };
    }
    rule.greater_is_better = direction === 'higher';
  }
  for (const option of options) {
    const eq = option.indexOf('=');
    const field = eq >= 0 ? KEYS[option.slice(0, eq).trim()] : undefined;
    if (!field) {
      return {
        error: `"${line}": options are min=, max=, abs=, rel=, stat= (not "${option}")`
      };
    }
    const raw = option.slice(eq + 1).trim();
    if (field === 'statistic') {
      rule.statistic = raw;
      continue;
    }
    const percent = raw.endsWith('%');
    const number = percent ? raw.slice(0, -1) : raw;
    if (!NUMBER.test(number)) {
      return {
        error: `"${line}": ${option.slice(0, eq)}=${raw} is not a number`
      };
    }
    const value = Number(number) / (percent ? 100 : 1);
    if (
      (field === 'min_absolute_change' || field === 'min_relative_change') &&
      value < 0
    ) {
      return { error: `"${line}": a required change is 0 or more` };
    }
    (rule as Record<string, unknown>)[field] = value;
  }
  return { rule };
}

/** The rules of a text box: the lines to send, and what is wrong with the others. */
export interface IRulesText {
  /** The non-empty lines, trimmed (sent as they are: the server parses them). */
  readonly lines: string[];
  readonly rules: Mlops.IGateRule[];
  /** One message per bad line or repeated metric. */
  readonly errors: string[];
}

/** Parse a text box of rules, one per line; blank lines and `# comments` are skipped. */
export function parseRules(text: string): IRulesText {
  const lines: string[] = [];
  const rules: Mlops.IGateRule[] = [];
  const errors: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) {
      continue;
    }
    const parsed = parseRule(line);
    if (parsed.error !== undefined) {
      errors.push(parsed.error);
      continue;
    }
    if (rules.some(r => r.metric === parsed.rule.metric)) {
      errors.push(`one rule per metric: ${parsed.rule.metric} twice`);
      continue;
    }
    lines.push(line);
    rules.push(parsed.rule);
  }
  return { lines, rules, errors };
}

/** A number in a rule: as short as it reads back the same. */
function num(value: number): string {
  return String(Number(value.toPrecision(12)));
}

/** A rule as one line of text (the inverse of `parseRule`). */
export function ruleText(rule: Mlops.IGateRule): string {
  const parts = [
    `${rule.metric}:${rule.greater_is_better === false ? 'lower' : 'higher'}`
  ];
  if (rule.min !== null && rule.min !== undefined) {
    parts.push(`min=${num(rule.min)}`);
  }
  if (rule.max !== null && rule.max !== undefined) {
    parts.push(`max=${num(rule.max)}`);
  }
  if (rule.min_absolute_change) {
    parts.push(`abs=${num(rule.min_absolute_change)}`);
  }
  if (rule.min_relative_change) {
    parts.push(`rel=${num(rule.min_relative_change * 100)}%`);
  }
  if (rule.statistic) {
    parts.push(`stat=${rule.statistic}`);
  }
  return parts.join(',');
}

/** Rules as the text box shows them, one per line. */
export function rulesText(rules: ReadonlyArray<Mlops.IGateRule>): string {
  return rules.map(ruleText).join('\n');
}

/** A rule in words: `auc: higher is better, at least 0.8, improves by 0.01 or more`. */
export function describeRule(rule: Mlops.IGateRule): string {
  const parts = [
    `${rule.greater_is_better === false ? 'lower' : 'higher'} is better`
  ];
  if (rule.min !== null && rule.min !== undefined) {
    parts.push(`at least ${num(rule.min)}`);
  }
  if (rule.max !== null && rule.max !== undefined) {
    parts.push(`at most ${num(rule.max)}`);
  }
  if (rule.min_absolute_change) {
    parts.push(`improves by ${num(rule.min_absolute_change)} or more`);
  }
  if (rule.min_relative_change) {
    parts.push(
      `improves by ${num(rule.min_relative_change * 100)} % or more (relative)`
    );
  }
  return `${rule.metric}: ${parts.join(', ')}`;
}
