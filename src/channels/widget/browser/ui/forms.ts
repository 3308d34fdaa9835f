import { h, on } from '../dom';

export interface Field {
  name: string;
  label: string;
  type?: 'text' | 'email';
  multiline?: boolean;
  required?: boolean;
}

/** An element that says what went wrong, read out by screen readers when it changes. */
export function alertLine(): HTMLParagraphElement {
  return h('p', { class: 'error', role: 'alert' });
}

/**
 * A small form (the offline message, the pre-chat form). The browser's own validation checks required
 * fields and email addresses before `send` runs; empty fields are left out of the values.
 */
export function form(intro: string | null, fields: Field[], submit: string, send: (values: Record<string, string>) => Promise<void>, describe: (error: unknown) => string): HTMLFormElement {
  const error = alertLine();
  const button = h('button', {}, submit);
  const element = h(
    'form',
    {},
    intro && h('p', {}, intro),
    ...fields.map((field) => {
      const attributes = { name: field.name, required: field.required, autocomplete: field.type === 'email' ? 'email' : field.name === 'name' ? 'name' : undefined };
      const input = field.multiline ? h('textarea', { ...attributes, rows: '4' }) : h('input', { ...attributes, type: field.type ?? 'text' });
      return h('label', {}, field.label, input);
    }),
    error,
    button,
  );
  // Busy rather than disabled: a disabled button drops the keyboard focus on the floor.
  let busy = false;
  on(element, 'submit', (event) => {
    event.preventDefault();
    if (busy) return;
    const values: Record<string, string> = {};
    new FormData(element).forEach((value, name) => {
      if (typeof value === 'string' && value.trim()) values[name] = value.trim();
    });
    busy = true;
    error.textContent = '';
    send(values)
      .catch((failure: unknown) => (error.textContent = describe(failure)))
      .finally(() => (busy = false));
  });
  return element;
}
