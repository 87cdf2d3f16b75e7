/**
 * Okta's `filter` and `search` expressions for `GET /api/v1/users`.
 *
 * `filter` is the narrow, strongly consistent form: `status eq`, `id eq`, `type.id eq`,
 * `lastUpdated gt|ge|lt|le`, `profile.login|email|firstName|lastName eq`, joined by `and`/`or`
 * with parentheses. `search` is the SCIM-like form over any user attribute (eq, ne, gt, ge, lt,
 * le, sw, co, pr, not). `and` binds tighter than `or`, as in SCIM. A malformed expression is
 * Okta's 400 E0000031; a timestamp that is not ISO-8601 is 400 E0000030.
 */

import { OKTA_USER_DATE_FIELDS } from '../okta/types';

export type CmpOp = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' | 'sw' | 'co';
export type FilterValue = string | number | boolean | null;

export type FilterNode =
  | { kind: 'cmp'; attr: string; op: CmpOp; value: FilterValue; time?: number }
  | { kind: 'pr'; attr: string }
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; operand: FilterNode };

export type FilterMode = 'filter' | 'search';

/** User attributes holding timestamps; the accessor returns them as epoch ms or null. */
export const DATE_ATTRIBUTES: ReadonlySet<string> = new Set(OKTA_USER_DATE_FIELDS);

/** What `filter` (not `search`) accepts, per attribute. */
const FILTER_RULES: Readonly<Record<string, readonly CmpOp[]>> = {
  status: ['eq'],
  id: ['eq'],
  'type.id': ['eq'],
  lastUpdated: ['gt', 'ge', 'lt', 'le'],
  'profile.login': ['eq'],
  'profile.email': ['eq'],
  'profile.firstName': ['eq'],
  'profile.lastName': ['eq'],
};

const CMP_OPS: ReadonlySet<string> = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'sw', 'co']);

const ISO_TIME =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,3})?(Z|[+-]\d{2}:?\d{2})$/;

export class FilterError extends Error {
  constructor(
    /** E0000031 (invalid search criteria) or E0000030 (invalid date). */
    readonly errorCode: 'E0000031' | 'E0000030',
    message: string,
  ) {
    super(message);
    this.name = 'FilterError';
  }
}

type Token =
  | { t: 'lparen' | 'rparen'; at: number }
  | { t: 'word'; v: string; at: number }
  | { t: 'string'; v: string; at: number }
  | { t: 'number'; v: number; at: number };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '(' || ch === ')') {
      tokens.push({ t: ch === '(' ? 'lparen' : 'rparen', at: i });
      i++;
    } else if (ch === '"') {
      const start = i;
      let v = '';
      i++;
      for (;;) {
        if (i >= text.length) throw invalid(`unterminated string starting at ${start}`);
        const c = text[i];
        if (c === '\\' && i + 1 < text.length) {
          v += text[i + 1];
          i += 2;
        } else if (c === '"') {
          i++;
          break;
        } else {
          v += c;
          i++;
        }
      }
      tokens.push({ t: 'string', v, at: start });
    } else if (/[-0-9]/.test(ch)) {
      const m = /^-?\d+(\.\d+)?/.exec(text.slice(i));
      if (!m) throw invalid(`unexpected '${ch}' at ${i}`);
      tokens.push({ t: 'number', v: Number(m[0]), at: i });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(ch)) {
      const m = /^[A-Za-z_][A-Za-z0-9_.:-]*/.exec(text.slice(i));
      const word = m ? m[0] : ch;
      tokens.push({ t: 'word', v: word, at: i });
      i += word.length;
    } else {
      throw invalid(`unexpected '${ch}' at ${i}`);
    }
  }
  return tokens;
}

function invalid(detail: string): FilterError {
  return new FilterError('E0000031', detail);
}

