import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../paths.js';

export const TEMPLATES_DIR = join(PROJECT_ROOT, 'templates/mail');

/** A mail ready for a transport. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export type TemplateVars = Record<string, string>;

interface Template {
  subject: string;
  text: string;
  html: string;
  placeholders: Set<string>;
}

const PLACEHOLDER = /\{\{([a-z_]+)\}\}/g;

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] as string);
}

function fill(text: string, vars: TemplateVars, encode: (v: string) => string): string {
  return text.replace(PLACEHOLDER, (_, name: string) => encode(vars[name] as string));
}

function placeholdersOf(...texts: string[]): Set<string> {
  return new Set(texts.flatMap((t) => [...t.matchAll(PLACEHOLDER)].map((m) => m[1] as string)));
}

/** A template's two files: `<name>.txt` (first line `Subject: ...`, a blank line, the text) and `<name>.html`. */
function loadTemplate(dir: string, name: string): Template {
  const txt = readFileSync(join(dir, `${name}.txt`), 'utf8');
  const html = readFileSync(join(dir, `${name}.html`), 'utf8');
  const match = /^Subject: (.+)\n\n([\s\S]*)$/.exec(txt);
  if (!match) throw new Error(`mail template ${name}.txt must start with "Subject: ..." and a blank line`);
  const [, subject = '', text = ''] = match;
  return { subject, text, html, placeholders: placeholdersOf(subject, text, html) };
}

export type Templates = ReturnType<typeof loadTemplates>;

/**
 * The mail templates of `names`, read once (a missing or malformed file fails at start-up).
 * Values are inserted as given in the subject and text, HTML-escaped in the HTML.
 */
export function loadTemplates(names: readonly string[], dir: string = TEMPLATES_DIR) {
  const templates = new Map(names.map((name) => [name, loadTemplate(dir, name)]));
  return {
    render(name: string, to: string, vars: TemplateVars): MailMessage {
      const template = templates.get(name);
      if (!template) throw new Error(`unknown mail template ${name}`);
      for (const placeholder of template.placeholders) {
        if (vars[placeholder] === undefined) throw new Error(`mail template ${name} needs {{${placeholder}}}`);
      }
      const plain = (v: string) => v;
      return { to, subject: fill(template.subject, vars, plain), text: fill(template.text, vars, plain), html: fill(template.html, vars, escapeHtml) };
    },
  };
}

/** A lifetime in seconds as a mail says it: "24 hours", "30 minutes", "1 day". */
export function humanDuration(seconds: number): string {
  const units: [number, string][] = [
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
  ];
  for (const [size, unit] of units) {
    if (seconds >= size && seconds % size === 0) {
      const n = seconds / size;
      return `${n} ${unit}${n === 1 ? '' : 's'}`;
    }
  }
  return `${seconds} seconds`;
}