class Parser {
  private pos = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly mode: FilterMode,
  ) {}

  parse(): FilterNode {
    if (this.tokens.length === 0) throw invalid('empty expression');
    const node = this.parseOr();
    const rest = this.tokens[this.pos];
    if (rest) throw invalid(`unexpected token at ${rest.at}`);
    return node;
  }

  private peekWord(): string | undefined {
    const tok = this.tokens[this.pos];
    return tok?.t === 'word' ? tok.v.toLowerCase() : undefined;
  }

  // `and` binds tighter than `or`; both associate to the left.
  private parseOr(): FilterNode {
    return this.parseChain('or', () => this.parseAnd());
  }

  private parseAnd(): FilterNode {
    return this.parseChain('and', () => this.parseUnary());
  }

  private parseChain(word: 'and' | 'or', operand: () => FilterNode): FilterNode {
    let left = operand();
    while (this.peekWord() === word) {
      this.pos++;
      left = { kind: word, left, right: operand() };
    }
    return left;
  }

  private parseUnary(): FilterNode {
    if (this.peekWord() === 'not') {
      if (this.mode === 'filter') throw invalid("'not' is not supported in filter");
      this.pos++;
      return { kind: 'not', operand: this.parseUnary() };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): FilterNode {
    const tok = this.tokens[this.pos];
    if (!tok) throw invalid('expression ends too early');
    if (tok.t === 'lparen') {
      this.pos++;
      const inner = this.parseOr();
      if (this.tokens[this.pos]?.t !== 'rparen') throw invalid(`missing ')' for '(' at ${tok.at}`);
      this.pos++;
      return inner;
    }
    if (tok.t !== 'word') throw invalid(`expected an attribute at ${tok.at}`);
    const attr = tok.v;
    this.pos++;
    const opTok = this.tokens[this.pos];
    if (opTok?.t !== 'word') throw invalid(`expected an operator after '${attr}'`);
    const op = opTok.v.toLowerCase();
    this.pos++;
    if (op === 'pr') {
      if (this.mode === 'filter') throw invalid("'pr' is not supported in filter");
      return { kind: 'pr', attr };
    }
    if (!CMP_OPS.has(op)) throw invalid(`unknown operator '${opTok.v}'`);
    const valTok = this.tokens[this.pos];
    if (!valTok) throw invalid(`expected a value after '${attr} ${op}'`);
    this.pos++;
    let value: FilterValue;
    if (valTok.t === 'string' || valTok.t === 'number') value = valTok.v;
    else if (valTok.t === 'word' && ['true', 'false', 'null'].includes(valTok.v)) {
      value = valTok.v === 'null' ? null : valTok.v === 'true';
    } else throw invalid(`expected a value after '${attr} ${op}'`);
    const node: FilterNode = { kind: 'cmp', attr, op: op as CmpOp, value };
    this.check(node);
    return node;
  }

  private check(node: Extract<FilterNode, { kind: 'cmp' }>): void {
    if (this.mode === 'filter') {
      const allowed = FILTER_RULES[node.attr];
      if (!allowed) throw invalid(`'${node.attr}' cannot be used in filter (use search)`);
      if (!allowed.includes(node.op)) throw invalid(`'${node.attr} ${node.op}' is not supported`);
      if (typeof node.value !== 'string') throw invalid(`'${node.attr}' needs a quoted string`);
    } else if (!/^(profile\.[A-Za-z0-9_]+|[A-Za-z]+(\.id)?)$/.test(node.attr)) {
      throw invalid(`unknown attribute '${node.attr}'`);
    }
    if (DATE_ATTRIBUTES.has(node.attr)) {
      if (node.op === 'sw' || node.op === 'co')
        throw invalid(`'${node.op}' does not apply to dates`);
      if (typeof node.value !== 'string' || !ISO_TIME.test(node.value)) {
        throw new FilterError(
          'E0000030',
          "Invalid date. Dates must be of the form yyyy-MM-dd'T'HH:mm:ss.SSSZZ, e.g. 2013-01-01T12:00:00.000-07:00.",
        );
      }
      node.time = Date.parse(node.value);
      if (Number.isNaN(node.time)) throw new FilterError('E0000030', `Invalid date: ${node.value}`);
    }
  }
}

export function parseFilter(text: string, mode: FilterMode): FilterNode {
  return new Parser(tokenize(text), mode).parse();
}

/** Every attribute an expression reads, so a caller can tell whether cheap data is enough. */
export function attributesOf(node: FilterNode, into = new Set<string>()): Set<string> {
  switch (node.kind) {
    case 'cmp':
    case 'pr':
      into.add(node.attr);
      break;
    case 'and':
    case 'or':
      attributesOf(node.left, into);
      attributesOf(node.right, into);
      break;
    case 'not':
      attributesOf(node.operand, into);
      break;
  }
  return into;
}

/** Evaluates against `get(attr)`, which returns dates as epoch ms and anything else as stored. */
export function evaluate(node: FilterNode, get: (attr: string) => unknown): boolean {
  switch (node.kind) {
    case 'and':
      return evaluate(node.left, get) && evaluate(node.right, get);
    case 'or':
      return evaluate(node.left, get) || evaluate(node.right, get);
    case 'not':
      return !evaluate(node.operand, get);
    case 'pr': {
      const v = get(node.attr);
      return v !== null && v !== undefined && v !== '';
    }
    case 'cmp':
      return compare(node, get(node.attr));
  }
}

function compare(node: Extract<FilterNode, { kind: 'cmp' }>, actual: unknown): boolean {
  const { op } = node;
  if (node.time !== undefined) {
    if (typeof actual !== 'number') return op === 'ne';
    return order(op, actual - node.time);
  }
  const expected = node.value;
  if (typeof expected === 'string') {
    if (typeof actual !== 'string') return op === 'ne';
    // Okta matches profile strings without regard to case (logins are case-insensitive).
    const fold = node.attr.startsWith('profile.');
    const a = fold ? actual.toLowerCase() : actual;
    const e = fold ? expected.toLowerCase() : expected;
    if (op === 'sw') return a.startsWith(e);
    if (op === 'co') return a.includes(e);
    return order(op, a < e ? -1 : a > e ? 1 : 0);
  }
  if (typeof expected === 'number' && typeof actual === 'number')
    return order(op, actual - expected);
  const same = actual === expected;
  if (op === 'eq') return same;
  if (op === 'ne') return !same;
  return false;
}

function order(op: CmpOp, diff: number): boolean {
  switch (op) {
    case 'eq':
      return diff === 0;
    case 'ne':
      return diff !== 0;
    case 'gt':
      return diff > 0;
    case 'ge':
      return diff >= 0;
    case 'lt':
      return diff < 0;
    case 'le':
      return diff <= 0;
    default:
      return false;
  }
}
